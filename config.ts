import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { EXTRA_PATH_RE, FIXED_SECRET_PATHS } from "./components/secretPaths";

/** The config namespace: the project name in Pulumi.yaml. */
export const NS = "vault-stack";

/** A config value as read from the stack: the raw string, and whether it is stored as a secret. */
export interface RawValue {
    readonly value: string;
    readonly secret: boolean;
}

/** Raw stack config by key (without the namespace); absent keys are missing. */
export type RawConfig = Readonly<Record<string, RawValue | undefined>>;

/** One extra KV path from `extraSecrets`: its fields (secret values) and whether the app token may read it. */
export interface ExtraSecret {
    readonly fields: Readonly<Record<string, string>>;
    readonly appCanRead: boolean;
}

/** The validated, typed settings of a stack. Secret values are kept out: see `SecretInputs`. */
export interface StackConfig {
    /** Docker image of the Vault-compatible server. */
    readonly image: string;
    /** Host address the API port is published on. */
    readonly bindAddress: string;
    /** Host port the API is published on. */
    readonly port: number;
    /** Number of unseal key shares `operator init` creates. */
    readonly keyShares: number;
    /** Number of shares needed to unseal. */
    readonly keyThreshold: number;
    /** TTL of the application token, Go duration syntax. */
    readonly appTokenTtl: string;
    /** Period of the application token (periodic token) or undefined. */
    readonly appTokenPeriod?: string;
    /** Display name of the application token. */
    readonly appTokenDisplayName: string;
    /** Protect the data volume and the init record against `pulumi destroy`. */
    readonly protect: boolean;
    /** Enable the file audit device on the logs volume. */
    readonly auditLog: boolean;
    /** Dev-only: fill missing third-party credentials with marked placeholders. */
    readonly devPlaceholders: boolean;
    /** Lease of the short-lived child token the Vault provider works with, in seconds. */
    readonly providerTokenTtlSeconds: number;
    /** Non-secret database settings. */
    readonly database: { readonly host: string; readonly port: string; readonly name: string; readonly user: string };
    /** Further KV paths beyond the five of the playbook, by path. */
    readonly extraSecrets: Readonly<Record<string, ExtraSecret>>;
    /** Which optional secrets the operator supplied (the rest are generated or placeholders). */
    readonly supplied: ReadonlySet<SecretKey>;
    /** Whether unseal keys and a root token were handed in to adopt an initialised server. */
    readonly adopt: boolean;
}

/** Config keys that hold secret values. */
export const SECRET_KEYS = [
    "openrouterApiKey",
    "telegramBotToken",
    "telegramChatId",
    "githubToken",
    "databasePassword",
    "cockpitJwtSecret",
    "cockpitAdminPassword",
    "adoptUnsealKeys",
    "adoptRootToken",
] as const;
/** A config key that holds a secret value. */
export type SecretKey = (typeof SECRET_KEYS)[number];

/** Secrets the operator must supply (unless `devPlaceholders` is on). */
export const REQUIRED_SECRETS: readonly SecretKey[] = ["openrouterApiKey", "telegramBotToken", "telegramChatId", "githubToken"];

/** Every key the program reads, with its default; anything else under the namespace is a typo. */
export const DEFAULTS: Readonly<Record<string, string | undefined>> = {
    image: "hashicorp/vault:1.17",
    bindAddress: "127.0.0.1",
    port: "8200",
    allowInsecureBind: "false",
    keyShares: "5",
    keyThreshold: "3",
    appTokenTtl: "720h",
    appTokenPeriod: undefined,
    appTokenDisplayName: "openclaw-app",
    protect: "true",
    auditLog: "true",
    devPlaceholders: "false",
    providerTokenTtlSeconds: "1200",
    databaseHost: "127.0.0.1",
    databasePort: "5432",
    databaseName: "oa_system",
    databaseUser: "oa_admin",
    extraSecrets: undefined,
};

/** Vault's default and maximum token TTL (768h = 32 days) unless the server is tuned otherwise. */
export const MAX_TOKEN_TTL_SECONDS = 768 * 3600;

const set = (key: string, value: string | number): string => `\`pulumi config set ${NS}:${key} ${value}\``;
const setSecret = (key: string): string => `\`pulumi config set --secret ${NS}:${key} <value>\``;

