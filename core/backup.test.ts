import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { closedAddress, useFakeVault } from "../tests/unit/fakeVault";
import {
    BackupTarget,
    Manifest,
    UNPACK_SCRIPT,
    backupFileName,
    checkBackup,
    clusterId,
    manifestProblem,
    parseTarHeader,
    raftStorage,
    releaseAuditDevice,
    storageBackup,
    tarHeader,
    throwawayArgs,
    writeBackup,
} from "./backup";
import { notABackup } from "./messages";

// The backup format (a tar: JSON manifest, then the payload), every check a restore makes before
// touching anything, and the Raft path against the in-process fake server.

let dir: string;
beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-stack-backup-test-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const META = { storage: "file" as const, stack: "dev", cluster_id: "fake-cluster-0000-1111", created: "2026-11-30T07:15:00.000Z" };

/** A backup of `payload` bytes in the temporary folder. */
async function backupOf(payload: Buffer, name = "b.vsnap"): Promise<{ file: string; manifest: Manifest }> {
    const src = path.join(dir, `${name}.payload`);
    fs.writeFileSync(src, payload);
    const file = path.join(dir, name);
    return { file, manifest: await writeBackup(file, src, META) };
}

describe("the file: name, tar layout, manifest", () => {
    test("named by stack and UTC time to the second", () => {
        expect(backupFileName("dev", new Date("2026-11-30T07:15:00.123Z"))).toBe("dev-20261130T071500Z.vsnap");
        expect(backupFileName("prod", new Date("2026-01-02T03:04:05Z"), "-before-restore")).toBe("prod-20260102T030405Z-before-restore.vsnap");
    });

    test("a ustar header round-trips; a damaged one is no header", () => {
        const h = tarHeader("payload", 1234567, new Date(0));
        expect(parseTarHeader(h)).toEqual({ name: "payload", size: 1234567 });
        const bad = Buffer.from(h);
        bad[0] = 0x51;
        expect(parseTarHeader(bad)).toBeUndefined();
        expect(parseTarHeader(Buffer.alloc(512))).toBeUndefined();
    });

    test.each([0, 1, 511, 512, 513, 70_000])("a payload of %i bytes: mode 0600, a tar that tar lists, the manifest with size and sha256", async (n) => {
        const payload = Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) % 256));
        const { file, manifest } = await backupOf(payload);
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        expect(manifest).toEqual({
            format: "vault-stack-backup",
            version: 1,
            ...META,
            payload: { size: n, sha256: crypto.createHash("sha256").update(payload).digest("hex") },
        });
        expect(execFileSync("tar", ["-tf", file], { encoding: "utf8" }).split("\n").filter(Boolean)).toEqual(["manifest.json", "payload"]);
        expect(execFileSync("tar", ["-xOf", file, "payload"]).equals(payload)).toBe(true);
        const checked = await checkBackup(file);
        expect(checked.manifest).toEqual(manifest);
        expect(
            fs
                .readFileSync(file)
                .subarray(checked.payloadOffset, checked.payloadOffset + n)
                .equals(payload),
        ).toBe(true);
    });

    test("never overwrites a file", async () => {
        const { file } = await backupOf(Buffer.from("fake payload"));
        await expect(writeBackup(file, `${file}.payload`, META)).rejects.toThrow(/EEXIST/);
    });
});

