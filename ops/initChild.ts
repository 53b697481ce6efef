import { spawn } from "child_process";
import * as fs from "fs";
import { crashAt } from "../core/fault";
import { HolderKeys, requestInit } from "../core/vault/init";
import { loadRecord } from "../core/vault/record";

// The init request runs in a child process of its own session: whatever happens to the update
// (the ops process, the command plugin, the engine or the whole process group killed), the child
// finishes writing the encrypted record once Vault has answered. The parent reads it back.

/** The record's file and key. */
export interface RecordPlace {
    readonly file: string;
    readonly key: string;
}

/** Where the child leaves its error message (never a secret) for the parent. */
const errorFile = (record: RecordPlace): string => `${record.file}.error`;

/** In the parent: run the init request in a detached child, wait for it, and return the record it wrote. */
export function initInChild(address: string, shares: number, threshold: number, record: RecordPlace): Promise<string> {
    fs.rmSync(errorFile(record), { force: true });
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [process.argv[1]!, "init-request"], {
            detached: true,
            stdio: "ignore",
            env: {
                ...process.env,
                VAULT_ADDR: address,
                KEY_SHARES: String(shares),
                KEY_THRESHOLD: String(threshold),
                INIT_PARENT_PID: String(process.pid),
            },
        });
        child.once("error", reject);
        child.once("exit", (code) => {
            const text = code === 0 ? loadRecord(record.file, record.key) : undefined;
            if (text !== undefined) {
                resolve(text);
                return;
            }
            const why = fs.existsSync(errorFile(record)) ? fs.readFileSync(errorFile(record), "utf8") : `the init process exited with ${code}`;
            reject(new Error(why));
        });
    });
}

/** In the child: the request, the durable record, and nothing else. */
export async function initRequestMain(address: string, record: RecordPlace, say: (m: string) => void): Promise<void> {
    try {
        await requestInit(
            address,
            Number(process.env.KEY_SHARES),
            Number(process.env.KEY_THRESHOLD),
            record,
            () => crashAt("after-init-response", say, Number(process.env.INIT_PARENT_PID)),
            holderKeys(process.env.KEY_HOLDERS),
        );
    } catch (err) {
        fs.writeFileSync(errorFile(record), err instanceof Error ? err.message : String(err), { mode: 0o600 });
        throw err;
    }
}

/** The key holders handed to the init step (`KEY_HOLDERS`: JSON list of { name, pgpKey }), if any. */
export function holderKeys(text: string | undefined): HolderKeys | undefined {
    const t = (text ?? "").trim();
    if (t === "") return undefined;
    const list = JSON.parse(t) as { name: string; pgpKey: string }[];
    return list.length === 0 ? undefined : { names: list.map((h) => h.name), keys: list.map((h) => h.pgpKey) };
}
