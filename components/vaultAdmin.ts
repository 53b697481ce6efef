import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { NS } from "../core/names";
import { AdminSpec, parseAdminRecord } from "../core/vault/admin";
import { opsCommand } from "../ops/command";

/** Arguments of the admin identity. */
export interface VaultAdminArgs {
    /** Address of the unsealed server (known once this update's unseal step has run). */
    readonly address: pulumi.Input<string>;
    /** The init record's root token, used once and then revoked (secret). */
    readonly rootToken: pulumi.Input<string>;
    /** What the admin identity covers. */
    readonly spec: AdminSpec;
    /** The container's name, for hints from its log when the server does not answer. */
    readonly containerName: pulumi.Input<string>;
}

/** Parse the bootstrap's stdout; throws without quoting it (it holds the admin token). */
function adminRecord(stdout: string): { admin_token: string; accessor: string } {
    const r = parseAdminRecord(stdout);
    if (r === undefined) {
        throw new Error(
            `the admin bootstrap printed ${stdout.length} characters that are no admin record; its resource in the state is damaged: run \`npm run generate-root\``,
        );
    }
    return r;
}

/**
 * The program's own admin identity: a one-time bootstrap with the root token (admin policy, app
 * token role, orphan periodic admin token; then the root token is revoked), and the admin token's
 * renewal on every update. The Vault provider works with the admin token only.
 */
export class VaultAdmin extends pulumi.ComponentResource {
    /** The one-time bootstrap command; its stdout holds the admin token (secret). */
    public readonly bootstrap: command.local.Command;
    /** The admin token (secret). */
    public readonly adminToken: pulumi.Output<string>;
    /** The admin token's accessor (not secret: it can look the token up or revoke it, never use it). */
    public readonly accessor: pulumi.Output<string>;
    /** The address, known once this update has renewed the admin token: Vault resources wait for it. */
    public readonly readyAddress: pulumi.Output<string>;

    constructor(name: string, args: VaultAdminArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${NS}:vault:VaultAdmin`, name, {}, opts);

        const s = args.spec;
        // Runs once. The names it covers stay inputs: when they change, the update re-runs the
        // bootstrap, which needs a root token (`npm run generate-root`); the address alone keeps it.
        this.bootstrap = new command.local.Command(
            `${name}-admin`,
            {
                create: opsCommand("bootstrap"),
                update: opsCommand("bootstrap"),
                environment: {
                    VAULT_ADDR: args.address,
                    CONTAINER_NAME: args.containerName,
                    KV_MOUNT: s.kvMount,
                    APP_POLICY: s.appPolicy,
                    APP_ROLE: s.appRole,
                    AUDIT_PATH: s.auditPath,
                    ...(s.appTokenPeriod === undefined ? {} : { APP_TOKEN_PERIOD: s.appTokenPeriod }),
                    // Only on Raft stacks, so a file stack's bootstrap inputs stay as they were.
                    ...(s.raft === true ? { RAFT: "1" } : {}),
                },
                stdin: pulumi.secret(args.rootToken),
                // stdout carries the admin token and is never logged; stderr carries only messages.
                logging: "stderr",
                addPreviousOutputInEnv: true,
            },
            {
                parent: this,
                additionalSecretOutputs: ["stdout", "stdin"],
                ignoreChanges: ["create", "update", "stdin", "interpreter", "dir", "logging"],
                // Not protected, unlike the init record: `npm run generate-root` replaces it, and
                // what it holds can always be made again from the unseal keys.
            },
        );

        const record = this.bootstrap.stdout.apply(adminRecord);
        this.adminToken = pulumi.secret(record.apply((r) => r.admin_token));
        this.accessor = pulumi.unsecret(record.apply((r) => r.accessor));

        // Renew on every `pulumi up`, as an invoke so it never adds a diff of its own; a revoked or
        // lapsed token stops the update here, naming `npm run generate-root`. Preview changes nothing.
        if (pulumi.runtime.isDryRun()) {
            this.readyAddress = pulumi.output(args.address);
        } else {
            const renewed = command.local.runOutput(
                {
                    command: opsCommand("renew"),
                    environment: pulumi.all([args.address, args.containerName]).apply(([a, n]) => ({ VAULT_ADDR: a, CONTAINER_NAME: n })),
                    stdin: pulumi.secret(this.bootstrap.stdout),
                    logging: "stderr",
                },
                { parent: this },
            );
            this.readyAddress = pulumi.unsecret(pulumi.all([args.address, renewed.stdout]).apply(([a]) => a));
        }

        this.registerOutputs({ adminToken: this.adminToken, accessor: this.accessor });
    }
}