describe("checkBackup: every refusal names the file, what is wrong and the fix", () => {
    const refused = async (file: string, why: string): Promise<void> => {
        await expect(checkBackup(file)).rejects.toThrow(new Error(notABackup(file, why)));
    };

    test("a file that is not there", async () => {
        await refused(path.join(dir, "missing.vsnap"), "it cannot be read (ENOENT)");
    });

    test("not a tar, or a tar of something else", async () => {
        const text = path.join(dir, "notes.vsnap");
        fs.writeFileSync(text, "not a backup\n".repeat(100));
        await refused(text, "it does not start with a tar entry manifest.json (not a .vsnap file of this program)");
        fs.writeFileSync(path.join(dir, "x.txt"), "fake");
        const other = path.join(dir, "other.vsnap");
        execFileSync("tar", ["--format=ustar", "-C", dir, "-cf", other, "x.txt"]);
        await refused(other, "it does not start with a tar entry manifest.json (not a .vsnap file of this program)");
    });

    test("the message says how to go on", () => {
        expect(notABackup("b.vsnap", "x")).toBe(
            "b.vsnap is not a usable backup of this program: x. Restore from another backup file (`ls -l backups/`), or take a new one with `npm run backup`",
        );
    });

    test("a corrupted payload: the checksum differs", async () => {
        const { file, manifest } = await backupOf(Buffer.from("fake payload bytes ".repeat(50)));
        const { payloadOffset } = await checkBackup(file);
        const bytes = fs.readFileSync(file);
        bytes[payloadOffset + 3] = bytes[payloadOffset + 3]! ^ 0xff;
        fs.writeFileSync(file, bytes);
        await expect(checkBackup(file)).rejects.toThrow(
            new RegExp(`its payload's sha256 is [0-9a-f]{64}, the manifest says ${manifest.payload.sha256} \\(the file is corrupted\\)`),
        );
    });

    test("a truncated file", async () => {
        const { file } = await backupOf(Buffer.alloc(5000, 1));
        const { payloadOffset } = await checkBackup(file);
        fs.truncateSync(file, payloadOffset + 100);
        await refused(file, "its payload has 100 bytes, the manifest says 5000 (truncated?)");
    });

    test("a manifest that is not JSON", async () => {
        const { file } = await backupOf(Buffer.from("fake"));
        const bytes = fs.readFileSync(file);
        bytes[512] = "<".charCodeAt(0);
        fs.writeFileSync(file, bytes);
        await refused(file, "its manifest.json is not JSON");
    });

    test.each<[string, unknown, string]>([
        ["another format", { ...META, format: "x" }, 'its manifest has no "format": "vault-stack-backup"'],
        ["a later version", { ...META, format: "vault-stack-backup", version: 2 }, "its manifest has version 2; this program reads version 1"],
        [
            "another storage",
            { ...META, format: "vault-stack-backup", version: 1, storage: "consul" },
            'its manifest names the storage "consul"; allowed: "file", "raft"',
        ],
        [
            "no cluster_id",
            { ...META, format: "vault-stack-backup", version: 1, cluster_id: "" },
            "its manifest lacks the stack, the cluster_id or the creation time",
        ],
        ["no checksum", { ...META, format: "vault-stack-backup", version: 1, payload: { size: 1 } }, "its manifest lacks the payload's size or sha256"],
        ["null", null, 'its manifest has no "format": "vault-stack-backup"'],
    ])("manifestProblem: %s", (_name, m, why) => {
        expect(manifestProblem(m)).toBe(why);
    });
});

describe("file storage: the throwaway container", () => {
    const t: BackupTarget = { address: "http://127.0.0.1:1", container: "vault-dev", dataVolume: "vault-dev-data", image: "sha256:fake" };

    test("reads the volume read-only, with no network, labelled; writes only through stdin", () => {
        expect(throwawayArgs(t, true, "tar", ["-C", "/vault/data", "-cf", "-", "."])).toEqual(
            "run --rm --network none --label managed-by=vault-stack --entrypoint tar -v vault-dev-data:/vault/data:ro sha256:fake -C /vault/data -cf - .".split(
                " ",
            ),
        );
        expect(throwawayArgs(t, false, "sh", ["-c", UNPACK_SCRIPT]).slice(0, 3)).toEqual(["run", "--rm", "-i"]);
        expect(UNPACK_SCRIPT).toBe("rm -rf /vault/data/* /vault/data/.[!.]* /vault/data/..?* && tar -C /vault/data -xf -");
    });

    test("the storage setting picks the implementation", () => {
        expect(storageBackup("file", t).kind).toBe("file");
        expect(storageBackup("raft", t).kind).toBe("raft");
    });
});

