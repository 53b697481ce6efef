import { DEFAULT_IMAGE } from "./names";

/** How a setting's raw text is read. */
export type Kind = "string" | "integer" | "boolean" | "duration" | "secret" | "secretMap" | "list";

/** One row of the settings table: everything the program, its validation and its docs know of a key. */
export interface Setting {
    /** The key under the `vault-stack:` namespace. */
    readonly key: string;
    /** How the raw text is read and checked. */
    readonly kind: Kind;
    /** The default as stored text; absent for optional settings and secrets. */
    readonly default?: string;
    /** Smallest whole number allowed (integer). */
    readonly min?: number;
    /** Largest whole number allowed (integer). */
    readonly max?: number;
    /** The form the value must have (string). */
    readonly pattern?: RegExp;
    /** A further check the value must pass (string), where a pattern is not enough. */
    readonly check?: (value: string) => boolean;
    /** What is allowed, worded after the value in the error: "must be ...". */
    readonly allowed?: string;
    /** What is allowed, in a few words for the README's settings list (pattern rows). */
    readonly allowedDoc?: string;
    /** The value the error's fix command suggests. @default the default */
    readonly fix?: string;
    /** Refuse an empty value (string). */
    readonly nonEmpty?: boolean;
    /** A secret that must be supplied unless `devPlaceholders` is on. */
    readonly required?: boolean;
    /** The Pulumi.yaml type of a plain setting with a default. */
    readonly yamlType?: "string" | "integer" | "boolean";
    /** One line for Pulumi.yaml and the README. */
    readonly description: string;
}

/** A dotted IPv4 address whose four parts are 0 to 255 (Docker publishes IPv6 only with extra daemon set-up). */
export function isIPv4(text: string): boolean {
    const parts = text.split(".");
    return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** A Docker image reference: registry/name[:tag][@sha256:digest]. */
const IMAGE_RE = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** Every setting the program reads, in the order problems are reported. Anything else is a typo. */
export const SETTINGS: readonly Setting[] = [
    {
        key: "image",
        kind: "string",
        default: DEFAULT_IMAGE,
        pattern: IMAGE_RE,
        allowed: `is not a Docker image reference like ${DEFAULT_IMAGE}`,
        allowedDoc: "image reference",
        yamlType: "string",
        description:
            "Docker image of the Vault-compatible server (official layout - /vault/config, /vault/data, /vault/logs, a `vault` user, docker-entrypoint.sh).",
    },
    { key: "port", kind: "integer", default: "8200", min: 1, max: 65535, yamlType: "integer", description: "Host port the API is published on." },
    {
        key: "bindAddress",
        kind: "string",
        default: "127.0.0.1",
        check: isIPv4,
        allowed: "must be an IPv4 address such as 127.0.0.1",
        allowedDoc: "IPv4 address; non-loopback needs allowInsecureBind",
        yamlType: "string",
        description: "Host address the API is published on. Anything but loopback needs allowInsecureBind, since TLS is off.",
    },
    {
        key: "allowInsecureBind",
        kind: "boolean",
        default: "false",
        yamlType: "boolean",
        description: "Accept publishing the plain-HTTP API on a non-loopback address.",
    },
    {
        key: "storage",
        kind: "string",
        default: "file",
        pattern: /^(file|raft)$/,
        allowed: "must be file or raft",
        allowedDoc: "file, raft",
        yamlType: "string",
        description:
            "Storage backend - file (the playbook's, one server) or raft (integrated storage, recommended for anything that matters; needed for nodes > 1 and snapshots). Fixed once the stack has data.",
    },
    {
        key: "nodes",
        kind: "integer",
        default: "1",
        min: 1,
        max: 5,
        yamlType: "integer",
        description: "Server nodes (1, 3 or 5; more than 1 needs raft). Node i publishes its API on port + i.",
    },
    {
        key: "nodeHosts",
        kind: "list",
        allowedDoc: "list of { docker, address }, one per node",
        description:
            "Nodes on several Docker hosts: per node, its Docker host (docker: unix://, tcp:// or ssh://; empty for this host's engine, and always for node 0) and the IPv4 address the other nodes and this host reach it at (API on port + i, cluster on port + 100 + i). Needs allowInsecureBind.",
    },
    {
        key: "keyShares",
        kind: "integer",
        default: "5",
        min: 1,
        max: 255,
        yamlType: "integer",
        description: "Unseal key shares created by the one-time init (1 to 255).",
    },
    {
        key: "keyThreshold",
        kind: "integer",
        default: "3",
        min: 1,
        max: 255,
        yamlType: "integer",
        description: "Shares needed to unseal (at most keyShares; at least 2 when keyShares > 1).",
    },
    {
        key: "appTokenTtl",
        kind: "duration",
        default: "720h",
        allowed: "is not a Go duration such as 720h or 1h30m",
        yamlType: "string",
        description: "TTL of the application token, Go duration syntax, at most 768h unless appTokenPeriod is set.",
    },
    {
        key: "appTokenPeriod",
        kind: "duration",
        allowed: "is not a Go duration such as 720h",
        fix: "720h",
        description: "Optional period of the application token, which makes it periodic (renewable without end).",
    },
    {
        key: "appTokenDisplayName",
        kind: "string",
        default: "openclaw-app",
        pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
        allowed: "must be 1 to 64 letters, digits, '.', '_' or '-'",
        allowedDoc: "1 to 64 letters, digits, dots, dashes, underscores",
        yamlType: "string",
        description: "Display name of the application token (Vault shows it as token-<name>).",
    },
    {
        key: "protect",
        kind: "boolean",
        default: "true",
        yamlType: "boolean",
        description: "Protect the data volume and the init record (the keys) against `pulumi destroy`. The data volume is retained on delete in any case.",
    },
    {
        key: "auditLog",
        kind: "boolean",
        default: "true",
        yamlType: "boolean",
        description: "Enable the file audit device at /vault/logs/audit.log (a log of every access).",
    },
    {
        key: "devPlaceholders",
        kind: "boolean",
        default: "false",
        yamlType: "boolean",
        description: "Dev stacks only - store marked placeholders for third-party credentials that are not set, instead of failing.",
    },
    {
        key: "providerTokenTtlSeconds",
        kind: "integer",
        default: "1200",
        // A floor that outlasts a long update: the provider's token must not lapse mid-refresh.
        min: 300,
        max: 86400,
        yamlType: "integer",
        description: "Lease of the short-lived child token the Vault provider uses during an update.",
    },
    { key: "databaseHost", kind: "string", default: "127.0.0.1", nonEmpty: true, yamlType: "string", description: "secret/database host." },
    { key: "databasePort", kind: "integer", default: "5432", min: 1, max: 65535, yamlType: "string", description: "secret/database port." },
    { key: "databaseName", kind: "string", default: "oa_system", nonEmpty: true, yamlType: "string", description: "secret/database name." },
    { key: "databaseUser", kind: "string", default: "oa_admin", nonEmpty: true, yamlType: "string", description: "secret/database user." },
    { key: "openrouterApiKey", kind: "secret", required: true, description: "secret/openrouter api_key." },
    { key: "telegramBotToken", kind: "secret", required: true, description: "secret/telegram bot_token." },
    { key: "telegramChatId", kind: "secret", required: true, description: "secret/telegram chat_id." },
    { key: "githubToken", kind: "secret", required: true, description: "secret/github token." },
    { key: "databasePassword", kind: "secret", description: "secret/database password (generated: 32 characters, if unset)." },
    { key: "cockpitJwtSecret", kind: "secret", description: "secret/cockpit jwt_secret (generated: 32 random bytes as hex, if unset)." },
    { key: "cockpitAdminPassword", kind: "secret", description: "secret/cockpit admin_password (generated: 24 characters, if unset)." },
    { key: "adoptUnsealKeys", kind: "secret", description: "Adopt an initialised server: the unseal keys you kept, separated by commas." },
    {
        key: "adoptRootToken",
        kind: "secret",
        description:
            "Adopt an initialised server: its root token (optional - without it, a short-lived one is made from the keys with generate-root; either is revoked).",
    },
    {
        key: "keyHolders",
        kind: "list",
        allowedDoc: "list of { name, pgpKey }, one per share",
        description:
            "Key-holder custody: one { name, pgpKey } per key share (pgpKey: base64 of `gpg --export`, or armored). Shares are PGP-encrypted by Vault at init; the state holds no plaintext share.",
    },
    {
        key: "extraSecrets",
        kind: "secretMap",
        description: "Further KV paths: path -> { fields: { name: value }, appCanRead }, each value set with --secret --path.",
    },
];

/** The settings table by key. */
export const SETTING_BY_KEY: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.key, s]));

