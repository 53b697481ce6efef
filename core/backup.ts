import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import { notABackup } from "./messages";
import { DATA_DIR, MANAGED_BY } from "./names";
import { apiErrors, vaultApi, vaultBytes } from "./vault/client";

// Backups of a stack's server: the file format (a tar whose first entry is a JSON manifest and
// whose second is the storage's own payload) and the storage-specific part behind one small
// interface. The payload is what Vault keeps on disk or in a Raft snapshot: encrypted by Vault's
// barrier, useless without the unseal keys.

/** The manifest's `format` value: what makes a file a backup of this program. */
export const BACKUP_FORMAT = "vault-stack-backup";
/** The manifest version this code writes and reads. */
export const BACKUP_VERSION = 1;
/** The extension of backup files. */
export const BACKUP_EXT = ".vsnap";
/** The first entry of the tar. */
export const MANIFEST_ENTRY = "manifest.json";
/** The second entry of the tar. */
export const PAYLOAD_ENTRY = "payload";

/** The storage a server keeps its data in (the `storage` setting). */
export type StorageKind = "file" | "raft";

/** The first entry of a backup: what it is, where it came from, and the payload's checksum. */
export interface Manifest {
    readonly format: typeof BACKUP_FORMAT;
    readonly version: number;
    readonly storage: StorageKind;
    /** The stack the backup was taken of. */
    readonly stack: string;
    /** The server's cluster_id (sys/health, unsealed): a restore into another cluster needs --force. */
    readonly cluster_id: string;
    /** ISO time the backup was taken, UTC. */
    readonly created: string;
    /** Payload size in bytes and its sha256 (hex). */
    readonly payload: { readonly size: number; readonly sha256: string };
}

/** A backup file that passed every check: its manifest and where the payload lies in it. */
export interface CheckedBackup {
    readonly file: string;
    readonly manifest: Manifest;
    readonly payloadOffset: number;
}

const BLOCK = 512;
const padded = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

/** The backup's file name: stack and UTC time, e.g. `dev-20261130T071500Z.vsnap`. */
export function backupFileName(stack: string, at: Date, suffix = ""): string {
    const t = at
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z")
        .replace(/[-:]/g, "");
    return `${stack}-${t}${suffix}${BACKUP_EXT}`;
}

/** A ustar header for one regular file (mode 0600, owner 0). */
export function tarHeader(name: string, size: number, mtime: Date): Buffer {
    const h = Buffer.alloc(BLOCK, 0);
    const octal = (n: number, width: number): string => n.toString(8).padStart(width - 1, "0") + "\0";
    h.write(name, 0, 100, "utf8");
    h.write(octal(0o600, 8), 100);
    h.write(octal(0, 8), 108);
    h.write(octal(0, 8), 116);
    h.write(octal(size, 12), 124);
    h.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136);
    h.write("        ", 148);
    h.write("0", 156);
    h.write("ustar\u000000", 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(octal(sum, 7) + " ", 148);
    return h;
}

/** Parse a ustar header: the entry's name and size; undefined when the block is not a valid header. */
export function parseTarHeader(h: Buffer): { name: string; size: number } | undefined {
    if (h.length !== BLOCK || h.subarray(257, 262).toString("latin1") !== "ustar") return undefined;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (parseInt(h.subarray(148, 156).toString("latin1").replace(/\0.*$/, "").trim(), 8) !== sum) return undefined;
    const name = h.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(h.subarray(124, 136).toString("latin1").replace(/\0.*$/, "").trim(), 8);
    return Number.isFinite(size) ? { name, size } : undefined;
}

/** The sha256 (hex) of a region of a file, streamed. */
export async function sha256Of(file: string, start = 0, length?: number): Promise<string> {
    const hash = crypto.createHash("sha256");
    const end = length === undefined ? undefined : start + length - 1;
    if (length === 0) return hash.digest("hex");
    for await (const chunk of fs.createReadStream(file, { start, end })) hash.update(chunk as Buffer);
    return hash.digest("hex");
}

/**
 * Write a backup file (mode 0600, never over an existing file): the manifest, then the payload
 * read from `payloadFile`. Returns the manifest written.
 */
