import * as fs from "fs";
import * as path from "path";
import { backupCommand, restoreCommand } from "../../cli/backup";
import { provision } from "../../cli/operations";
import { checkBackup } from "../../core/backup";
import { nodeNames } from "../../core/names";
import { vaultApi } from "../../core/vault/client";
import { TestStack, findLeaks, preflight, readPlaybook, sh, tamper, waitFor } from "./harness";

// A 3-node Raft cluster on one Docker host, from nothing: every node unsealed, three voters, the
// secrets and the app token served through every node's address; the active node stopped (a
// standby takes over, reads keep working through the live nodes, `up` brings the node back
// unsealed and rejoined); all three restarted (`up` unseals all).

let ts: TestStack;
/** Test 5's snapshot, the values it holds and the cluster's keys, for the restore into a new stack. */
let drill: { file: string; stored: Record<string, Record<string, string>>; keys: string[] } | undefined;
/** The brand-new stack of test 6. */
let fresh: TestStack | undefined;
/** The keys and root token of the cluster's one init. */
let firstInit: { keys: string[]; root: string };
const PATHS = ["openrouter", "telegram", "github", "database", "cockpit"];
const nodeAddress = (i: number): string => `http://127.0.0.1:${ts.port + i}`;
const containers = (): string[] => [0, 1, 2].map((i) => nodeNames(ts.name, i).container);

/** The Raft peers as the cluster reports them: node ID and whether it votes. */
async function peers(token: string): Promise<{ node_id: string; voter: boolean; leader: boolean }[]> {
    const r = await ts.api("GET", "/v1/sys/storage/raft/configuration", token);
    expect(r.status).toBe(200);
    return (r.json.data as { config: { servers: { node_id: string; voter: boolean; leader: boolean }[] } }).config.servers;
}

/** Each node's seal state. */
async function sealedByNode(): Promise<(boolean | undefined)[]> {
    return Promise.all(
        [0, 1, 2].map((i) =>
            vaultApi(nodeAddress(i), "GET", "/v1/sys/seal-status").then(
                (r) => r.json.sealed as boolean,
                () => undefined,
            ),
        ),
    );
}

/** Every secret, read with the app token through the node at `address`. */
async function readAllThrough(address: string, token: string): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    for (const p of PATHS) {
        const r = await vaultApi(address, "GET", `/v1/secret/data/${p}`, { token });
        if (r.status !== 200) throw new Error(`${address} answered HTTP ${r.status} for secret/${p}`);
        out[p] = (r.json.data as { data: Record<string, string> }).data;
    }
    return out;
}

beforeAll(async () => {
    preflight();
    ts = await TestStack.create("raft", 3);
    await ts.set("devPlaceholders", "true");
    await ts.set("storage", "raft");
    await ts.set("nodes", "3");
});

afterAll(async () => {
    if (fresh !== undefined) expect(await fresh.cleanup()).toEqual([]);
    if (ts !== undefined) expect(await ts.cleanup()).toEqual([]);
});