/** A setting's default; throws for a key outside the table, so a typo cannot pass silently. */
export function defaultOf(key: string): string | undefined {
    const s = SETTING_BY_KEY.get(key);
    if (s === undefined) throw new Error(`no setting ${key} in core/settings.ts`);
    return s.default;
}

/** Vault's default and maximum token TTL (768h = 32 days) unless the server is tuned otherwise. */
export const MAX_TOKEN_TTL_SECONDS = 768 * 3600;

/** One entry of Pulumi.yaml's `config:` block. */
export interface ProjectConfigEntry {
    readonly type: "string" | "integer" | "boolean";
    readonly default: string | number | boolean;
    readonly description: string;
}

/**
 * The `config:` block of Pulumi.yaml as the table defines it: every plain setting with a default
 * (a declared key without one would be required of every stack).
 */
export function projectConfig(): Record<string, ProjectConfigEntry> {
    const typed = (s: Setting): string | number | boolean =>
        s.yamlType === "integer" ? Number(s.default) : s.yamlType === "boolean" ? s.default === "true" : s.default!;
    return Object.fromEntries(
        SETTINGS.filter((s) => s.yamlType !== undefined && s.default !== undefined).map((s) => [
            s.key,
            { type: s.yamlType!, default: typed(s), description: s.description },
        ]),
    );
}

/** The JSON text of a list setting (`keyHolders`, `nodeHosts`) as a list; undefined when it is not one. */
export function jsonList(raw: string): unknown[] | undefined {
    try {
        const parsed: unknown = JSON.parse(raw);
        return Array.isArray(parsed) ? parsed : undefined;
    } catch {
        return undefined;
    }
}
