import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as vault from "@pulumi/vault";
import { renderReadPolicy } from "../core/hcl";
import { fixSetSecret, problem } from "../core/messages";
import { KV_MOUNT, NS, appPolicyName } from "../core/names";
import { FIXED_SECRET_PATHS, GENERATED_PATHS, SECRET_FIELDS, placeholderFor, resourceSuffix } from "../core/secretPaths";
import { StoredData } from "../core/vault/kv";
import { opsCommand } from "../ops/command";

/** Field values of every KV path, by path then field. Values may be secrets. */
export type SecretData = Record<string, Record<string, pulumi.Input<string>>>;

/** The playbook's five paths with exactly their fields, checked by the compiler. */
type PlaybookData = { [P in keyof typeof SECRET_FIELDS]: Record<(typeof SECRET_FIELDS)[P][number], pulumi.Input<string>> };

/** Supplied values for the playbook's five paths; a missing optional one is generated or a placeholder. */
export interface PlaybookValues {
    /** secret/openrouter api_key. */
    readonly openrouterApiKey?: pulumi.Input<string>;
    /** secret/telegram bot_token. */
    readonly telegramBotToken?: pulumi.Input<string>;
    /** secret/telegram chat_id. */
    readonly telegramChatId?: pulumi.Input<string>;
    /** secret/github token. */
    readonly githubToken?: pulumi.Input<string>;
    /** secret/database host, port, name, user. */
    readonly database: { readonly host: string; readonly port: string; readonly name: string; readonly user: string };
    /** secret/database password; generated (32 characters) when absent. */
    readonly databasePassword?: pulumi.Input<string>;
    /** secret/cockpit jwt_secret; generated (32 random bytes, hex) when absent. */
    readonly cockpitJwtSecret?: pulumi.Input<string>;
    /** secret/cockpit admin_password; generated (24 characters) when absent. */
    readonly cockpitAdminPassword?: pulumi.Input<string>;
}

/** Arguments of the Vault-side configuration. */
export interface SecretsStoreArgs {
    /** Address of the unsealed server as seen from this host. */
    readonly address: pulumi.Input<string>;
    /** The admin token the provider derives its short-lived child token from (secret). */
    readonly adminToken: pulumi.Input<string>;
    /** The token role the app token is created through (it makes the token an orphan). */
    readonly appTokenRole: string;
    /** Lease of the provider's own child token in seconds. @default 1200 */
    readonly providerTokenTtlSeconds: number;
    /** Values of the five playbook paths. */
    readonly values: PlaybookValues;
    /** Fill missing third-party credentials with marked placeholders instead of failing. @default false */
    readonly devPlaceholders: boolean;
    /** Further paths with their field values, and whether the app may read them. */
    readonly extra: Readonly<Record<string, { readonly fields: Record<string, pulumi.Input<string>>; readonly appCanRead: boolean }>>;
    /** Enable the file audit device writing to this file inside the container. */
    readonly auditFile?: string;
    /** Display name of the app token. @default "openclaw-app" */
    readonly appTokenDisplayName: string;
    /** TTL of the app token. @default "720h" */
    readonly appTokenTtl: string;
    /** Adoption settings are present in this update: import the existing KV mount. @default false */
    readonly adopt: boolean;
    /**
     * The state's init record says the server was adopted (initialised before this stack): generated
     * fields keep the values the server stores instead of new ones, also after the adoption
     * settings are removed.
     */
    readonly adopted: pulumi.Input<boolean>;
    /** Protect the KV mount against `pulumi destroy` (it is retained on delete in any case). @default true */
    readonly protect: boolean;
}

/**
 * The Vault side (playbook steps 9 to 12): a KV v2 engine at secret/, the secrets, a file audit
 * device, a read-only policy and an orphan application token.
 */
export class SecretsStore extends pulumi.ComponentResource {
    /** The Vault provider, authenticated with a short-lived child of the admin token. */
    public readonly provider: vault.Provider;
    /** The KV v2 mount. */
    public readonly mount: vault.Mount;
    /** The secrets by path. */
    public readonly secrets: Record<string, vault.generic.Secret>;
    /** The application's read-only policy. */
    public readonly policy: vault.Policy;
    /** The application token (orphan, renewable). */
    public readonly appToken: vault.Token;
    /** The app token's value (secret). */
    public readonly appTokenValue: pulumi.Output<string>;
    /** The KV paths the app token may read. */
    public readonly appPaths: string[];
    /** The config keys whose values are placeholders. */
    public readonly placeholders: string[];

