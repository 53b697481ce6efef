import { keyRejected, notInitialised, stillSealed } from "../messages";
import { apiErrors, vaultApi } from "./client";

/** The server's answer to sys/seal-status (and to each sys/unseal). */
export interface SealStatus {
    readonly initialized: boolean;
    readonly sealed: boolean;
    /** Threshold: keys needed. */
    readonly t: number;
    /** Key shares. */
    readonly n: number;
    /** Keys accepted so far in this round. */
    readonly progress: number;
}

/** Where a message for the operator goes (never a secret). */
export type Say = (message: string) => void;

/** The seal status of the server at `address`. */
export async function sealStatus(address: string): Promise<SealStatus> {
    const r = await vaultApi(address, "GET", "/v1/sys/seal-status");
    // A failing server must not read as "not initialised" (which would send the operator to init).
    if (r.status !== 200) {
        throw new Error(`GET /v1/sys/seal-status at ${address} answered HTTP ${r.status}: ${apiErrors(r) || "no reason given"}`);
    }
    return r.json as unknown as SealStatus;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Health path that answers 200 for any running server, sealed or uninitialised included. */
export const ANY_STATE_HEALTH = "/v1/sys/health?standbyok=true&sealedcode=200&uninitcode=200";

/**
 * Wait until the server answers at all, or throw after `seconds` with the last failure and a
 * hint (e.g. from the container's log).
 */
export async function waitForApi(address: string, seconds: number, hint: () => string = () => ""): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    let last = "";
    while (Date.now() < deadline) {
        try {
            const r = await vaultApi(address, "GET", ANY_STATE_HEALTH);
            if (r.status === 200) return;
            last = `HTTP ${r.status}`;
        } catch (err) {
            last = err instanceof Error ? err.message : String(err);
        }
        await sleep(100);
    }
    throw new Error(`Vault did not answer within ${seconds}s: ${last}.${hint()}`);
}

/**
 * Right after unsealing, the server still sets itself up (mount table, policies) and answers
 * 503 for a moment; wait for the active 200 so the first request of an update is not retried
 * half-done.
 */
export async function waitForActive(address: string, seconds: number, containerName = "<container>"): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    let last = "";
    while (Date.now() < deadline) {
        const r = await vaultApi(address, "GET", "/v1/sys/health");
        if (r.status === 200) return;
        last = `HTTP ${r.status}`;
        await sleep(250);
    }
    throw new Error(`the server is unsealed but not active after ${seconds}s (${last}): check \`docker logs ${containerName}\``);
}

/** Where the next key comes from: the i-th key, knowing the threshold; undefined when there are no more. */
export type NextKey = (i: number, threshold: number) => Promise<string | undefined>;

/**
 * Feed keys until the server is unsealed (playbook steps 7 and 13). Progress is reported as
 * `2/3`; a rejected key is named by its position, never its value.
 */
export async function unseal(address: string, nextKey: NextKey, say: Say, count?: number): Promise<{ status: SealStatus; unsealedNow: boolean }> {
    let s = await sealStatus(address);
    if (!s.initialized) {
        throw new Error(notInitialised(address));
    }
    if (!s.sealed) {
        return { status: s, unsealedNow: false };
    }
    const threshold = s.t;
    let i = 0;
    for (; s.sealed; i++) {
        const key = await nextKey(i, threshold);
        if (key === undefined) {
            throw new Error(stillSealed(s.progress, threshold, i));
        }
        const r = await vaultApi(address, "POST", "/v1/sys/unseal", { body: { key: key.trim() } });
        if (r.status !== 200) {
            throw new Error(keyRejected(i + 1, count, r.status, apiErrors(r)));
        }
        s = r.json as unknown as SealStatus;
        say(`unseal progress ${s.sealed ? s.progress : threshold}/${threshold}`);
    }
    return { status: s, unsealedNow: true };
}

/** Unseal with a list of keys (from the state or handed in). */
export function unsealWith(address: string, keys: readonly string[], say: Say): Promise<{ status: SealStatus; unsealedNow: boolean }> {
    return unseal(address, async (i) => keys[i], say, keys.length);
}