export async function writeBackup(out: string, payloadFile: string, meta: Omit<Manifest, "format" | "version" | "payload">): Promise<Manifest> {
    const size = fs.statSync(payloadFile).size;
    const manifest: Manifest = { format: BACKUP_FORMAT, version: BACKUP_VERSION, ...meta, payload: { size, sha256: await sha256Of(payloadFile) } };
    const json = Buffer.from(JSON.stringify(manifest, null, 2) + "\n", "utf8");
    const at = new Date(meta.created);
    const fd = fs.openSync(out, "wx", 0o600);
    try {
        fs.writeSync(fd, tarHeader(MANIFEST_ENTRY, json.length, at));
        fs.writeSync(fd, Buffer.concat([json, Buffer.alloc(padded(json.length) - json.length)]));
        fs.writeSync(fd, tarHeader(PAYLOAD_ENTRY, size, at));
        const src = fs.openSync(payloadFile, "r");
        try {
            const buf = Buffer.alloc(1 << 20);
            for (let n; (n = fs.readSync(src, buf, 0, buf.length, null)) > 0; ) fs.writeSync(fd, buf, 0, n);
        } finally {
            fs.closeSync(src);
        }
        // The payload's padding and tar's end: two empty blocks.
        fs.writeSync(fd, Buffer.alloc(padded(size) - size + 2 * BLOCK));
        fs.fsyncSync(fd);
    } catch (err) {
        fs.closeSync(fd);
        fs.rmSync(out, { force: true });
        throw err;
    }
    fs.closeSync(fd);
    return manifest;
}

/** Check a manifest's fields; the reason it is not one of this program's, or undefined. */
export function manifestProblem(m: unknown): string | undefined {
    const p = m as Partial<Manifest> | null;
    if (typeof p !== "object" || p === null || p.format !== BACKUP_FORMAT) return `its manifest has no "format": "${BACKUP_FORMAT}"`;
    if (p.version !== BACKUP_VERSION) return `its manifest has version ${String(p.version)}; this program reads version ${BACKUP_VERSION}`;
    if (p.storage !== "file" && p.storage !== "raft") return `its manifest names the storage ${JSON.stringify(p.storage)}; allowed: "file", "raft"`;
    if (typeof p.stack !== "string" || typeof p.cluster_id !== "string" || p.cluster_id === "" || typeof p.created !== "string") {
        return "its manifest lacks the stack, the cluster_id or the creation time";
    }
    const pl = p.payload;
    if (typeof pl !== "object" || pl === null || !Number.isInteger(pl.size) || pl.size < 0 || !/^[0-9a-f]{64}$/.test(String(pl.sha256))) {
        return "its manifest lacks the payload's size or sha256";
    }
    return undefined;
}

/**
 * Open a backup file and check it through: the tar headers, the manifest, the payload's size and
 * sha256. Throws `notABackup` naming the file, what is wrong and the fix.
 */
export async function checkBackup(file: string): Promise<CheckedBackup> {
    let fd: number;
    try {
        fd = fs.openSync(file, "r");
    } catch (err) {
        throw new Error(notABackup(file, `it cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`));
    }
    const total = fs.fstatSync(fd).size;
    const read = (pos: number, len: number): Buffer => {
        const b = Buffer.alloc(len);
        const n = fs.readSync(fd, b, 0, len, pos);
        return b.subarray(0, n);
    };
    let manifest: Manifest;
    let payloadOffset: number;
    try {
        const first = parseTarHeader(read(0, BLOCK));
        if (first === undefined || first.name !== MANIFEST_ENTRY || first.size > 1 << 20) {
            throw new Error(notABackup(file, `it does not start with a tar entry ${MANIFEST_ENTRY} (not a ${BACKUP_EXT} file of this program)`));
        }
        let parsed: unknown;
        try {
            parsed = JSON.parse(read(BLOCK, first.size).toString("utf8"));
        } catch {
            throw new Error(notABackup(file, `its ${MANIFEST_ENTRY} is not JSON`));
        }
        const why = manifestProblem(parsed);
        if (why !== undefined) throw new Error(notABackup(file, why));
        manifest = parsed as Manifest;
        const at = BLOCK + padded(first.size);
        const second = parseTarHeader(read(at, BLOCK));
        if (second === undefined || second.name !== PAYLOAD_ENTRY) {
            throw new Error(notABackup(file, `its second tar entry is not the ${PAYLOAD_ENTRY}`));
        }
        payloadOffset = at + BLOCK;
        if (second.size !== manifest.payload.size || payloadOffset + second.size > total) {
            throw new Error(
                notABackup(
                    file,
                    `its payload has ${Math.max(0, Math.min(second.size, total - payloadOffset))} bytes, the manifest says ${manifest.payload.size} (truncated?)`,
                ),
            );
        }
    } finally {
        fs.closeSync(fd);
    }
    const sum = await sha256Of(file, payloadOffset, manifest.payload.size);
    if (sum !== manifest.payload.sha256) {
        throw new Error(notABackup(file, `its payload's sha256 is ${sum}, the manifest says ${manifest.payload.sha256} (the file is corrupted)`));
    }
    return { file, manifest, payloadOffset };
}

