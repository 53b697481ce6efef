import * as automation from "@pulumi/pulumi/automation";
import { parseKeys } from "../core/vault/keys";
import { NextKey, SealStatus, unseal, unsealStandby } from "../core/vault/seal";
import { note } from "./workspace";

/** Read one line from a TTY without echoing it. */
export function readHidden(prompt: string): Promise<string> {
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
export async function readPiped(): Promise<string[]> {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) {
        chunks.push(c as Buffer);
    }
    return parseKeys(Buffer.concat(chunks).toString("utf8"));
}

/**
 * Unseal the stack's server after a restart (playbook step 13): keys typed at a prompt without
 * echo, or piped on stdin; progress shown as 2/3; no key is written anywhere.
 */
export async function unsealWithKeys(address: string, nextKey: NextKey): Promise<SealStatus> {
    const { status, unsealedNow } = await unseal(address, nextKey, note);
    note(unsealedNow ? `unsealed: ${address}` : `already unsealed: ${address}`);
    return status;
}

/** Where `npm run unseal` sends keys: the address named on the command line, else the stack's own; never the environment's. */
export function unsealTarget(stackAddress: string | undefined, addressFlag: string | undefined): string | undefined {
    return addressFlag ?? stackAddress;
}

/**
 * `npm run unseal`: the stack's own address (another only when named with `--address` on the
 * command line, never from an exported VAULT_ADDR, so keys typed for this stack cannot go to
 * another server); keys from a hidden prompt or stdin.
 */
export async function unsealCommand(stack: automation.Stack, addressFlag?: string, configAddress?: string, keys?: NextKey): Promise<void> {
    // Before the first update completes (key holders unseal a new server) the stack has no outputs
    // yet: its settings give the address.
    const address = unsealTarget(((await stack.outputs()).address?.value as string | undefined) ?? configAddress, addressFlag);
    if (address === undefined) {
        throw new Error(`the stack ${stack.name} has no server yet: run \`npm run up\` first`);
    }
    note(`unsealing ${address} (stack ${stack.name})`);
    let source: NextKey;
    if (keys !== undefined) {
        source = keys;
    } else if (process.stdin.isTTY) {
        source = (i, t) => readHidden(`unseal key ${i + 1} (of ${t} needed, not echoed): `);
    } else {
        const piped = await readPiped();
        source = async (i) => piped[i];
    }
    // The keys given are kept in memory for the other nodes of a Raft cluster, then dropped.
    const given: string[] = [];
    await unsealWithKeys(address, async (i, t) => {
        const k = await source(i, t);
        if (k !== undefined) given.push(k);
        return k;
    });
    const others = addressFlag === undefined ? (((await stack.outputs()).nodeAddresses?.value ?? []) as string[]).slice(1) : [];
    await unsealOthers(others, given);
    given.length = 0;
}

/** Unseal the other nodes of a Raft cluster with the same keys; one that stays sealed is reported, not fatal. */
export async function unsealOthers(others: readonly string[], keys: readonly string[]): Promise<void> {
    for (const other of others) {
        const r = await unsealStandby(other, keys, note, 30).catch((err: unknown) => ({ address: other, problem: String(err) }));
        if (r.problem !== undefined) note(`WARNING: the node at ${other} is still sealed: ${r.problem}`);
    }
}
