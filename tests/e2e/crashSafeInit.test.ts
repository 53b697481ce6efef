import * as automation from "@pulumi/pulumi/automation";
import { spawn } from "child_process";
import * as fs from "fs";
import { FAULT_ENV, FAULT_POINTS, FaultPoint } from "../../core/fault";
import { initRecordFile } from "../../core/names";
import { TestStack, preflight, sh, trySh } from "./harness";

// A crash at init must never lose the keys: each named fault point, and a real `kill -9` of a
// whole `pulumi up` process group the moment the server reports initialised, end after
// `pulumi cancel` (where the backend is left locked) and a plain `pulumi up` unsealed, with all
// keys in the state and exactly one init in the server's log.

const stacks: TestStack[] = [];

async function fresh(): Promise<TestStack> {
    const ts = await TestStack.create("crash");
    stacks.push(ts);
    await ts.set("devPlaceholders", "true");
    return ts;
}

/** How often the server's log says it initialised its barrier (once per `operator init`). */
function initsInServerLog(ts: TestStack): number {
    const logs = sh("sh", ["-c", `docker logs ${ts.containerName} 2>&1`]);
    return (logs.match(/security barrier initialized/g) ?? []).length;
}

/** After a crash: clear a lock the dead engine left, then a plain `pulumi up` must finish the job. */
async function recover(ts: TestStack): Promise<void> {
    const file = initRecordFile(ts.name);
    const recordText = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    await ts.stack.cancel().catch(() => undefined);
    const res = await ts.up();
    expect(res.summary.result).toBe("succeeded");
    const o = await ts.outputs();
    const keys = o.unsealKeys as string[];
    expect(keys).toHaveLength(5);
    const root = ts.initialRootToken();
    [...keys, root, o.adminToken as string].forEach((k) => ts.secrets.add(k));
    expect((await ts.api("GET", "/v1/sys/seal-status")).json).toMatchObject({ initialized: true, sealed: false, n: 5, t: 3 });
    // The recovered keys' root token did the bootstrap and was retired; the admin token works.
    expect((await ts.api("GET", "/v1/auth/token/lookup-self", root)).status).toBe(403);
    expect((await ts.api("GET", "/v1/auth/token/lookup-self", o.adminToken as string)).status).toBe(200);
    expect(initsInServerLog(ts)).toBe(1);
    // The record held no key material in plain text.
    for (const secret of [...keys, root]) expect(recordText).not.toContain(secret);
    // The state holds the keys: the record has done its job and is gone.
    expect(fs.existsSync(initRecordFile(ts.name))).toBe(false);
    // And the next update is clean.
    await ts.capture(() => ts.stack.preview({ expectNoChanges: true, onOutput: ts.sink, color: "never" }));
}

beforeAll(() => preflight());

afterAll(async () => {
    for (const ts of stacks) expect(await ts.cleanup()).toEqual([]);
});

// The four fault points do not interfere (a stack, a server and a record each): run them together.
test.concurrent.each(FAULT_POINTS.map((p) => [p]))("fault point %s: the update dies; the next up recovers with one init", async (point: FaultPoint) => {
    const ts = await fresh();
    const ws = ts.stack.workspace as automation.LocalWorkspace;
    ws.envVars[FAULT_ENV] = point;
    try {
        await expect(ts.up()).rejects.toThrow();
    } finally {
        delete ws.envVars[FAULT_ENV];
    }
    if (point !== "before-init-request") {
        // Vault answered: the record is on disk, encrypted, before anything else happened.
        expect((await ts.api("GET", "/v1/sys/init")).json.initialized).toBe(true);
        expect(fs.existsSync(initRecordFile(ts.name))).toBe(true);
    }
    await recover(ts);
});

test("kill -9 of the whole `pulumi up` process group the moment the server reports initialised", async () => {
    const ts = await fresh();
    const cli = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", ts.name], {
        cwd: ts.workDir,
        env: ts.cliEnv(),
        detached: true,
        stdio: "ignore",
    });
    const exited = new Promise<void>((r) => cli.once("exit", () => r()));
    const deadline = Date.now() + 300_000;
    let killed = false;
    while (Date.now() < deadline && !killed) {
        const init = await ts.api("GET", "/v1/sys/init").catch(() => undefined);
        if (init?.json.initialized === true) {
            process.kill(-cli.pid!, "SIGKILL");
            killed = true;
        } else {
            await new Promise((r) => setTimeout(r, 20));
        }
    }
    expect(killed).toBe(true);
    await exited;
    // The whole group is gone; what Vault answered is in the record (written by a process of its own session).
    expect(trySh("pgrep", ["-g", String(cli.pid)])).toBeUndefined();
    for (let i = 0; i < 100 && !fs.existsSync(initRecordFile(ts.name)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(fs.existsSync(initRecordFile(ts.name))).toBe(true);
    await recover(ts);
});