/** Parse a Go duration ("720h", "1h30m", "90s") into seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
    const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?$/.exec(text.trim());
    if (!m || text.trim() === "" || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) {
        return undefined;
    }
    return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** True for addresses that only this host can reach. */
export function isLoopback(address: string): boolean {
    return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === "::1" || address === "localhost";
}

function parseBool(key: string, raw: string, errors: string[]): boolean {
    if (raw === "true" || raw === "false") {
        return raw === "true";
    }
    errors.push(`\`${NS}:${key}\` (${raw}) must be true or false: set ${set(key, "true")} or ${set(key, "false")}`);
    return false;
}

function parseInteger(key: string, raw: string, min: number, max: number, fix: number, errors: string[]): number {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw) || n < min || n > max) {
        errors.push(`\`${NS}:${key}\` (${raw}) must be a whole number from ${min} to ${max}: set ${set(key, fix)}`);
        return fix;
    }
    return n;
}

function parseExtraSecrets(raw: string | undefined, errors: string[]): Record<string, ExtraSecret> {
    if (raw === undefined) {
        return {};
    }
    const fix = `\`pulumi config set --secret --path '${NS}:extraSecrets.myapp.fields.api_key' <value>\``;
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        errors.push(`\`${NS}:extraSecrets\` is not a map of paths: set it with ${fix}`);
        return {};
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        errors.push(`\`${NS}:extraSecrets\` must be a map of path to { fields, appCanRead }: set it with ${fix}`);
        return {};
    }
    const result: Record<string, ExtraSecret> = {};
    for (const [path, entry] of Object.entries(parsed as Record<string, unknown>)) {
        const where = `\`${NS}:extraSecrets.${path}\``;
        if (!EXTRA_PATH_RE.test(path)) {
            errors.push(
                `${where}: the path "${path}" is not allowed: use 1 to 8 segments of letters, digits, '-' or '_' separated by '/', e.g. ${fix.replace("myapp", "team/app")}`,
            );
            continue;
        }
        if ((FIXED_SECRET_PATHS as readonly string[]).includes(path.split("/")[0]!)) {
            errors.push(`${where}: the path "${path}" collides with the playbook's secret/${path.split("/")[0]}; choose another path`);
            continue;
        }
        const e = (entry ?? {}) as { fields?: unknown; appCanRead?: unknown };
        const fields = e.fields;
        if (typeof fields !== "object" || fields === null || Array.isArray(fields) || Object.keys(fields).length === 0) {
            errors.push(`${where} has no fields: set at least one with ${fix.replace("myapp", path)}`);
            continue;
        }
        const clean: Record<string, string> = {};
        for (const [field, value] of Object.entries(fields as Record<string, unknown>)) {
            if (field.trim() === "") {
                errors.push(`${where} has an empty field name: every field needs a name`);
            } else if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
                errors.push(`${where}.fields.${field} must be a string value`);
            } else {
                clean[field] = String(value);
            }
        }
        if (e.appCanRead !== undefined && typeof e.appCanRead !== "boolean") {
            errors.push(`${where}.appCanRead must be true or false`);
        }
        result[path] = { fields: clean, appCanRead: e.appCanRead === true };
    }
    return result;
}

/**
 * Validate raw stack config into typed settings. Every problem is collected and reported at
 * once; secret values are never echoed in a message.
 */
