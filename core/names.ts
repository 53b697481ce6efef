/** The project name in Pulumi.yaml: the config namespace and the label every Docker object carries. */
export const NS = "vault-stack";

/** Label on every Docker object this program makes, so an operator can list them. */
export const MANAGED_BY = { label: "managed-by", value: NS } as const;

/** `docker ps` filter for this program's containers. */
export const MANAGED_FILTER = `label=${MANAGED_BY.label}=${MANAGED_BY.value}`;

/** The default server image (the chapter's); the operator may pick another. */
export const DEFAULT_IMAGE = "hashicorp/vault:1.17";

/** The locally built MPL server image the setup produces when no registry answers. */
export const LOCAL_IMAGE = process.env.SERVER_IMAGE ?? "vault-stack/vault-mpl:1.14.8-local";

/** Physical Docker names of one stack; they include the stack so stacks coexist on one host. */
export interface PhysicalNames {
    readonly container: string;
    readonly network: string;
    readonly dataVolume: string;
    readonly logsVolume: string;
}

/** The physical Docker names of a stack's objects. */
export function physicalNames(stack: string): PhysicalNames {
    const container = `vault-${stack}`;
    return { container, network: `${container}-net`, dataVolume: `${container}-data`, logsVolume: `${container}-logs` };
}

/**
 * The physical Docker names of node `index` of a stack's cluster. Node 0 keeps the names of a
 * single server, so a stack's first node is the server it always had.
 */
export function nodeNames(stack: string, index: number): PhysicalNames {
    if (index === 0) return physicalNames(stack);
    const container = `vault-${stack}-${index}`;
    return { container, network: physicalNames(stack).network, dataVolume: `${container}-data`, logsVolume: `${container}-logs` };
}

/** Raft's ID of node `index` (stable, so a node whose volume is recreated rejoins under its name). */
export const nodeId = (index: number): string => `node${index}`;

/** Port of the cluster listener inside the container (Raft and request forwarding). */
export const CLUSTER_PORT = 8201;

/** Label on Raft data volumes: the storage they hold (a volume without it holds file storage). */
export const STORAGE_LABEL = "vault-stack.storage";

/** The address this host reaches a server published on `bindAddress` through (0.0.0.0 through loopback). */
export function hostAddress(bindAddress: string): string {
    return bindAddress === "0.0.0.0" ? "127.0.0.1" : bindAddress;
}

/** The API address of a server published on `bindAddress`:`port`, as seen from this host. */
export function apiAddress(bindAddress: string, port: number): string {
    return `http://${hostAddress(bindAddress)}:${port}`;
}

/** The mount path of the KV v2 engine. */
export const KV_MOUNT = "secret";
/** Path of the file storage inside the container. */
export const DATA_DIR = "/vault/data";
/** Path of the logs (audit) directory inside the container. */
export const LOGS_DIR = "/vault/logs";
/** Where the rendered configuration file is delivered inside the container. */
export const CONFIG_FILE = "/vault/stack/vault.hcl";
/** Port the server listens on inside the container. */
export const CONTAINER_PORT = 8200;
/** The audit log file inside the container. */
export const AUDIT_FILE = `${LOGS_DIR}/audit.log`;

/**
 * Where the encrypted init record of a stack's server lives on this host, outside the container
 * and its volumes (it must survive them being recreated).
 */
export function initRecordFile(stack: string, home = process.env.HOME ?? "/root"): string {
    const base = process.env.XDG_STATE_HOME ?? `${home}/.local/state`;
    return `${base}/${NS}/init-records/${physicalNames(stack).container}.rec`;
}

/** The policy of this program's own admin identity (written once, with the root token). */
export const ADMIN_POLICY = `${NS}-admin`;
/** The token role app tokens are created through: orphan, only the app policy. */
export const APP_TOKEN_ROLE = `${NS}-app`;
/** Display name of the admin token (Vault shows it as token-<name>). */
export const ADMIN_TOKEN_NAME = `${NS}-admin`;
/** Period of the admin token: every update renews it; unrenewed this long, it lapses. */
export const ADMIN_TOKEN_PERIOD = "720h";
/** The path of the file audit device. */
export const AUDIT_DEVICE_PATH = "file";
/** Logical name of the one-time bootstrap command (the component "vault"'s child), for `npm run generate-root`'s replace. */
export const ADMIN_COMMAND = "vault-admin";
/** The URN name of the one-time init command (components/vaultInit, `<name>-init`). */
export const INIT_COMMAND = "vault-init";
/** The variable through which `npm run generate-root` hands a freshly generated root token to the bootstrap (never argv). */
export const ROOT_TOKEN_ENV = "VAULT_STACK_ROOT_TOKEN";

/** The app's read policy, named after the app token's display name. */
export const appPolicyName = (appTokenDisplayName: string): string => `${appTokenDisplayName}-read`;
