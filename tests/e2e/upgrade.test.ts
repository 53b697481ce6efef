import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../cli/workspace";
import { TestStack, preflight, readKv, sh } from "./harness";

// A stack created by the program as it was before the admin identity (its last commit on main)
// upgrades on its next `up` with the current program: the admin identity is created, the initial
// root token is revoked, the secrets are intact and the update after it is clean.

/**
 * The program as it was before the admin identity (main at f6162189efa0e0d020846e73c70c8d15c8cf50a4:
 * Pulumi.yaml, index.ts, core/, ops/, components/, package.json and the tsconfigs, from
 * `git archive`), kept as a fixture so a shallow clone runs this test too.
 */
const PRE_ADMIN_PROGRAM = path.join(__dirname, "..", "fixtures", "pre-admin-program.tar.gz");
const PATHS = ["openrouter", "telegram", "github", "database", "cockpit"];

let ts: TestStack;
let oldTree: string;

beforeAll(async () => {
    preflight();
    ts = await TestStack.create("upg");
    await ts.set("devPlaceholders", "true");
    // The old program's tree, with this checkout's modules.
    oldTree = path.join(ts.dir, "old");
    fs.mkdirSync(oldTree);
    sh("tar", ["-xzf", PRE_ADMIN_PROGRAM, "-C", oldTree]);
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules")), path.join(oldTree, "node_modules"));
});

afterAll(async () => {
    if (ts === undefined) return;
    expect(await ts.cleanup()).toEqual([]);
});

test("a stack made before the admin identity: the next up creates it and retires the root token; secrets intact; the update after is clean", async () => {
    // `pulumi up` of the old program, with the plain CLI in a project folder whose `main` is the old tree.
    const oldProject = path.join(ts.dir, "old-project");
    fs.mkdirSync(oldProject);
    const yaml = fs.readFileSync(path.join(oldTree, "Pulumi.yaml"), "utf8").replace(/^main: .*$/m, `main: ${path.relative(oldProject, oldTree)}`);
    fs.writeFileSync(path.join(oldProject, "Pulumi.yaml"), yaml);
    fs.copyFileSync(path.join(ts.workDir, `Pulumi.${ts.name}.yaml`), path.join(oldProject, `Pulumi.${ts.name}.yaml`));
    const t0 = Date.now();
    const out = sh("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--color", "never", "--stack", ts.name], {
        cwd: oldProject,
        env: ts.cliEnv(),
    });
    ts.log.push(out);
    const before = await ts.outputs();
    const root = before.rootToken as string;
    const keys = before.unsealKeys as string[];
    [root, ...keys, before.appToken as string].forEach((s) => ts.secrets.add(s));
    expect(before.adminToken).toBeUndefined();
    expect((await ts.api("GET", "/v1/auth/token/lookup-self", root)).status).toBe(200);
    const stored: Record<string, unknown> = {};
    for (const p of PATHS) stored[p] = (await readKv(ts, root, p)).data;
    process.stdout.write(`old program's up took ${Date.now() - t0} ms\n`);

    // The current program on the same stack and backend.
    const t1 = Date.now();
    const res = await ts.up();
    expect(res.summary.result).toBe("succeeded");
    const o = await ts.outputs();
    const admin = o.adminToken as string;
    [admin, o.appToken as string].forEach((s) => ts.secrets.add(s));
    expect(Object.keys(o)).not.toContain("rootToken");
    expect((await ts.api("GET", "/v1/auth/token/lookup-self", root)).status).toBe(403);
    const self = (await ts.api("GET", "/v1/auth/token/lookup-self", admin)).json.data as { policies: string[]; orphan: boolean };
    expect(self.policies.sort()).toEqual(["default", "vault-stack-admin"]);
    expect(self.orphan).toBe(true);
    for (const p of PATHS) expect((await readKv(ts, admin, p)).data).toEqual(stored[p]);
    // The app token is re-issued through the token role (a non-root token cannot make an orphan itself).
    const app = o.appToken as string;
    for (const p of PATHS) expect((await readKv(ts, app, p)).status).toBe(200);
    expect((await ts.api("GET", "/v1/auth/token/lookup-self", before.appToken as string)).status).toBe(403);
    expect(o.unsealKeys).toEqual(keys);

    const again = await ts.up();
    expect(Object.entries(again.summary.resourceChanges ?? {}).filter(([op, n]) => op !== "same" && n > 0)).toEqual([]);
    await ts.capture(() => ts.stack.preview({ expectNoChanges: true, onOutput: ts.sink, color: "never" }));
    process.stdout.write(`upgrade up and the clean up after it took ${Date.now() - t1} ms\n`);
});
