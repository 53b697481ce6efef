import { CONTAINER_PORT, DATA_DIR } from "./names";

/** Settings that shape the server's configuration file. */
export interface VaultHclSettings {
    /** Address the server advertises to clients (`api_addr`). */
    readonly apiAddr: string;
    /** Serve the web UI. */
    readonly ui: boolean;
}

/** Render vault.hcl as the playbook's step 2: file storage, plain tcp listener, api_addr, ui, disable_mlock. */
export function renderVaultHcl(s: VaultHclSettings): string {
    return [
        `storage "file" {`,
        `  path = "${DATA_DIR}"`,
        `}`,
        ``,
        `listener "tcp" {`,
        `  address     = "0.0.0.0:${CONTAINER_PORT}"`,
        `  tls_disable = 1`,
        `}`,
        ``,
        `api_addr = "${s.apiAddr}"`,
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
