import * as automation from "@pulumi/pulumi/automation";
import { armorMessage } from "../core/keyHolders";
import { INIT_COMMAND } from "../core/names";
import { parseInitOutput } from "../core/vault/init";

/** A state output as `stack export --show-secrets` gives it: the value, or a secret's decrypted plaintext (JSON). */
function plain(v: unknown): unknown {
    if (typeof v === "object" && v !== null && "plaintext" in v) return JSON.parse((v as { plaintext: string }).plaintext) as unknown;
    return v;
}

/**
 * Each key holder's encrypted share (base64 PGP message), by name; undefined when the stack keeps
 * its keys in the state. Read from the stack's outputs, or, when the first update stopped at a
 * sealed server before it set any output, from the init command in the state.
 */
export async function heldShares(stack: automation.Stack): Promise<Record<string, string> | undefined> {
    const out = (await stack.outputs()).encryptedUnsealKeys?.value as Record<string, string> | undefined | null;
    if (out !== undefined && out !== null) return out;
    const state = await stack.exportStack();
    const resources = (state.deployment as { resources?: { urn: string; type: string; outputs?: Record<string, unknown> }[] }).resources ?? [];
    const init = resources.find((r) => r.type === "command:local:Command" && r.urn.endsWith(`::${INIT_COMMAND}`));
    const stdout = plain(init?.outputs?.stdout);
    if (typeof stdout !== "string" || stdout === "") return undefined;
    const rec = parseInitOutput(stdout);
    return rec.holders === undefined ? undefined : Object.fromEntries(rec.holders.map((h, i) => [h, rec.unsealKeys[i]!]));
}

/** `npm run -s keys -- --holder NAME`: that holder's share, ASCII-armored for `gpg --decrypt`. */
export async function holderShare(stack: automation.Stack, name: string): Promise<string> {
    const shares = await heldShares(stack);
    if (shares === undefined) {
        throw new Error(`the stack ${stack.name} keeps its unseal keys in its state, not with key holders: \`pulumi stack output --show-secrets unsealKeys\``);
    }
    const share = shares[name];
    if (share === undefined) {
        throw new Error(`no key holder ${name} in the stack ${stack.name} (holders: ${Object.keys(shares).join(", ")})`);
    }
    return armorMessage(share);
}
