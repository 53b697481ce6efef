import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

// The init record on disk: between Vault answering sys/init and the engine saving the state, the
// keys are never only in memory. The record is AES-256-GCM encrypted with a key that the stack's
// state holds (as a secret) before init runs, written with fsync, and useless without the state.

/** What an encrypted record file holds. */
interface Sealed {
    readonly v: 1;
    readonly alg: "aes-256-gcm";
    readonly iv: string;
    readonly tag: string;
    readonly data: string;
}

/** The record key as 32 bytes; it is 64 hex digits in the state. */
function keyBytes(keyHex: string): Buffer {
    if (!/^[0-9a-f]{64}$/.test(keyHex)) {
        throw new Error("the init record key is not 64 hex digits; its resource in the state is damaged");
    }
    return Buffer.from(keyHex, "hex");
}

/** Encrypt a record for the file. */
export function encryptRecord(plaintext: string, keyHex: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv("aes-256-gcm", keyBytes(keyHex), iv);
    const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const sealed: Sealed = { v: 1, alg: "aes-256-gcm", iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") };
    return JSON.stringify(sealed);
}

/** Decrypt a record file's text; throws when it is not ours or the key does not open it. */
export function decryptRecord(text: string, keyHex: string): string {
    const s = JSON.parse(text) as Sealed;
    if (s.v !== 1 || s.alg !== "aes-256-gcm") throw new Error("not an init record of this program");
    const decipher = crypto.createDecipheriv("aes-256-gcm", keyBytes(keyHex), Buffer.from(s.iv, "base64"));
    decipher.setAuthTag(Buffer.from(s.tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(s.data, "base64")), decipher.final()]).toString("utf8");
}

/** Write a file durably: a private temporary file, fsync, rename over the target, fsync the folder. */
export function writeDurably(file: string, content: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, "w", 0o600);
    try {
        fs.writeSync(fd, content);
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    const dir = fs.openSync(path.dirname(file), "r");
    try {
        fs.fsyncSync(dir);
    } finally {
        fs.closeSync(dir);
    }
}

/** Write the init record, encrypted and durably. */
export function saveRecord(file: string, record: string, keyHex: string): void {
    writeDurably(file, encryptRecord(record, keyHex));
}

/** The init record at `file`, decrypted; undefined when there is none or this key does not open it (another init's). */
export function loadRecord(file: string, keyHex: string): string | undefined {
    if (!fs.existsSync(file)) return undefined;
    try {
        return decryptRecord(fs.readFileSync(file, "utf8"), keyHex);
    } catch {
        return undefined;
    }
}

/** Remove the record once the state holds its keys. */
export function removeRecord(file: string): void {
    fs.rmSync(file, { force: true });
}