export function validateConfig(raw: RawConfig): { config?: StackConfig; errors: string[] } {
    const errors: string[] = [];
    const get = (key: string): string | undefined => raw[key]?.value ?? DEFAULTS[key];

    for (const key of Object.keys(raw)) {
        if (!(key in DEFAULTS) && !(SECRET_KEYS as readonly string[]).includes(key)) {
            const known = [...Object.keys(DEFAULTS), ...SECRET_KEYS].join(", ");
            errors.push(`\`${NS}:${key}\` is not a setting of this program (known: ${known}): remove it with \`pulumi config rm ${NS}:${key}\``);
        }
    }

    const image = get("image")!.trim();
    if (!/^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/.test(image)) {
        errors.push(`\`${NS}:image\` (${image}) is not a Docker image reference like hashicorp/vault:1.17: set ${set("image", "hashicorp/vault:1.17")}`);
    }

    const port = parseInteger("port", get("port")!, 1, 65535, 8200, errors);
    const bindAddress = get("bindAddress")!.trim();
    if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(bindAddress) && bindAddress !== "::1" && bindAddress !== "localhost") {
        errors.push(`\`${NS}:bindAddress\` (${bindAddress}) must be an IPv4 address such as 127.0.0.1: set ${set("bindAddress", "127.0.0.1")}`);
    } else if (!isLoopback(bindAddress) && !parseBool("allowInsecureBind", get("allowInsecureBind")!, errors)) {
        errors.push(
            `\`${NS}:bindAddress\` (${bindAddress}) publishes Vault beyond this host while TLS is off, so tokens and unseal keys would cross the network in clear text: ` +
                `set ${set("bindAddress", "127.0.0.1")} (reach it through a tunnel such as Tailscale), or accept the risk with ${set("allowInsecureBind", "true")}`,
        );
    } else {
        parseBool("allowInsecureBind", get("allowInsecureBind")!, errors);
    }

    const keyShares = parseInteger("keyShares", get("keyShares")!, 1, 255, 5, errors);
    const keyThreshold = parseInteger("keyThreshold", get("keyThreshold")!, 1, 255, 3, errors);
    if (keyThreshold > keyShares) {
        errors.push(
            `\`${NS}:keyThreshold\` (${keyThreshold}) is larger than \`${NS}:keyShares\` (${keyShares}): set ${set("keyThreshold", Math.min(3, keyShares))}`,
        );
    } else if (keyShares > 1 && keyThreshold < 2) {
        errors.push(
            `\`${NS}:keyThreshold\` (${keyThreshold}) must be at least 2 when \`${NS}:keyShares\` (${keyShares}) is more than 1, or one share opens everything: set ${set("keyThreshold", Math.min(3, keyShares))}`,
        );
    }

    const appTokenTtl = get("appTokenTtl")!.trim();
    const appTokenPeriod = get("appTokenPeriod")?.trim();
    const ttlSeconds = parseDuration(appTokenTtl);
    if (ttlSeconds === undefined || ttlSeconds <= 0) {
        errors.push(`\`${NS}:appTokenTtl\` (${appTokenTtl}) is not a Go duration such as 720h or 1h30m: set ${set("appTokenTtl", "720h")}`);
    } else if (ttlSeconds > MAX_TOKEN_TTL_SECONDS && appTokenPeriod === undefined) {
        errors.push(
            `\`${NS}:appTokenTtl\` (${appTokenTtl}) is longer than Vault's maximum token TTL of 768h: set ${set("appTokenTtl", "720h")}, or make the token periodic with ${set("appTokenPeriod", "720h")}`,
        );
    }
    if (appTokenPeriod !== undefined) {
        const p = parseDuration(appTokenPeriod);
        if (p === undefined || p <= 0) {
            errors.push(`\`${NS}:appTokenPeriod\` (${appTokenPeriod}) is not a Go duration such as 720h: set ${set("appTokenPeriod", "720h")}`);
        }
    }
    const appTokenDisplayName = get("appTokenDisplayName")!.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(appTokenDisplayName)) {
        errors.push(
            `\`${NS}:appTokenDisplayName\` (${appTokenDisplayName}) must be 1 to 64 letters, digits, '.', '_' or '-': set ${set("appTokenDisplayName", "openclaw-app")}`,
        );
    }

    const protect = parseBool("protect", get("protect")!, errors);
    const auditLog = parseBool("auditLog", get("auditLog")!, errors);
    const devPlaceholders = parseBool("devPlaceholders", get("devPlaceholders")!, errors);
    const providerTokenTtlSeconds = parseInteger("providerTokenTtlSeconds", get("providerTokenTtlSeconds")!, 10, 86400, 1200, errors);

    const dbPort = get("databasePort")!.trim();
    parseInteger("databasePort", dbPort, 1, 65535, 5432, errors);
    const database = { host: get("databaseHost")!.trim(), port: dbPort, name: get("databaseName")!.trim(), user: get("databaseUser")!.trim() };
    for (const [key, value] of [
        ["databaseHost", database.host],
        ["databaseName", database.name],
        ["databaseUser", database.user],
    ] as const) {
        if (value === "") {
            errors.push(`\`${NS}:${key}\` is empty: set ${set(key, DEFAULTS[key]!)}`);
        }
    }

    const supplied = new Set<SecretKey>();
    for (const key of SECRET_KEYS) {
        const v = raw[key];
        if (v === undefined) {
            continue;
        }
        if (!v.secret) {
            errors.push(`\`${NS}:${key}\` is stored in plain text in the stack file: store it encrypted with ${setSecret(key)}`);
        } else if (v.value.trim() === "") {
            errors.push(`\`${NS}:${key}\` is empty: set it with ${setSecret(key)}`);
        } else {
            supplied.add(key);
        }
    }
    if (!devPlaceholders) {
        for (const key of REQUIRED_SECRETS) {
            if (raw[key] === undefined) {
                errors.push(`\`${NS}:${key}\` is missing: set it with ${setSecret(key)}`);
            }
        }
    }
    const adopt = supplied.has("adoptUnsealKeys") || supplied.has("adoptRootToken");
    if (adopt && !(supplied.has("adoptUnsealKeys") && supplied.has("adoptRootToken"))) {
        const missing = supplied.has("adoptUnsealKeys") ? "adoptRootToken" : "adoptUnsealKeys";
        errors.push(
            `\`${NS}:${missing}\` is missing: adopting an initialised server needs both the unseal keys and the root token: set it with ${setSecret(missing)}`,
        );
    }
    if (supplied.has("adoptUnsealKeys")) {
        const n = splitKeys(raw.adoptUnsealKeys!.value).length;
        if (n < keyThreshold) {
            errors.push(
                `\`${NS}:adoptUnsealKeys\` holds ${n} key(s) but the threshold is ${keyThreshold}: hand in at least ${keyThreshold}, separated by commas, with ${setSecret("adoptUnsealKeys")}`,
            );
        }
    }

    if (raw.extraSecrets !== undefined && !raw.extraSecrets.secret) {
        errors.push(
            `\`${NS}:extraSecrets\` holds secret values but is stored in plain text: set each value with \`pulumi config set --secret --path '${NS}:extraSecrets.<path>.fields.<field>' <value>\``,
        );
    }
    const extraSecrets = raw.extraSecrets?.secret === false ? {} : parseExtraSecrets(raw.extraSecrets?.value, errors);

    if (errors.length > 0) {
        return { errors };
    }
    return {
        errors,
        config: {
            image,
            bindAddress,
            port,
            keyShares,
            keyThreshold,
            appTokenTtl,
            appTokenPeriod,
            appTokenDisplayName,
            protect,
            auditLog,
            devPlaceholders,
            providerTokenTtlSeconds,
            database,
            extraSecrets,
            supplied,
            adopt,
        },
    };
}

