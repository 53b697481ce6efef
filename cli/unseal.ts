import * as automation from "@pulumi/pulumi/automation";
import { vaultApi } from "./vaultApi";
import { note } from "./workspace";

/** Read one line from a TTY without echoing it. */
function readHidden(prompt: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const stdin = process.stdin;
        process.stderr.write(prompt);
        let value = "";
        stdin.setRawMode(true);
        stdin.resume();
        stdin.setEncoding("utf8");
        const onData = (ch: string): void => {
            for (const c of ch) {
                if (c === "\r" || c === "\n") {
                    done();
                    process.stderr.write("\n");
                    resolve(value);
                    return;
                }
                if (c === "\u0003") {
                    done();
                    reject(new Error("cancelled"));
                    return;
                }
                value = c === "\u007f" ? value.slice(0, -1) : value + c;
            }
        };
        const done = (): void => {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.removeListener("data", onData);
        };
        stdin.on("data", onData);
    });
}

/** Read keys from stdin when it is not a terminal: one key per line (or separated by commas). */
async function readPiped(): Promise<string[]> {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) {
        chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks)
        .toString("utf8")
        .split(/[\s,]+/)
        .filter((k) => k !== "");
}

/** One step of unsealing: the server's answer after a key. */
interface SealStatus {
    readonly sealed: boolean;
    readonly t: number;
    readonly progress: number;
    readonly initialized: boolean;
}

/**
 * Unseal the stack's server after a restart (playbook step 13): keys typed at a prompt without
 * echo, or piped on stdin; progress shown as 2/3; no key is written anywhere.
 */
export async function unsealWithKeys(address: string, nextKey: (i: number, threshold: number) => Promise<string | undefined>): Promise<SealStatus> {
    let s = (await vaultApi(address, "GET", "/v1/sys/seal-status")).json as unknown as SealStatus;
    if (!s.initialized) {
        throw new Error(`the server at ${address} is not initialised: run \`npm run up\`, which initialises it once`);
    }
    if (!s.sealed) {
        note(`already unsealed: ${address}`);
        return s;
    }
    for (let i = 0; s.sealed; i++) {
        const key = await nextKey(i, s.t);
        if (key === undefined) {
            throw new Error(`still sealed (${s.progress}/${s.t}): ${s.t} valid keys are needed`);
        }
        const r = await vaultApi(address, "POST", "/v1/sys/unseal", { body: { key: key.trim() } });
        if (r.status !== 200) {
            const errors = ((r.json.errors as string[] | undefined) ?? []).join("; ").replace(/[A-Za-z0-9+/=]{20,}/g, "<redacted>");
            throw new Error(`key ${i + 1} was rejected (HTTP ${r.status}: ${errors || "no reason given"}); progress was reset, start again with valid keys`);
        }
        s = r.json as unknown as SealStatus;
        note(`unseal progress: ${s.sealed ? s.progress : s.t}/${s.t}`);
    }
    note(`unsealed: ${address}`);
    return s;
}

/** `npm run unseal`: address from the stack's outputs, keys from a hidden prompt or stdin. */
export async function unsealCommand(stack: automation.Stack): Promise<void> {
    const outputs = await stack.outputs();
    const address = (process.env.VAULT_ADDR ?? outputs.address?.value) as string | undefined;
    if (address === undefined) {
        throw new Error(`the stack ${stack.name} has no server yet: run \`npm run up\` first`);
    }
    if (process.stdin.isTTY) {
        await unsealWithKeys(address, (i, t) => readHidden(`unseal key ${i + 1} (of ${t} needed, not echoed): `));
    } else {
        const keys = await readPiped();
        await unsealWithKeys(address, async (i) => keys[i]);
    }
}
