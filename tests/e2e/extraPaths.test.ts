import { TestStack, preflight, readKv, sh } from "./harness";

// Issue "any number of secret paths": 50 extra paths from config, written to KV v2 and readable
// by the app token only where flagged, checked through the HTTP API.

const N = 50;
let ts: TestStack;

beforeAll(async () => {
    preflight();
    ts = await TestStack.create("extra");
    for (const k of ["openrouterApiKey", "telegramBotToken", "telegramChatId", "githubToken"]) await ts.set(k, `fake-extra-${k}`, true);
    const extra: Record<string, unknown> = {};
    for (let i = 1; i <= N; i++) extra[`team/app${i}`] = { fields: { api_key: `fake-extra-${i}`, region: `r${i % 3}` }, appCanRead: i % 2 === 0 };
    await ts.set("extraSecrets", JSON.stringify(extra), true);
});

afterAll(async () => {
    if (ts === undefined) return;
    expect(await ts.cleanup()).toEqual([]);
});

test(`${N} extra paths are written, and the app reads exactly the flagged ones`, async () => {
    const res = await ts.up();
    expect(res.summary.result).toBe("succeeded");
    const o = await ts.outputs();
    const admin = o.adminToken as string;
    const app = o.appToken as string;
    expect((o.secretPaths as string[]).length).toBe(5 + N);
    expect((o.appReadablePaths as string[]).length).toBe(5 + N / 2);
    for (let i = 1; i <= N; i++) {
        const r = await readKv(ts, admin, `team/app${i}`);
        expect(r.status).toBe(200);
        expect(r.data).toEqual({ api_key: `fake-extra-${i}`, region: `r${i % 3}` });
        expect((await readKv(ts, app, `team/app${i}`)).status).toBe(i % 2 === 0 ? 200 : 403);
    }
    const again = await ts.up();
    expect(Object.entries(again.summary.resourceChanges ?? {}).filter(([op, n]) => op !== "same" && n > 0)).toEqual([]);
});

test("switching this file stack to raft storage is refused before anything changes, naming both storages and the way to move", async () => {
    const volumeBefore = sh("docker", ["volume", "inspect", "--format", "{{.CreatedAt}} {{.Labels}}", ts.names.dataVolume]);
    await ts.set("storage", "raft");
    try {
        const r = ts.cliUp();
        expect(r.status).not.toBe(0);
        expect(r.output).toContain(
            `\`vault-stack:storage\` (raft) differs from the storage this stack's data volume ${ts.names.dataVolume} holds (file); nothing was changed`,
        );
        expect(r.output).toContain("`pulumi config set vault-stack:storage file`");
    } finally {
        await ts.unset("storage");
    }
    expect(sh("docker", ["volume", "inspect", "--format", "{{.CreatedAt}} {{.Labels}}", ts.names.dataVolume])).toBe(volumeBefore);
    expect((await ts.api("GET", "/v1/sys/seal-status")).json).toMatchObject({ initialized: true, sealed: false });
    const again = await ts.up();
    expect(Object.entries(again.summary.resourceChanges ?? {}).filter(([op, n]) => op !== "same" && n > 0)).toEqual([]);
});