/** The server's cluster_id, or why it cannot be had (sealed, unreachable, not initialised). */
export async function clusterId(address: string): Promise<{ id?: string; why?: string }> {
    try {
        const r = await vaultApi(address, "GET", "/v1/sys/health?standbyok=true");
        const id = r.json.cluster_id;
        if (r.status === 200 && typeof id === "string" && id !== "") return { id };
        if (r.json.initialized === false) return { why: "not initialised" };
        if (r.json.sealed === true) return { why: "sealed" };
        return { why: `not ready (HTTP ${r.status})` };
    } catch (err) {
        return { why: `unreachable (${err instanceof Error ? err.message : String(err)})` };
    }
}

/** What a storage implementation needs to know of the stack's server. */
export interface BackupTarget {
    /** The API address as seen from this host. */
    readonly address: string;
    /** A token that may take and install snapshots (raft); the admin token. */
    readonly token?: string;
    /** The container's physical name (file). */
    readonly container: string;
    /** The data volume's physical name (file). */
    readonly dataVolume: string;
    /** The image the throwaway copy containers run: the stack's own (file). */
    readonly image: string;
}

/** The storage-specific part of backup and restore. */
export interface StorageBackup {
    readonly kind: StorageKind;
    /** Write a consistent copy of the server's data to `dest`; `restarted` when the server was stopped and started (it is then sealed). */
    save(dest: string): Promise<{ restarted: boolean }>;
    /** Replace the server's data with the payload at `offset` in `file`; `restarted` as for `save`. */
    restore(file: string, offset: number, size: number, force: boolean): Promise<{ restarted: boolean }>;
}

/** Run a program to its end with stdin/stdout bound as given; throws with its stderr on failure. */
function run(cmd: string, args: string[], io: { stdout?: number; stdin?: NodeJS.ReadableStream } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { stdio: [io.stdin === undefined ? "ignore" : "pipe", io.stdout ?? "ignore", "pipe"] });
        let err = "";
        child.stderr!.on("data", (c: Buffer) => (err += c.toString("utf8")));
        if (io.stdin !== undefined) {
            io.stdin.on("error", reject);
            io.stdin.pipe(child.stdin!);
        }
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args[0]} failed (exit ${code}): ${err.trim().slice(-500)}`))));
    });
}

/** `docker run --rm` of the stack's image with the data volume mounted, no network, labelled as this program's. */
export function throwawayArgs(t: BackupTarget, readOnly: boolean, entrypoint: string, args: string[]): string[] {
    return [
        "run",
        "--rm",
        ...(readOnly ? [] : ["-i"]),
        "--network",
        "none",
        "--label",
        `${MANAGED_BY.label}=${MANAGED_BY.value}`,
        "--entrypoint",
        entrypoint,
        "-v",
        `${t.dataVolume}:${DATA_DIR}${readOnly ? ":ro" : ""}`,
        t.image,
        ...args,
    ];
}

/** The script that empties the data volume and unpacks a tar from stdin into it (no secret on it). */
export const UNPACK_SCRIPT = `rm -rf ${DATA_DIR}/* ${DATA_DIR}/.[!.]* ${DATA_DIR}/..?* && tar -C ${DATA_DIR} -xf -`;

/** Copy the data volume to `dest` (a tar), streamed from a throwaway container. */
export async function copyVolumeOut(t: BackupTarget, dest: string): Promise<void> {
    const fd = fs.openSync(dest, "wx", 0o600);
    try {
        await run("docker", throwawayArgs(t, true, "tar", ["-C", DATA_DIR, "-cf", "-", "."]), { stdout: fd });
    } finally {
        fs.closeSync(fd);
    }
}

/** Empty the data volume and unpack the tar at `offset` in `file` into it, from a throwaway container. */
export async function copyVolumeIn(t: BackupTarget, file: string, offset: number, size: number): Promise<void> {
    const stdin = size === 0 ? fs.createReadStream("/dev/null") : fs.createReadStream(file, { start: offset, end: offset + size - 1 });
    await run("docker", throwawayArgs(t, false, "sh", ["-c", UNPACK_SCRIPT]), { stdin });
}