test("1. a 3-node Raft stack comes up from nothing: three voters, secrets and the app token through every node", async () => {
    const t0 = Date.now();
    await ts.capture(() => provision(ts.stack, ts.sink));
    console.log(`cold up of 3 nodes: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    const o = await ts.outputs();
    firstInit = { keys: o.unsealKeys as string[], root: ts.initialRootToken() };
    expect(o.nodeAddresses).toEqual([0, 1, 2].map(nodeAddress));
    expect(await sealedByNode()).toEqual([false, false, false]);
    const admin = o.adminToken as string;
    // Autopilot promotes a joined node to voter once it is stable (10 s by default).
    await waitFor("three voters", 60, async () => (await peers(admin)).filter((p) => p.voter).length === 3);
    expect((await peers(admin)).map((p) => p.node_id).sort()).toEqual(["node0", "node1", "node2"]);
    const app = o.appToken as string;
    const viaFirst = await readAllThrough(nodeAddress(0), app);
    for (const i of [1, 2]) expect(await readAllThrough(nodeAddress(i), app)).toEqual(viaFirst);
    // The second update is clean.
    await ts.capture(() => ts.stack.preview({ expectNoChanges: true, refresh: true, onOutput: ts.sink, color: "never" }));
});

test("2. the active node stopped: a standby takes over, reads keep working through the live nodes; up brings it back", async () => {
    const o = await ts.outputs();
    const app = o.appToken as string;
    const leader = (await ts.api("GET", "/v1/sys/leader")).json.leader_address as string;
    const down = [0, 1, 2].find((i) => nodeAddress(i) === leader)!;
    expect(down).toBeDefined();
    const live = [0, 1, 2].filter((i) => i !== down);
    const before = await readAllThrough(nodeAddress(live[0]!), app);
    // Reads through a live node every 100 ms while the active node stops: the longest run of
    // failed reads is the gap an application sees.
    let failingSince: number | undefined;
    let gapMs = 0;
    let polling = true;
    const poller = (async () => {
        while (polling) {
            const ok = await vaultApi(nodeAddress(live[0]!), "GET", "/v1/secret/data/github", { token: app, timeoutMs: 2000 }).then(
                (r) => r.status === 200,
                () => false,
            );
            const now = Date.now();
            if (!ok) failingSince ??= now;
            else if (failingSince !== undefined) {
                gapMs = Math.max(gapMs, now - failingSince);
                failingSince = undefined;
            }
            await new Promise((r) => setTimeout(r, 100));
        }
    })();
    sh("docker", ["stop", containers()[down]!]);
    await waitFor("a new active node", 60, async () => {
        const l = (await vaultApi(nodeAddress(live[0]!), "GET", "/v1/sys/leader")).json.leader_address as string;
        return l !== "" && l !== leader;
    });
    await new Promise((r) => setTimeout(r, 2000));
    polling = false;
    await poller;
    expect(failingSince).toBeUndefined();
    console.log(`failover: the longest run of failed reads through a live node while the active node stopped: ${(gapMs / 1000).toFixed(1)}s`);
    for (const i of live) expect(await readAllThrough(nodeAddress(i), app)).toEqual(before);
    // `up` (the Docker side refreshed first) starts the node again, unseals it, and it rejoins.
    await ts.capture(() => provision(ts.stack, ts.sink));
    expect(await sealedByNode()).toEqual([false, false, false]);
    expect(await readAllThrough(nodeAddress(down), app)).toEqual(before);
    await waitFor("three voters again", 60, async () => (await peers(o.adminToken as string)).filter((p) => p.voter).length === 3);
});

test("3. node 0's data volume deleted: up recreates it and the node rejoins as a fresh peer, no second init, no data lost", async () => {
    const o = await ts.outputs();
    const app = o.appToken as string;
    const before = await readAllThrough(nodeAddress(0), app);
    // Node 0: the node the init ran on and the update talks to, the hardest one to lose.
    const lost = nodeNames(ts.name, 0);
    sh("docker", ["rm", "-f", lost.container]);
    sh("docker", ["volume", "rm", lost.dataVolume]);
    await ts.capture(() => provision(ts.stack, ts.sink));
    expect(await sealedByNode()).toEqual([false, false, false]);
    expect(await readAllThrough(nodeAddress(0), app)).toEqual(before);
    await waitFor("three voters with the fresh node0", 60, async () => (await peers(o.adminToken as string)).filter((p) => p.voter).length === 3);
    expect((await peers(o.adminToken as string)).map((p) => p.node_id).sort()).toEqual(["node0", "node1", "node2"]);
    // No second init: the state's init record is the first one (same keys, same retired root
    // token), and the fresh node joined rather than initialised a barrier of its own.
    expect((await ts.outputs()).unsealKeys).toEqual(firstInit.keys);
    expect(ts.initialRootToken()).toBe(firstInit.root);
    expect(sh("sh", ["-c", `docker logs ${lost.container} 2>&1`])).not.toContain("security barrier initialized");
});

test("4. all three restarted: up unseals every node", async () => {
    sh("docker", ["restart", ...containers()]);
    await waitFor("the restarted nodes", 60, async () => (await sealedByNode()).every((s) => s === true));
    await ts.capture(() => provision(ts.stack, ts.sink));
    expect(await sealedByNode()).toEqual([false, false, false]);
    const app = (await ts.outputs()).appToken as string;
    const first = await readAllThrough(nodeAddress(0), app);
    for (const i of [1, 2]) expect(await readAllThrough(nodeAddress(i), app)).toEqual(first);
});

test("5. restore drill on Raft: a snapshot (no stop), a value changed and a path deleted, the snapshot restored: every value back byte for byte", async () => {
    const o = await ts.outputs();
    const admin = o.adminToken as string;
    const keys = o.unsealKeys as string[];
    [...keys, admin, o.appToken as string].forEach((x) => ts.secrets.add(x));
    const outDir = path.join(ts.dir, "backups");
    const printed: string[] = [];
    const opts = { outDir, say: (m: string) => void ts.log.push(m), print: (t: string) => void printed.push(t), onOutput: ts.sink };
    const stored = await readPlaybook(ts, admin);
    const before = sh("docker", ["inspect", "--format", "{{.State.StartedAt}}", containers()[0]!]);
    const t0 = Date.now();
    const file = await ts.capture(() => backupCommand(ts.stack, opts));
    drill = { file, stored, keys };
    console.log(`raft backup: ${((Date.now() - t0) / 1000).toFixed(1)}s, ${fs.statSync(file).size} bytes`);
    expect(sh("docker", ["inspect", "--format", "{{.State.StartedAt}}", containers()[0]!])).toBe(before);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect((await checkBackup(file)).manifest).toMatchObject({ storage: "raft", stack: ts.name });

    await tamper(ts, admin, keys);

    const t1 = Date.now();
    await ts.capture(() => restoreCommand(ts.stack, file, opts));
    console.log(`raft restore: ${((Date.now() - t1) / 1000).toFixed(1)}s`);
    await waitFor("the restored data through every node", 60, async () => {
        for (const i of [0, 1, 2]) expect(await readAllThrough(nodeAddress(i), o.appToken as string)).toEqual(stored);
        return true;
    });
    const back = await readPlaybook(ts, admin);
    for (const p of Object.keys(stored)) expect(JSON.stringify(back[p])).toBe(JSON.stringify(stored[p]));
    expect(await sealedByNode()).toEqual([false, false, false]);
    expect(findLeaks(ts.secrets, { "backup file name": file, printed: printed.join("\n"), "engine output": ts.log.join("\n") })).toEqual([]);
});

test("6. the snapshot restored into a brand-new Raft stack with the original keys only: every value byte for byte", async () => {
    const { file, stored, keys } = drill!;
    const n = await TestStack.create("raftn");
    fresh = n;
    await n.set("devPlaceholders", "true");
    await n.set("storage", "raft");
    await n.set("adoptUnsealKeys", keys.slice(0, 3).join(","), true);
    const t0 = Date.now();
    await n.capture(() =>
        restoreCommand(n.stack, file, { outDir: path.join(n.dir, "backups"), say: (m) => void n.log.push(m), print: () => undefined, onOutput: n.sink }),
    );
    console.log(`raft restore into a new stack (temporary server, snapshot, two updates): ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    const o = await n.outputs();
    const back = await readPlaybook(n, o.adminToken as string);
    for (const p of Object.keys(stored)) expect(JSON.stringify(back[p])).toBe(JSON.stringify(stored[p]));
    expect(await readPlaybook(n, o.appToken as string)).toEqual(stored);
    // The original cluster's keys open it: sealed by a restart, the handed-in keys unseal it.
    expect((await checkBackup(file)).manifest.cluster_id).toBe((await n.api("GET", "/v1/sys/health")).json.cluster_id);
    sh("docker", ["restart", n.containerName]);
    await waitFor("the restarted server", 60, async () => (await n.api("GET", "/v1/sys/seal-status")).json.sealed === true);
    await n.capture(() => provision(n.stack, n.sink));
    expect((await n.api("GET", "/v1/sys/seal-status")).json.sealed).toBe(false);
    expect(await readPlaybook(n, o.appToken as string)).toEqual(stored);
    ts.log.push(...n.log);
});
