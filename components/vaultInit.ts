import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";

/** What one-time initialisation hands back: the unseal keys and the root token. */
export interface InitResult {
    /** Base64 unseal key shares. */
    readonly unsealKeys: string[];
    /** The initial root token. */
    readonly rootToken: string;
    /** "init" when this stack initialised the server, "adopted" when keys were handed in. */
    readonly source: "init" | "adopted";
}

/** Seal state reported by the ops script. */
export interface SealState {
    readonly reachable?: boolean;
    readonly initialized?: boolean;
    readonly sealed?: boolean;
    readonly unsealedNow?: boolean;
}

/**
 * Parse the init step's stdout. Throws a message that never contains the text itself, since it
 * holds the keys.
 */
export function parseInitOutput(stdout: string): InitResult {
    let parsed: unknown;
    try {
        parsed = JSON.parse(stdout);
    } catch {
        throw new Error(
            `the init step printed ${stdout.length} characters that are not JSON; its record in the state is damaged (see docs/operations.md, "Adopting a server")`,
        );
    }
    const p = parsed as { unseal_keys_b64?: unknown; root_token?: unknown; source?: unknown };
    if (!Array.isArray(p.unseal_keys_b64) || p.unseal_keys_b64.length === 0 || p.unseal_keys_b64.some((k) => typeof k !== "string" || k === "")) {
        throw new Error("the init step's output has no unseal keys; its record in the state is damaged");
    }
    if (typeof p.root_token !== "string" || p.root_token === "") {
        throw new Error("the init step's output has no root token; its record in the state is damaged");
    }
    return { unsealKeys: p.unseal_keys_b64 as string[], rootToken: p.root_token, source: p.source === "adopted" ? "adopted" : "init" };
}

/** Parse the status/unseal step's stdout (no secrets in it). */
export function parseSealState(stdout: string): SealState {
    try {
        return JSON.parse(stdout) as SealState;
    } catch {
        return {};
    }
}

/** Path of the ops script that talks to Vault's HTTP API. */
export const OPS_SCRIPT = path.join(__dirname, "..", "scripts", "vault-ops.js");

/** The shell-free command line that runs the ops script in a mode; no secret is ever part of it. */
export function opsCommand(mode: "init" | "unseal" | "status" | "read"): string {
    return `"${process.execPath}" "${OPS_SCRIPT}" ${mode}`;
}

/** Arguments of the init/unseal step. */
export interface VaultInitArgs {
    /** Address of the server as seen from this host, e.g. http://127.0.0.1:8200. */
    readonly address: pulumi.Input<string>;
    /** Number of unseal key shares. @default 5 */
    readonly keyShares: number;
    /** Number of shares needed to unseal. @default 3 */
    readonly keyThreshold: number;
    /** Keys handed in to adopt an already initialised server (secret). */
    readonly adoptUnsealKeys?: pulumi.Input<string>;
    /** Root token handed in to adopt an already initialised server (secret). */
    readonly adoptRootToken?: pulumi.Input<string>;
    /** Changes whenever the container is (re)created, so unsealing waits for it. */
    readonly containerId: pulumi.Input<string>;
    /** The container's name, for hints from its log when the server does not answer. */
    readonly containerName: pulumi.Input<string>;
    /** Protect the init record (the keys) against `pulumi destroy`. @default true */
    readonly protect: boolean;
}

/**
 * One-time `operator init` (playbook step 5) and unsealing on every update (steps 7 and 13).
 * The keys live only in the stack's encrypted state and outputs.
 */
export class VaultInit extends pulumi.ComponentResource {
    /** The command resource that initialised the server; its stdout holds the keys (secret). */
    public readonly initCommand: command.local.Command;
    /** The unseal keys (secret). */
    public readonly unsealKeys: pulumi.Output<string[]>;
    /** The root token (secret). */
    public readonly rootToken: pulumi.Output<string>;
    /** Seal state after this update's unseal step (during preview: as observed, nothing changed). */
    public readonly sealState: pulumi.Output<SealState>;

    constructor(name: string, args: VaultInitArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vault-stack:vault:VaultInit", name, {}, opts);

        const environment: Record<string, pulumi.Input<string>> = {
            VAULT_ADDR: args.address,
            KEY_SHARES: String(args.keyShares),
            KEY_THRESHOLD: String(args.keyThreshold),
            CONTAINER_NAME: args.containerName,
        };
        if (args.adoptUnsealKeys !== undefined) {
            environment.ADOPT_UNSEAL_KEYS = pulumi.secret(args.adoptUnsealKeys);
        }
        if (args.adoptRootToken !== undefined) {
            environment.ADOPT_ROOT_TOKEN = pulumi.secret(args.adoptRootToken);
        }

        // Runs once. Every input is ignored after creation, so no later change (shares, address,
        // a moved checkout) can run init again or replace its output; the script also refuses to
        // initialise an initialised server and re-emits the keys it already holds.
        this.initCommand = new command.local.Command(
            `${name}-init`,
            {
                create: opsCommand("init"),
                update: opsCommand("init"),
                environment,
                // stdout carries the keys and is never logged; stderr carries only messages.
                logging: "stderr",
                addPreviousOutputInEnv: true,
            },
            {
                parent: this,
                additionalSecretOutputs: ["stdout", "environment"],
                ignoreChanges: ["create", "update", "environment", "interpreter", "dir", "logging"],
                protect: args.protect,
            },
        );

        const parsed = this.initCommand.stdout.apply(parseInitOutput);
        this.unsealKeys = pulumi.secret(parsed.apply((p) => p.unsealKeys));
        this.rootToken = pulumi.secret(parsed.apply((p) => p.rootToken));

        // Unseal on every `pulumi up`, as an invoke so it never adds a diff of its own. During
        // preview only the state is read.
        const dryRun = pulumi.runtime.isDryRun();
        const step = command.local.runOutput(
            {
                command: opsCommand(dryRun ? "status" : "unseal"),
                environment: pulumi
                    .all([args.address, args.containerId, args.containerName])
                    .apply(([a, id, n]) => ({ VAULT_ADDR: a, CONTAINER_ID: id, CONTAINER_NAME: n })),
                stdin: dryRun ? undefined : pulumi.secret(this.unsealKeys.apply((k) => JSON.stringify(k))),
                logging: "stderr",
            },
            { parent: this },
        );
        this.sealState = step.stdout.apply(parseSealState);

        this.registerOutputs({ unsealKeys: this.unsealKeys, rootToken: this.rootToken, sealState: this.sealState });
    }
}
