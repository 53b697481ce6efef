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

/** A standby node of a Raft cluster as the unseal step reaches it. */
export interface NodeState {
    readonly address: string;
    readonly sealed?: boolean;
    /** Why the node could not be unsealed (it stays out of this update; never a key). */
    readonly problem?: string;
}

/**
 * Unseal a Raft standby with the cluster's keys. A node that has not joined yet learns from its
 * `retry_join` that the cluster is initialised; the threshold of keys then completes its join
 * (seal status stays sealed with progress 0 meanwhile), after which it reports unsealed.
 */
export async function unsealStandby(address: string, keys: readonly string[], say: Say, seconds = 60): Promise<NodeState> {
    const deadline = Date.now() + seconds * 1000;
    let s = await sealStatus(address);
    while (!s.initialized && Date.now() < deadline) {
        await sleep(500);
        s = await sealStatus(address);
    }
    if (!s.initialized) return { address, sealed: true, problem: `it has not joined the cluster within ${seconds}s (its retry_join reaches no unsealed peer)` };
    if (!s.sealed) return { address, sealed: false };
    for (let i = 0; i < keys.length && s.sealed && !(i >= s.t && s.progress === 0); i++) {
        const r = await vaultApi(address, "POST", "/v1/sys/unseal", { body: { key: keys[i]!.trim() } });
        if (r.status !== 200) return { address, sealed: true, problem: keyRejected(i + 1, keys.length, r.status, apiErrors(r)) };
        s = r.json as unknown as SealStatus;
    }
    while (s.sealed && Date.now() < deadline) {
        await sleep(500);
        s = await sealStatus(address);
    }
    if (s.sealed) return { address, sealed: true, problem: `it took the keys but is still sealed after ${seconds}s (joining the cluster)` };
    say(`unsealed the standby ${address}`);
    return { address, sealed: false };
}

/**
 * Raft: wait until this node is unsealed and the cluster has an active node that answers (this
 * one or another: a standby forwards requests to it). Returns the active node's API address.
 */
export async function waitForLeader(address: string, seconds: number, containerName = "<container>"): Promise<string> {
    const deadline = Date.now() + seconds * 1000;
    let last = "";
    while (Date.now() < deadline) {
        const h = await vaultApi(address, "GET", "/v1/sys/health?standbyok=true").catch(() => undefined);
        const leader = h?.status === 200 ? await vaultApi(address, "GET", "/v1/sys/leader").catch(() => undefined) : undefined;
        const at = typeof leader?.json.leader_address === "string" ? leader.json.leader_address : "";
        if (at !== "") {
            const active = await vaultApi(at, "GET", "/v1/sys/health").catch(() => undefined);
            if (active?.status === 200) return at;
            last = `the active node ${at} answers HTTP ${active?.status ?? "nothing"}`;
        } else {
            last = h === undefined ? "no answer" : `HTTP ${h.status}, no active node yet`;
        }
        await sleep(250);
    }
    throw new Error(`the cluster has no active node ${seconds}s after unsealing (${last}): check \`docker logs ${containerName}\``);
}
