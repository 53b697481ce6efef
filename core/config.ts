import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { ExtraSecret } from "./extraSecrets";
import { KeyHolder } from "./keyHolders";
import { NodeHost } from "./nodeHosts";
import { NS } from "./names";
import {
    RawConfig,
    RawValue,
    adoptRule,
    bindRule,
    extraSecretsRule,
    keyHoldersRule,
    nodeHostsRule,
    nodesRule,
    parseAll,
    requiredSecretsRule,
    thresholdRule,
    ttlRule,
} from "./validate";

/** The validated, typed settings of a stack. Secret values are kept out: see `SecretInputs`. */
export interface StackConfig {
    /** Docker image of the Vault-compatible server. */
    readonly image: string;
    /** Host address the API port is published on. */
    readonly bindAddress: string;
    /** Host port the API is published on. */
    readonly port: number;
    /** Storage backend: the playbook's file storage, or integrated Raft. */
    readonly storage: "file" | "raft";
    /** Server nodes (1, 3 or 5; more than 1 on Raft only). */
    readonly nodes: number;
    /** Where each node runs and is reached, when the cluster spans Docker hosts; empty on one host. */
    readonly nodeHosts: readonly NodeHost[];
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
    /** Which secret settings the operator supplied (the rest are generated or placeholders). */
    readonly supplied: ReadonlySet<string>;
    /** Key holders, one per share (key-holder custody), or empty: the keys are kept in the state. */
    readonly keyHolders: readonly KeyHolder[];
    /** Whether unseal keys (and perhaps a root token) were handed in to adopt an initialised server. */
    readonly adopt: boolean;
}

/**
 * Validate raw stack config into typed settings: the per-key loop over the settings table, then
 * the cross-field rules. Every problem is collected and reported at once; secret values are
 * never echoed in a message.
 */
export function validateConfig(raw: RawConfig): { config?: StackConfig; errors: string[] } {
    const errors: string[] = [];
    const { values: v, supplied } = parseAll(raw, errors);
    thresholdRule(v, errors);
    nodesRule(v, errors);
    bindRule(v, errors);
    ttlRule(v, errors);
    requiredSecretsRule(raw, v, errors);
    adoptRule(raw, v, supplied, errors);
    const extraSecrets = extraSecretsRule(raw, errors);
    const keyHolders = keyHoldersRule(raw, v, supplied, errors);
    const nodeHosts = nodeHostsRule(raw, v, errors);
    if (errors.length > 0) {
        return { errors };
    }
    const str = (k: string): string => v[k] as string;
    return {
        errors,
        config: {
            image: str("image"),
            bindAddress: str("bindAddress"),
            port: v.port as number,
            storage: str("storage") as "file" | "raft",
            nodes: v.nodes as number,
            nodeHosts,
            keyShares: v.keyShares as number,
            keyThreshold: v.keyThreshold as number,
            appTokenTtl: str("appTokenTtl"),
            appTokenPeriod: v.appTokenPeriod as string | undefined,
            appTokenDisplayName: str("appTokenDisplayName"),
            protect: v.protect as boolean,
            auditLog: v.auditLog as boolean,
            devPlaceholders: v.devPlaceholders as boolean,
            providerTokenTtlSeconds: v.providerTokenTtlSeconds as number,
            database: { host: str("databaseHost"), port: String(v.databasePort), name: str("databaseName"), user: str("databaseUser") },
            extraSecrets,
            keyHolders,
            supplied,
            adopt: supplied.has("adoptUnsealKeys"),
        },
    };
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
    for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (fullKey.startsWith(`${NS}:`)) {
            raw[fullKey.slice(NS.length + 1)] = { value, secret: isConfigSecret(fullKey) };
        }
    }
    return raw;
}

/** Secret config values as Pulumi secrets, for the keys the operator supplied. */
export type SecretInputs = Partial<Record<string, pulumi.Output<string>>>;

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
