import { adoptionNeeded, rootTokenRefused } from "../messages";
import { generateRoot } from "./admin";
import { apiErrors, vaultApi } from "./client";
import { loadRecord, saveRecord } from "./record";
import { Say, unsealWith, waitForActive } from "./seal";

/** The init record the init step prints and the state keeps (secret as a whole). */
export interface InitRecord {
    /** Base64 unseal key shares. */
    readonly unseal_keys_b64: string[];
    /** The initial root token. */
    readonly root_token: string;
    /** "init" when this stack initialised the server, "adopted" when keys were handed in. */
    readonly source: "init" | "adopted";
    /** Key shares and threshold the server reported or was initialised with. */
    readonly shares: number;
    readonly threshold: number;
    /**
     * Key-holder custody: the holders' names, in share order. `unseal_keys_b64` then holds each
     * share encrypted by Vault to that holder's PGP key (base64 of the PGP message).
     */
    readonly key_holders?: string[];
}

/** What the program reads from an init record. */
export interface InitResult {
    /** Plaintext unseal keys, or (with `holders`) the PGP-encrypted shares. */
    readonly unsealKeys: string[];
    readonly rootToken: string;
    readonly source: "init" | "adopted";
    /** The key holders' names in share order, when the shares are PGP-encrypted to them. */
    readonly holders?: string[];
}

/** The PGP keys of the key holders, in share order: `pgp_keys` of the init request. */
export interface HolderKeys {
    readonly names: readonly string[];
    readonly keys: readonly string[];
}

/**
 * Parse the init step's stdout. Throws a message that never contains the text itself, since it
 * holds the keys.
 */
export function parseInitOutput(stdout: string): InitResult {
    let parsed: unknown;
    try {
        parsed = JSON.parse(stdout);
    } catch {
        throw new Error(
            `the init step printed ${stdout.length} characters that are not JSON; its record in the state is damaged (see docs/operations.md, "Adopting a server")`,
        );
    }
    const p = parsed as { unseal_keys_b64?: unknown; root_token?: unknown; source?: unknown; key_holders?: unknown };
    if (!Array.isArray(p.unseal_keys_b64) || p.unseal_keys_b64.length === 0 || p.unseal_keys_b64.some((k) => typeof k !== "string" || k === "")) {
        throw new Error("the init step's output has no unseal keys; its record in the state is damaged");
    }
    if (typeof p.root_token !== "string" || p.root_token === "") {
        throw new Error("the init step's output has no root token; its record in the state is damaged");
    }
    const keys = p.unseal_keys_b64 as string[];
    const holders = Array.isArray(p.key_holders) ? (p.key_holders as unknown[]).map(String) : undefined;
    if (holders !== undefined && holders.length !== keys.length) {
        throw new Error(`the init step's output names ${holders.length} key holders for ${keys.length} shares; its record in the state is damaged`);
    }
    return { unsealKeys: keys, rootToken: p.root_token, source: p.source === "adopted" ? "adopted" : "init", ...(holders === undefined ? {} : { holders }) };
}

/** The previous run's record when it is a complete one (an update of the init resource), else undefined. */
export function previousRecord(previousStdout: string | undefined): string | undefined {
    const prev = (previousStdout ?? "").trim();
    if (!prev.startsWith("{")) return undefined;
    try {
        parseInitOutput(prev);
        return prev;
    } catch {
        return undefined;
    }
}

/** What the init step needs. */
export interface InitRequest {
    readonly address: string;
    readonly shares: number;
    readonly threshold: number;
    /** The record this resource printed before, if any. */
    readonly previousStdout?: string;
    /** Keys handed in to adopt an initialised server. */
    readonly adoptKeys: readonly string[];
    /** A root token handed in with them; "" when none (one is made from the keys with generate-root). */
    readonly adoptToken: string;
    readonly containerName?: string;
    /** The encrypted init record's file and key: a crash between init and the state is recovered from it. */
    readonly record?: { readonly file: string; readonly key: string };
    /** Key-holder custody: each share is encrypted by Vault to its holder's PGP key. */
    readonly holders?: HolderKeys;
}

