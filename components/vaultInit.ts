import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { KeyHolder } from "../core/keyHolders";
import { custodyChanged } from "../core/messages";
import { NS } from "../core/names";
import { parseInitOutput } from "../core/vault/init";
import { opsCommand } from "../ops/command";

/** Seal state reported by the adapter's status and unseal modes (no secrets in it). */
export interface SealState {
    readonly reachable?: boolean;
    readonly initialized?: boolean;
    readonly sealed?: boolean;
    readonly unsealedNow?: boolean;
    /** Key shares and threshold as the server reports them. */
    readonly shares?: number;
    readonly threshold?: number;
    /** Why the update must stop here (a sealed server whose keys are with key holders). */
    readonly stop?: string;
    /** Raft: every node as the step left it, and the active node's API address. */
    readonly nodes?: readonly { readonly address: string; readonly sealed?: boolean; readonly problem?: string }[];
    readonly active?: string;
}

/** Parse the status/unseal step's stdout; anything unreadable is an unknown state. */
export function parseSealState(stdout: string): SealState {
    try {
        return JSON.parse(stdout) as SealState;
    } catch {
        return {};
    }
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
    /** Where the encrypted init record is written on this host (core/names `initRecordFile`). */
    readonly recordFile: string;
    /**
     * Key-holder custody: one holder per share; Vault encrypts each share to its holder's PGP key
     * at init, and the state keeps only the encrypted shares. Empty: the keys are kept in the state.
     */
    readonly keyHolders?: readonly KeyHolder[];
    /** Storage backend; with raft the unseal step waits for the cluster's active node. @default "file" */
    readonly storage?: "file" | "raft";
    /** The other nodes of a Raft cluster: their API addresses (as seen from this host) and container IDs. */
    readonly standbys?: readonly { readonly address: string; readonly containerId: pulumi.Input<string> }[];
}

/**
 * One-time `operator init` (playbook step 5) and unsealing on every update (steps 7 and 13).
 * The keys live only in the stack's encrypted state and outputs.
 */
export class VaultInit extends pulumi.ComponentResource {
    /** The command resource that initialised the server; its stdout holds the keys (secret). */
    public readonly initCommand: command.local.Command;
    /** The unseal keys (secret); empty under key-holder custody, where the state holds none. */
    public readonly unsealKeys: pulumi.Output<string[]>;
    /** Under key-holder custody: each holder's share, PGP-encrypted to them (base64), by holder name. */
    public readonly encryptedShares: pulumi.Output<Record<string, string> | undefined>;
    /** The root token (secret). */
    public readonly rootToken: pulumi.Output<string>;
    /** The key of the encrypted init record (secret). */
    public readonly recordKey: pulumi.Output<string>;
    /** Whether the state's init record says the server was adopted rather than initialised here. */
    public readonly adopted: pulumi.Output<boolean>;
    /** Seal state after this update's unseal step (during preview: as observed, nothing changed). */
    public readonly sealState: pulumi.Output<SealState>;

    constructor(name: string, args: VaultInitArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${NS}:vault:VaultInit`, name, {}, opts);

        // The key of the encrypted init record: in the state before init runs, so a crash between
        // Vault's answer and the state's save leaves a record only this stack can open. 64 hex
        // digits drawn as a password (RandomBytes would keep its value in the plain-text ID).
        this.recordKey = new random.RandomPassword(
            `${name}-init-record-key`,
            { length: 64, upper: false, lower: false, numeric: true, special: true, overrideSpecial: "abcdef" },
            { parent: this, protect: args.protect },
        ).result;
        const record = { INIT_RECORD_FILE: args.recordFile, INIT_RECORD_KEY: pulumi.secret(this.recordKey) };

        const environment: Record<string, pulumi.Input<string>> = {
            ...record,
            VAULT_ADDR: args.address,
            KEY_SHARES: String(args.keyShares),
            KEY_THRESHOLD: String(args.keyThreshold),
            CONTAINER_NAME: args.containerName,
        };
        const holders = args.keyHolders ?? [];
        const standbys = args.standbys ?? [];
        if (holders.length > 0) {
            // Public keys: Vault's `pgp_keys`, in share order.
            environment.KEY_HOLDERS = JSON.stringify(holders.map((h) => ({ name: h.name, pgpKey: h.pgpKey })));
        }
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
        // The custody mode follows the state's init record: the shares are as init made them.
        this.unsealKeys = pulumi.secret(parsed.apply((p) => (p.holders === undefined ? p.unsealKeys : [])));
        // Encrypted to each holder's PGP key, so plain: only that holder can read their share.
        this.encryptedShares = pulumi.unsecret(
            parsed.apply((p) => (p.holders === undefined ? undefined : Object.fromEntries(p.holders.map((h, i) => [h, p.unsealKeys[i]!])))),
        );
        parsed.apply((p) => {
            const want = holders.map((h) => h.name).join(", ");
            const have = (p.holders ?? []).join(", ");
            if (want !== have) void pulumi.log.warn(custodyChanged(have, want), this);
        });
        this.rootToken = pulumi.secret(parsed.apply((p) => p.rootToken));
        this.adopted = pulumi.unsecret(parsed.apply((p) => p.source === "adopted"));

        // Unseal on every `pulumi up`, as an invoke so it never adds a diff of its own. During
        // preview only the state is read.
        const dryRun = pulumi.runtime.isDryRun();
        const step = command.local.runOutput(
            {
                command: opsCommand(dryRun ? "status" : "unseal"),
                // The record's key only where keys are fed in, so the preview's status stays plain.
                environment: pulumi
                    .all([
                        args.address,
                        args.containerId,
                        args.containerName,
                        dryRun ? "" : record.INIT_RECORD_KEY,
                        pulumi.all(standbys.map((n) => n.containerId)),
                    ])
                    .apply(([a, id, n, key, ids]) => ({
                        VAULT_ADDR: a,
                        // Every node's container: the step runs again whenever one is (re)created.
                        CONTAINER_ID: [id, ...ids].join(","),
                        CONTAINER_NAME: n,
                        ...(args.storage === "raft" ? { STORAGE: "raft", STANDBYS: JSON.stringify(standbys.map((x) => x.address)) } : {}),
                        STACK_NAME: pulumi.getStack(),
                        ...(dryRun ? {} : { INIT_RECORD_FILE: args.recordFile, INIT_RECORD_KEY: key }),
                    })),
                // The keys, or under key-holder custody the holders and their encrypted shares.
                stdin: dryRun
                    ? undefined
                    : pulumi.secret(parsed.apply((p) => JSON.stringify(p.holders === undefined ? p.unsealKeys : { holders: p.holders, shares: p.unsealKeys }))),
                logging: "stderr",
            },
            { parent: this },
        );
        // A sealed server whose keys are with key holders: the update stops here, before any Vault
        // resource. The message naming the holders is logged once, on this component; every input
        // waiting on the seal state fails with a short pointer to it (a RunError prints no stack).
        this.sealState = step.stdout.apply(parseSealState).apply((s) => {
            if (dryRun || s.stop === undefined) return s;
            void pulumi.log.error(s.stop, this);
            throw new pulumi.RunError(
                "stopped before any Vault resource: the server is sealed and its keys are with the key holders (see the message on vault-stack:vault:VaultInit)",
            );
        });

        this.registerOutputs({ unsealKeys: this.unsealKeys, rootToken: this.rootToken, sealState: this.sealState });
    }
}