/** Split handed-in unseal keys: a JSON array, or keys separated by commas, spaces or newlines. */
export function splitKeys(text: string): string[] {
    const t = text.trim();
    if (t.startsWith("[")) {
        try {
            const arr: unknown = JSON.parse(t);
            if (Array.isArray(arr)) {
                return arr.map(String).filter((k) => k !== "");
            }
        } catch {
            // fall through to the separator form
        }
    }
    return t.split(/[\s,]+/).filter((k) => k !== "");
}

/** The thrown error for invalid config: every problem, one per line. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(
            `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was changed:\n  - ${problems.join("\n  - ")}`,
        );
        this.name = "ConfigError";
    }
}

/** Whether a config key is stored encrypted; the SDK exports it at run time without a type. */
const isConfigSecret = (runtimeConfig as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;

/** Read the current stack's raw config from the Pulumi runtime without logging any value. */
export function readRawConfig(): RawConfig {
    const raw: Record<string, RawValue> = {};
    const all = pulumi.runtime.allConfig();
    for (const [fullKey, value] of Object.entries(all)) {
        if (!fullKey.startsWith(`${NS}:`)) {
            continue;
        }
        const key = fullKey.slice(NS.length + 1);
        raw[key] = { value, secret: isConfigSecret(fullKey) };
    }
    return raw;
}

/** Secret config values as Pulumi secrets, for the keys the operator supplied. */
export type SecretInputs = Partial<Record<SecretKey, pulumi.Output<string>>>;

/** Load, validate and return the stack's config plus its secret inputs; throws ConfigError listing every problem. */
export function loadConfig(): { config: StackConfig; secrets: SecretInputs } {
    const { config, errors } = validateConfig(readRawConfig());
    if (!config) {
        throw new ConfigError(errors);
    }
    const cfg = new pulumi.Config(NS);
    const secrets: SecretInputs = {};
    for (const key of config.supplied) {
        secrets[key] = cfg.requireSecret(key);
    }
    return { config, secrets };
}