/** Performs the init request and returns the record (written durably first); see `requestInit`. */
export type PerformInit = () => Promise<string>;

/**
 * The init request itself, with no client timeout (a slow disk or many shares must not turn a
 * successful init into a lost one). The record is written encrypted and fsynced before anything
 * else is done with it. `afterResponse` runs between the answer and the write (fault injection).
 */
export async function requestInit(
    address: string,
    shares: number,
    threshold: number,
    record: { readonly file: string; readonly key: string } | undefined,
    afterResponse: () => void = () => undefined,
    holders?: HolderKeys,
): Promise<string> {
    const body: Record<string, unknown> = { secret_shares: shares, secret_threshold: threshold };
    if (holders !== undefined) body.pgp_keys = holders.keys;
    const r = await vaultApi(address, "PUT", "/v1/sys/init", { body, timeoutMs: null });
    const keys = r.json.keys_base64;
    if (r.status !== 200 || !Array.isArray(keys) || typeof r.json.root_token !== "string") {
        throw new Error(`PUT /v1/sys/init answered HTTP ${r.status}: ${apiErrors(r)}`);
    }
    const rec: InitRecord = { unseal_keys_b64: keys as string[], root_token: r.json.root_token, source: "init", shares, threshold };
    const text = JSON.stringify(holders === undefined ? rec : { ...rec, key_holders: [...holders.names] });
    afterResponse();
    if (record !== undefined) saveRecord(record.file, text, record.key);
    return text;
}

/**
 * The one-time `operator init` (playbook step 5), or adoption of an initialised server with
 * handed-in keys (and a root token, or one made from the keys). Returns the record as JSON text.
 * Never initialises an initialised server.
 */
export async function initOrAdopt(req: InitRequest, say: Say, performInit?: PerformInit): Promise<string> {
    const previous = previousRecord(req.previousStdout);
    if (previous !== undefined) {
        say("already initialised by this stack: keeping the keys it holds");
        return previous;
    }
    const state = await vaultApi(req.address, "GET", "/v1/sys/init");
    if (state.status !== 200) {
        throw new Error(`GET /v1/sys/init answered HTTP ${state.status}: ${apiErrors(state)}`);
    }
    if (state.json.initialized !== true) {
        const record = await (performInit ?? (() => requestInit(req.address, req.shares, req.threshold, req.record, undefined, req.holders)))();
        say(
            `initialised with ${req.shares} key shares, threshold ${req.threshold}` +
                (req.holders === undefined ? "" : `; each share is encrypted to its key holder (${req.holders.names.join(", ")})`),
        );
        return record;
    }
    // Initialised, and the state holds no keys: an init of this stack whose update died before
    // the state saved its answer left the record behind.
    const recovered = req.record === undefined ? undefined : previousRecord(loadRecord(req.record.file, req.record.key));
    if (recovered !== undefined) {
        say(`recovered the keys of this stack's own init from its encrypted record ${req.record!.file}`);
        return recovered;
    }
    if (req.adoptKeys.length === 0) {
        throw new Error(adoptionNeeded(req.address));
    }
    const { status } = await unsealWith(req.address, req.adoptKeys, say);
    await waitForActive(req.address, 30, req.containerName);
    let root = req.adoptToken;
    if (root === "") {
        // The root token of an earlier stack was retired after its bootstrap: make a short-lived
        // one from the handed-in keys; the bootstrap revokes it as it revokes any root token.
        root = await generateRoot(req.address, async (i) => req.adoptKeys[i], say);
        say("made a short-lived root token from the handed-in keys (generate-root); the admin bootstrap revokes it");
    } else {
        const who = await vaultApi(req.address, "GET", "/v1/auth/token/lookup-self", { token: root });
        if (who.status !== 200) {
            throw new Error(rootTokenRefused(who.status));
        }
    }
    say("adopted the initialised server with the handed-in keys");
    const record: InitRecord = { unseal_keys_b64: [...req.adoptKeys], root_token: root, source: "adopted", shares: status.n, threshold: status.t };
    return JSON.stringify(record);
}
