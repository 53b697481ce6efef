import * as fs from "fs";
import * as path from "path";
import { backupCommand, restoreCommand } from "../../cli/backup";
import { unsealWithKeys } from "../../cli/unseal";
import { checkBackup } from "../../core/backup";
import { FIXED_SECRET_PATHS } from "../../core/secretPaths";
import { TestStack, findLeaks, preflight, readKv, readPlaybook, sh, tamper } from "./harness";

// Backups proven by restore drills, file storage, against the real engine and a real server. One
// scratch stack is shared by the cases, which run in order: backup, change and delete secrets out
// of band, restore, read every value back byte for byte; then the refusals, each before anything
// is stopped or changed.

let ts: TestStack;
/** The brand-new stack a backup is restored into. */
let fresh: TestStack | undefined;
let keys: string[];
let admin: string;
let backupDir: string;
/** The first backup, taken after the first up. */
let backup: string;
/** Every value stored under secret/ when the backup was taken. */
let stored: Record<string, Record<string, string>>;
/** What the commands printed (path, size, sha256) and said. */
const printed: string[] = [];
const opts = (): { outDir: string; say: (m: string) => void; print: (t: string) => void; onOutput: (t: string) => void } => ({
    outDir: backupDir,
    say: (m) => {
        printed.push(m);
        ts.log.push(m);
    },
    print: (t) => printed.push(t),
    onOutput: ts.sink,
});

const readAll = (token: string): Promise<Record<string, Record<string, string>>> => readPlaybook(ts, token);

/** When the container last started: a refusal must not have stopped it. */
const startedAt = (): string => sh("docker", ["inspect", "--format", "{{.State.StartedAt}}", ts.containerName]).trim();

beforeAll(async () => {
    preflight();
    ts = await TestStack.create("bak");
    backupDir = path.join(ts.dir, "backups");
    for (const k of ["openrouterApiKey", "telegramBotToken", "telegramChatId", "githubToken"]) await ts.set(k, `fake-bak-${k}-${ts.name}`, true);
    expect((await ts.up()).summary.result).toBe("succeeded");
    const o = await ts.outputs();
    keys = o.unsealKeys as string[];
    admin = o.adminToken as string;
    [...keys, admin, o.appToken as string, ts.initialRootToken()].forEach((s) => ts.secrets.add(s));
    stored = await readAll(admin);
    // The generated values (host, name and user of secret/database are not secret).
    [stored.database!.password!, stored.cockpit!.jwt_secret!, stored.cockpit!.admin_password!].forEach((v) => ts.secrets.add(v));
});

afterAll(async () => {
    if (fresh !== undefined) expect(await fresh.cleanup()).toEqual([]);
    if (ts === undefined) return;
    expect(await ts.cleanup()).toEqual([]);
});

test("backup: a 0600 .vsnap named by stack and UTC time, manifest with the cluster_id, the server unsealed again", async () => {
    backup = await ts.capture(() => backupCommand(ts.stack, opts()));
    expect(path.dirname(backup)).toBe(backupDir);
    expect(path.basename(backup)).toMatch(new RegExp(`^${ts.name}-\\d{8}T\\d{6}Z\\.vsnap$`));
    expect(fs.statSync(backup).mode & 0o777).toBe(0o600);
    const health = await ts.api("GET", "/v1/sys/health");
    expect(health.status).toBe(200);
    const { manifest } = await checkBackup(backup);
    expect(manifest).toMatchObject({ format: "vault-stack-backup", version: 1, storage: "file", stack: ts.name, cluster_id: health.json.cluster_id });
    const sum = sh("sha256sum", [backup]).split(" ")[0]!;
    expect(printed.join("")).toContain(`${backup}  ${fs.statSync(backup).size} bytes  sha256 ${sum}`);
    // A plain tar: the manifest first, then the payload.
    expect(sh("tar", ["-tf", backup]).split("\n").filter(Boolean)).toEqual(["manifest.json", "payload"]);
});

test("restore drill: a value changed and a path deleted out of band come back byte for byte; a safety copy is kept", async () => {
    await tamper(ts, admin, keys);

    await ts.capture(() => restoreCommand(ts.stack, backup, opts()));
    const back = await readAll(admin);
    expect(back).toEqual(stored);
    for (const p of FIXED_SECRET_PATHS) expect(JSON.stringify(back[p])).toBe(JSON.stringify(stored[p]));
    expect((await ts.api("GET", "/v1/sys/seal-status")).json.sealed).toBe(false);
    const safety = fs.readdirSync(backupDir).filter((f) => f.endsWith("-before-restore.vsnap"));
    expect(safety).toHaveLength(1);
    expect(printed.join("\n")).toContain(`safety copy of the current data: ${path.join(backupDir, safety[0]!)}`);
    expect(fs.statSync(path.join(backupDir, safety[0]!)).mode & 0o777).toBe(0o600);
    // The app token the state holds still reads (it was issued before the backup).
    expect((await readKv(ts, (await ts.outputs()).appToken as string, "github")).data).toEqual(stored.github);
});

