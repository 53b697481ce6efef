import { apiErrors, vaultApi } from "./client";

/** Stored KV v2 data by path; a path that does not exist reads as null. */
export type StoredData = Record<string, Record<string, string> | null>;

/** Read KV v2 paths with a token (for adoption: generated fields keep their stored values). */
export async function readKvPaths(address: string, token: string, mount: string, paths: readonly string[]): Promise<StoredData> {
    const out: StoredData = {};
    for (const p of paths) {
        const r = await vaultApi(address, "GET", `/v1/${mount}/data/${p}`, { token });
        const data = (r.json.data as { data?: Record<string, string> } | undefined)?.data;
        if (r.status === 200 && data !== undefined) {
            out[p] = data;
        } else if (r.status === 404) {
            out[p] = null;
        } else {
            throw new Error(`reading ${mount}/${p} answered HTTP ${r.status}: ${apiErrors(r)}`);
        }
    }
    return out;
}
