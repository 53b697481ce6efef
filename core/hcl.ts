import { CLUSTER_PORT, CONTAINER_PORT, DATA_DIR } from "./names";

/** Raft storage of one node: its ID, the address peers reach its cluster port at, and the peers' API addresses to join. */
export interface RaftNode {
    readonly nodeId: string;
    readonly clusterAddr: string;
    readonly peers: readonly string[];
}

/** Settings that shape the server's configuration file. */
export interface VaultHclSettings {
    /** Address the server advertises to clients (`api_addr`). */
    readonly apiAddr: string;
    /** Serve the web UI. */
    readonly ui: boolean;
    /** Integrated Raft storage for this node; file storage (the playbook's) when absent. */
    readonly raft?: RaftNode;
}

/** Render vault.hcl as the playbook's step 2: file storage, plain tcp listener, api_addr, ui, disable_mlock; or a Raft node. */
export function renderVaultHcl(s: VaultHclSettings): string {
    const r = s.raft;
    const storage =
        r === undefined
            ? [`storage "file" {`, `  path = "${DATA_DIR}"`, `}`]
            : [
                  `storage "raft" {`,
                  `  path    = "${DATA_DIR}"`,
                  `  node_id = "${r.nodeId}"`,
                  ...r.peers.flatMap((p) => [``, `  retry_join {`, `    leader_api_addr = "${p}"`, `  }`]),
                  `}`,
              ];
    return [
        ...storage,
        ``,
        `listener "tcp" {`,
        `  address     = "0.0.0.0:${CONTAINER_PORT}"`,
        ...(r === undefined ? [] : [`  cluster_address = "0.0.0.0:${CLUSTER_PORT}"`]),
        `  tls_disable = 1`,
        `}`,
        ``,
        `api_addr = "${s.apiAddr}"`,
        ...(r === undefined ? [] : [`cluster_addr = "${r.clusterAddr}"`]),
        ``,
        `ui = ${s.ui}`,
        ``,
        `disable_mlock = true`,
        ``,
    ].join("\n");
}

/**
 * Render the application policy: read on each path's data and read+list on its metadata, nothing
 * else (no write, no delete, no sys/).
 */
export function renderReadPolicy(mount: string, paths: readonly string[]): string {
    const blocks = paths.map((p) =>
        [`path "${mount}/data/${p}" {`, `  capabilities = ["read"]`, `}`, ``, `path "${mount}/metadata/${p}" {`, `  capabilities = ["read", "list"]`, `}`].join(
            "\n",
        ),
    );
    return `# Read-only access to the application's secrets; managed by Pulumi.\n\n${blocks.join("\n\n")}\n`;
}