test("refusals: not a backup, a corrupted payload, another cluster without --force; nothing stopped", async () => {
    const before = startedAt();
    const junk = path.join(ts.dir, "notes.vsnap");
    fs.writeFileSync(junk, "just some notes, not a backup\n".repeat(40));
    await expect(restoreCommand(ts.stack, junk, opts())).rejects.toThrow(
        `${junk} is not a usable backup of this program: it does not start with a tar entry manifest.json`,
    );

    const corrupt = path.join(ts.dir, "corrupt.vsnap");
    fs.copyFileSync(backup, corrupt);
    const { payloadOffset } = await checkBackup(backup);
    const fd = fs.openSync(corrupt, "r+");
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, payloadOffset + 100);
    fs.writeSync(fd, Buffer.from([b[0]! ^ 0xff]), 0, 1, payloadOffset + 100);
    fs.closeSync(fd);
    await expect(restoreCommand(ts.stack, corrupt, opts())).rejects.toThrow(
        /corrupt\.vsnap is not a usable backup of this program: its payload's sha256 is [0-9a-f]{64}, the manifest says/,
    );

    // The same payload, its manifest naming another cluster (an id of the same length).
    const { manifest } = await checkBackup(backup);
    const other = path.join(ts.dir, "other.vsnap");
    const fake = manifest.cluster_id.replace(/[0-9a-f]/g, "0");
    fs.writeFileSync(other, Buffer.from(fs.readFileSync(backup).toString("latin1").replace(manifest.cluster_id, fake), "latin1"));
    await expect(restoreCommand(ts.stack, other, opts())).rejects.toThrow(
        `${other} was taken of cluster ${fake} (stack ${ts.name}), but the server of stack ${ts.name} is cluster ${manifest.cluster_id}`,
    );
    await expect(restoreCommand(ts.stack, other, opts())).rejects.toThrow(`\`npm run restore -- ${other} --stack ${ts.name} --force\``);
    expect(startedAt()).toBe(before);
    expect(fs.readdirSync(backupDir).filter((f) => f.endsWith("-before-restore.vsnap"))).toHaveLength(1);
});

test("refusals: a sealed server is neither backed up nor restored into, before anything is stopped", async () => {
    sh("docker", ["restart", ts.containerName]);
    await new Promise((r) => setTimeout(r, 2000));
    const before = startedAt();
    const files = fs.readdirSync(backupDir).length;
    await expect(backupCommand(ts.stack, opts())).rejects.toThrow(`cannot back up the stack ${ts.name}: its server at ${ts.address} is sealed`);
    await expect(restoreCommand(ts.stack, backup, opts())).rejects.toThrow(`cannot restore into the stack ${ts.name}: its server at ${ts.address} is sealed`);
    expect(startedAt()).toBe(before);
    expect(fs.readdirSync(backupDir).length).toBe(files);
    await unsealWithKeys(ts.address, async (i) => keys[i]);
});

test("restore into a brand-new stack with the original keys only: its volume made, the server adopted, every value byte for byte", async () => {
    const n = await TestStack.create("bakn");
    fresh = n;
    for (const k of ["openrouterApiKey", "telegramBotToken", "telegramChatId", "githubToken"]) await n.set(k, `fake-bak-${k}-${ts.name}`, true);
    await expect(restoreCommand(n.stack, backup, opts())).rejects.toThrow(`the stack ${n.name} has no server yet, so the restore makes one from the backup`);
    expect(n.dockerObjects()).toEqual([]);
    await n.set("adoptUnsealKeys", keys.slice(2, 5).join(","), true);
    await n.capture(() => restoreCommand(n.stack, backup, { ...opts(), onOutput: n.sink }));
    const o = await n.outputs();
    const newAdmin = o.adminToken as string;
    [newAdmin, o.appToken as string].forEach((t) => ts.secrets.add(t));
    const back = await readPlaybook(n, newAdmin);
    for (const p of FIXED_SECRET_PATHS) expect(JSON.stringify(back[p])).toBe(JSON.stringify(stored[p]));
    expect(await readPlaybook(n, o.appToken as string)).toEqual(stored);
    // The same cluster, now run by the new stack, on the volume the restore made (adopted, labelled).
    const { manifest } = await checkBackup(backup);
    expect((await n.api("GET", "/v1/sys/health")).json.cluster_id).toBe(manifest.cluster_id);
    expect(sh("docker", ["volume", "inspect", "--format", "{{json .Labels}}", n.names.dataVolume]).trim()).toBe('{"managed-by":"vault-stack"}');
    // The backup's audit device is this stack's own now, and the setting the restore flipped is back.
    const audit = (await n.api("GET", "/v1/sys/audit", newAdmin)).json as Record<string, { type?: string; options?: { file_path?: string } }>;
    expect(audit["file/"]).toMatchObject({ type: "file", options: { file_path: "/vault/logs/audit.log" } });
    expect((await n.stack.workspace.stackSettings(n.name)).config?.["vault-stack:auditLog"]).toBeUndefined();
    // The root token made from the keys was revoked by the bootstrap; a second update changes nothing.
    const again = await n.up();
    expect(Object.entries(again.summary.resourceChanges ?? {}).filter(([op, n]) => op !== "same" && n > 0)).toEqual([]);
    ts.log.push(...n.log);
});

test("no secret in the backups' names, the engine output, what the commands printed, or the backup files", () => {
    const names = fs.readdirSync(backupDir);
    const texts: Record<string, string> = { "file names": names.join("\n"), "engine output and messages": ts.log.join("\n"), printed: printed.join("\n") };
    for (const f of names) texts[f] = fs.readFileSync(path.join(backupDir, f)).toString("latin1");
    expect(findLeaks(ts.secrets, texts)).toEqual([]);
    // The scan can fail: a planted value is found.
    expect(findLeaks([keys[0]!], { planted: `x${keys[0]}x` })).toHaveLength(1);
});
