import * as fs from "fs";
import * as path from "path";
import { FIXED_SECRET_PATHS } from "../../core/secretPaths";
import { generateRoot, revokeSelf } from "../../core/vault/admin";
import { ScratchStack } from "../support/stack";

// Under jest: each scenario drives real `pulumi up`s, minutes rather than the unit tests' 5 s.
// Jest fails a file on any unhandled rejection, whatever listeners say; an update that must fail
// on a failed invoke (every resource input waiting on it rejects with it) therefore runs through
// the CLI (`cliUp`), whose language host runs the program in its own process.
jest.setTimeout(900_000);

export { ScratchStack as TestStack, freePort, preflight, serverImage, sh, trySh, versions } from "../support/stack";

// Helpers of the end-to-end suite only: leak scans, KV reads and waiting.

/** Every file below a directory (state, its history and backups). */
export function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? filesUnder(p) : [p];
    });
}

/** Where each secret value occurs in plain text among the given named texts. */
export function findLeaks(secrets: Iterable<string>, texts: Record<string, string>): string[] {
    const hits: string[] = [];
    for (const s of secrets) {
        if (s.length < 6) continue;
        for (const [where, text] of Object.entries(texts)) {
            if (text.includes(s)) hits.push(`${where} contains a secret value of length ${s.length}`);
        }
    }
    return hits;
}

/** A KV v2 read with a token: the data, or undefined with the status. */
export async function readKv(ts: ScratchStack, token: string, p: string): Promise<{ status: number; data?: Record<string, string> }> {
    const r = await ts.api("GET", `/v1/secret/data/${p}`, token);
    return { status: r.status, data: (r.json.data as { data?: Record<string, string> } | undefined)?.data };
}

/** The five playbook paths read with a token, each expected to answer 200: their data by path. */
export async function readPlaybook(ts: ScratchStack, token: string): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    for (const p of FIXED_SECRET_PATHS) {
        const r = await readKv(ts, token, p);
        expect(r.status).toBe(200);
        out[p] = r.data!;
    }
    return out;
}

/** Wait until a condition holds or the timeout passes. */
export async function waitFor(what: string, seconds: number, cond: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
        if (await cond().catch(() => false)) return;
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`timed out after ${seconds}s waiting for ${what}`);
}

/**
 * Out of band, for a restore drill: change secret/openrouter with the admin token, and delete
 * secret/github with a short-lived root token made from the keys (the admin policy cannot delete),
 * revoked at once.
 */
export async function tamper(ts: ScratchStack, admin: string, keys: readonly string[]): Promise<void> {
    expect((await ts.api("POST", "/v1/secret/data/openrouter", admin, { data: { api_key: "fake-changed-out-of-band" } })).status).toBe(200);
    const root = await generateRoot(
        ts.address,
        async (i) => keys[i],
        () => undefined,
    );
    ts.secrets.add(root);
    expect((await ts.api("DELETE", "/v1/secret/metadata/github", root)).status).toBe(204);
    await revokeSelf(ts.address, root);
    expect((await readKv(ts, admin, "github")).status).toBe(404);
    expect((await readKv(ts, admin, "openrouter")).data).toEqual({ api_key: "fake-changed-out-of-band" });
}