/**
 * File storage: no write may be in flight, so the container is stopped, the volume copied (or
 * replaced) by a throwaway container of the stack's own image, and the container started again
 * (sealed: the caller unseals).
 */
export function fileStorage(t: BackupTarget): StorageBackup {
    const stopped = async (what: () => Promise<void>): Promise<{ restarted: boolean }> => {
        await run("docker", ["stop", t.container]);
        try {
            await what();
        } finally {
            await run("docker", ["start", t.container]);
        }
        return { restarted: true };
    };
    return {
        kind: "file",
        save: (dest) => stopped(() => copyVolumeOut(t, dest)),
        restore: (file, offset, size) => stopped(() => copyVolumeIn(t, file, offset, size)),
    };
}

/** The payload of a backup file, read into memory (a Raft snapshot is sent as one request body). */
export function readPayload(file: string, offset: number, size: number): Buffer {
    const body = Buffer.alloc(size);
    const fd = fs.openSync(file, "r");
    try {
        fs.readSync(fd, body, 0, size, offset);
    } finally {
        fs.closeSync(fd);
    }
    return body;
}

/** The snapshot paths of Vault's Raft storage. */
export const RAFT_SNAPSHOT = "/v1/sys/storage/raft/snapshot";
export const RAFT_SNAPSHOT_FORCE = "/v1/sys/storage/raft/snapshot-force";

/**
 * Raft storage: Vault's own snapshot API, on a running, unsealed cluster (no stop). A restore
 * into the same cluster goes to `snapshot`; into another one only with --force, to `snapshot-force`.
 */
export function raftStorage(t: BackupTarget): StorageBackup {
    const token = (): string => {
        if (t.token === undefined || t.token === "")
            throw new Error("a Raft snapshot needs the stack's admin token, and its state holds none: run `npm run up` first");
        return t.token;
    };
    return {
        kind: "raft",
        async save(dest) {
            const r = await vaultBytes(t.address, "GET", RAFT_SNAPSHOT, { token: token() });
            if (r.status !== 200) throw new Error(`GET ${RAFT_SNAPSHOT} answered HTTP ${r.status}: ${r.errors || "no reason given"}`);
            fs.writeFileSync(dest, r.body, { mode: 0o600, flag: "wx" });
            return { restarted: false };
        },
        async restore(file, offset, size, force) {
            const body = readPayload(file, offset, size);
            const p = force ? RAFT_SNAPSHOT_FORCE : RAFT_SNAPSHOT;
            const r = await vaultBytes(t.address, "POST", p, { token: token(), body });
            if (r.status !== 200 && r.status !== 204) throw new Error(`POST ${p} answered HTTP ${r.status}: ${r.errors || "no reason given"}`);
            return { restarted: false };
        },
    };
}

/** The implementation for a storage kind. */
export function storageBackup(kind: StorageKind, t: BackupTarget): StorageBackup {
    return kind === "raft" ? raftStorage(t) : fileStorage(t);
}

/** Whether the token answers lookup-self: the admin token survived a restore. */
export async function tokenWorks(address: string, token: string): Promise<{ ok: boolean; status: number; why: string }> {
    const r = await vaultApi(address, "GET", "/v1/auth/token/lookup-self", { token });
    return { ok: r.status === 200, status: r.status, why: apiErrors(r) };
}

/**
 * Hand a restored server's audit device over to the update that creates it: disable it (the admin
 * policy may) when it exists. Returns whether it existed.
 */
export async function releaseAuditDevice(address: string, token: string, devicePath: string): Promise<boolean> {
    const list = await vaultApi(address, "GET", "/v1/sys/audit", { token });
    if (list.status !== 200) throw new Error(`GET /v1/sys/audit answered HTTP ${list.status}: ${apiErrors(list) || "no reason given"}`);
    const table = (list.json.data ?? list.json) as Record<string, unknown>;
    if (table[`${devicePath}/`] === undefined) return false;
    const r = await vaultApi(address, "DELETE", `/v1/sys/audit/${devicePath}`, { token });
    if (r.status !== 204 && r.status !== 200)
        throw new Error(`DELETE /v1/sys/audit/${devicePath} answered HTTP ${r.status}: ${apiErrors(r) || "no reason given"}`);
    return true;
}