describe("against the fake server", () => {
    const fake = useFakeVault();
    const target = (token = "fake-root"): BackupTarget => ({ address: fake().address, token, container: "c", dataVolume: "v", image: "i" });

    test("clusterId: known only unsealed; sealed and unreachable say so", async () => {
        expect(await clusterId(fake().address)).toEqual({ why: "sealed" });
        fake().state.sealed = false;
        expect(await clusterId(fake().address)).toEqual({ id: "fake-cluster-0000-1111" });
        fake().state.initialized = false;
        expect(await clusterId(fake().address)).toEqual({ why: "not initialised" });
        const closed = await closedAddress();
        expect((await clusterId(closed)).why).toMatch(new RegExp(`^unreachable \\(nothing answers at ${closed} \\(ECONNREFUSED\\)`));
    });

    test("raft save: the snapshot's bytes as the server sends them, to a new 0600 file, with the token", async () => {
        fake().state.sealed = false;
        const dest = path.join(dir, "snap");
        expect(await raftStorage(target()).save(dest)).toEqual({ restarted: false });
        expect(fs.readFileSync(dest).equals(fake().state.snapshot)).toBe(true);
        expect(fs.statSync(dest).mode & 0o777).toBe(0o600);
        expect(fake().calls.at(-1)).toMatchObject({ method: "GET", path: "/v1/sys/storage/raft/snapshot", token: "fake-root" });
    });

    test("raft save: a refused token stops with the path and status, and writes nothing", async () => {
        const dest = path.join(dir, "snap");
        await expect(raftStorage(target("fake-wrong")).save(dest)).rejects.toThrow("GET /v1/sys/storage/raft/snapshot answered HTTP 403: permission denied");
        expect(fs.existsSync(dest)).toBe(false);
        await expect(raftStorage({ ...target(), token: undefined }).save(dest)).rejects.toThrow("a Raft snapshot needs the stack's admin token");
    });

    test.each([
        [false, "/v1/sys/storage/raft/snapshot"],
        [true, "/v1/sys/storage/raft/snapshot-force"],
    ])("raft restore (force %p): the payload's exact bytes, as octet-stream, to %s", async (force, p) => {
        const payload = Buffer.from([9, 8, 7, 0, 255, 128]);
        const { file } = await backupOf(payload);
        const { payloadOffset, manifest } = await checkBackup(file);
        expect(await raftStorage(target()).restore(file, payloadOffset, manifest.payload.size, force)).toEqual({ restarted: false });
        expect(fake().state.snapshot.equals(payload)).toBe(true);
        expect(fake().calls.at(-1)).toMatchObject({ method: "POST", path: p, token: "fake-root", contentType: "application/octet-stream" });
    });

    test("raft: a backup taken by save restores byte for byte", async () => {
        const dest = path.join(dir, "snap");
        await raftStorage(target()).save(dest);
        const file = path.join(dir, "raft.vsnap");
        await writeBackup(file, dest, { ...META, storage: "raft" });
        const before = fake().state.snapshot;
        fake().state.snapshot = Buffer.from("fake other data");
        const { payloadOffset, manifest } = await checkBackup(file);
        await raftStorage(target()).restore(file, payloadOffset, manifest.payload.size, false);
        expect(fake().state.snapshot.equals(before)).toBe(true);
    });

    test("releaseAuditDevice: disables the device when the table has it, else leaves the server alone", async () => {
        fake().script("GET /v1/sys/audit", [
            { status: 200, json: { "file/": { type: "file" } } },
            { status: 200, json: {} },
        ]);
        fake().script("DELETE /v1/sys/audit/file", [{ status: 204 }]);
        expect(await releaseAuditDevice(fake().address, "fake-admin", "file")).toBe(true);
        expect(await releaseAuditDevice(fake().address, "fake-admin", "file")).toBe(false);
        expect(fake().lines()).toEqual(["GET /v1/sys/audit", "DELETE /v1/sys/audit/file", "GET /v1/sys/audit"]);
    });
});