    constructor(name: string, args: SecretsStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${NS}:vault:SecretsStore`, name, {}, opts);

        this.provider = new vault.Provider(
            `${name}-provider`,
            {
                address: args.address,
                token: pulumi.secret(args.adminToken),
                maxLeaseTtlSeconds: args.providerTokenTtlSeconds,
                skipChildToken: false,
                tokenName: `pulumi-${NS}`,
            },
            { parent: this },
        );
        const base = { parent: this, provider: this.provider };
        // The audit device first, and every other Vault resource after it: each request of the
        // update, the mount's included, is audited, and nothing races the enabling (enabling it
        // while the KV mount was being created has been seen to fail the mount's first request).
        const audit =
            args.auditFile === undefined
                ? undefined
                : new vault.Audit(
                      `${name}-audit`,
                      { type: "file", path: "file", options: { file_path: args.auditFile }, description: "Log of every access" },
                      base,
                  );
        const v = { ...base, dependsOn: audit === undefined ? [] : [audit] };

        // Retained on delete: `pulumi destroy` must never take the stored secrets with it; and
        // protected with the keys, so a destroy that stops at them leaves a stack that updates
        // cleanly. A server adopted in this update already has the mount (playbook step 9 or an
        // earlier stack): import it.
        this.mount = new vault.Mount(
            `${name}-kv`,
            { path: KV_MOUNT, type: "kv", options: { version: "2" } },
            { ...v, retainOnDelete: true, protect: args.protect, import: args.adopt ? KV_MOUNT : undefined },
        );

        // On an adopted server (as the state's init record says, whatever the settings say now),
        // generated fields keep what the server already stores.
        const mountPath = this.mount.path;
        const stored = pulumi.output(args.adopted).apply((adopted) =>
            adopted
                ? command.local
                      .runOutput(
                          {
                              command: opsCommand("read"),
                              environment: { VAULT_ADDR: pulumi.output(args.address) },
                              stdin: pulumi.secret(
                                  pulumi.all([args.adminToken, mountPath]).apply(([token, mount]) => JSON.stringify({ token, mount, paths: GENERATED_PATHS })),
                              ),
                              logging: "stderr",
                          },
                          { parent: this },
                      )
                      .stdout.apply((out) => JSON.parse(out) as StoredData)
                : ({} as StoredData),
        );
        const generated = (given: pulumi.Input<string> | undefined, make: () => pulumi.Output<string>, path: string, field: string): pulumi.Input<string> => {
            if (given !== undefined) {
                return given;
            }
            return pulumi.secret(pulumi.all([stored, make()]).apply(([s, f]) => s[path]?.[field] ?? f));
        };
        const placeholders: string[] = [];
        const required = (key: string, given?: pulumi.Input<string>): pulumi.Input<string> => {
            if (given !== undefined) {
                return given;
            }
            if (!args.devPlaceholders) {
                throw new Error(problem(key, undefined, "is missing", `set it with ${fixSetSecret(key)}`));
            }
            placeholders.push(key);
            return placeholderFor(key);
        };
        const val = args.values;
        const password = (key: string, length: number): pulumi.Output<string> =>
            new random.RandomPassword(`${name}-${key}`, { length, special: false }, { parent: this }).result;

        const playbook: PlaybookData = {
            openrouter: { api_key: required("openrouterApiKey", val.openrouterApiKey) },
            telegram: { bot_token: required("telegramBotToken", val.telegramBotToken), chat_id: required("telegramChatId", val.telegramChatId) },
            github: { token: required("githubToken", val.githubToken) },
            database: {
                ...val.database,
                password: generated(val.databasePassword, () => password("database-password", 32), "database", "password"),
            },
            cockpit: {
                // 32 random bytes as 64 hex digits, like the playbook's `openssl rand -hex 32`. Drawn as a
                // password over the 16 hex digits: RandomBytes would put its value in the resource ID,
                // which the state keeps in plain text.
                jwt_secret: generated(
                    val.cockpitJwtSecret,
                    () =>
                        new random.RandomPassword(
                            `${name}-cockpit-jwt-secret`,
                            { length: 64, upper: false, lower: false, numeric: true, special: true, overrideSpecial: "abcdef" },
                            { parent: this },
                        ).result,
                    "cockpit",
                    "jwt_secret",
                ),
                admin_password: generated(val.cockpitAdminPassword, () => password("cockpit-admin-password", 24), "cockpit", "admin_password"),
            },
        };
        const data: SecretData = { ...playbook };
        for (const [path, extra] of Object.entries(args.extra)) {
            data[path] = extra.fields;
        }
        this.placeholders = placeholders;

        // generic.Secret rather than kv.SecretV2: its read returns the stored data, so a value
        // changed out of band shows as drift and the next update restores it (kv.SecretV2 reads
        // back metadata only). On a KV v2 mount it writes secret/data/<path> as a new version.
        this.secrets = {};
        for (const [path, fields] of Object.entries(data)) {
            this.secrets[path] = new vault.generic.Secret(
                `${name}-${resourceSuffix(path)}`,
                {
                    path: pulumi.interpolate`${this.mount.path}/${path}`,
                    dataJson: pulumi.secret(pulumi.output(fields).apply((f) => JSON.stringify(f))),
                },
                // Retained on delete: removing a path from the config or destroying the stack
                // leaves the stored secret in place.
                { ...v, additionalSecretOutputs: ["dataJson", "data"], retainOnDelete: true },
            );
        }

        this.appPaths = [...FIXED_SECRET_PATHS, ...Object.keys(args.extra).filter((p) => args.extra[p]!.appCanRead)];
        this.policy = new vault.Policy(
            `${name}-app-policy`,
            { name: appPolicyName(args.appTokenDisplayName), policy: renderReadPolicy(KV_MOUNT, this.appPaths) },
            v,
        );
        this.appToken = new vault.Token(
            `${name}-app-token`,
            {
                displayName: args.appTokenDisplayName,
                policies: [this.policy.name],
                ttl: args.appTokenTtl,
                renewable: true,
                // The role makes it an orphan (it outlives the provider's short-lived token, its
                // parent otherwise) and carries the period: a non-root token may ask for neither.
                roleName: args.appTokenRole,
            },
            { ...v, additionalSecretOutputs: ["clientToken"] },
        );
        this.appTokenValue = pulumi.secret(this.appToken.clientToken);

        this.registerOutputs({ mount: this.mount, policy: this.policy, appToken: this.appToken });
    }
}
