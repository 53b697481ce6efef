import * as automation from "@pulumi/pulumi/automation";
import { ADMIN_COMMAND, ROOT_TOKEN_ENV } from "../core/names";
import { generateRoot, revokeAccessor, revokeSelf } from "../core/vault/admin";
import { vaultApi } from "../core/vault/client";
import { parseKeys } from "../core/vault/keys";
import { NextKey } from "../core/vault/seal";
import { Sink, provision } from "./operations";
import { readHidden, readPiped } from "./unseal";
import { note } from "./workspace";

/** Where generate-root takes the unseal keys from. */
export type KeySource = "state" | "typed";

/** The URN of the admin bootstrap command in the stack's state, if it has one. */
export async function adminCommandUrn(stack: automation.Stack): Promise<string | undefined> {
    const state = await stack.exportStack();
    const resources = (state.deployment as { resources?: { urn: string; type: string }[] }).resources ?? [];
    return resources.find((r) => r.type === "command:local:Command" && r.urn.endsWith(`::${ADMIN_COMMAND}`))?.urn;
}

/** The keys of the stack's state, or from the holders (hidden prompt on a terminal, else stdin). */
async function keySource(stack: automation.Stack, source: KeySource): Promise<NextKey> {
    if (source === "state") {
        const keys = ((await stack.outputs()).unsealKeys?.value ?? []) as string[];
        if (keys.length === 0) {
            throw new Error(`the stack ${stack.name} holds no unseal keys: have the key holders type theirs with \`npm run generate-root -- --type-keys\``);
        }
        return async (i) => keys[i];
    }
    if (process.stdin.isTTY) {
        return (i, t) => readHidden(`unseal key ${i + 1} (of ${t} needed, not echoed): `);
    }
    const keys = parseKeys((await readPiped()).join("\n"));
    return async (i) => keys[i];
}

/**
 * `npm run generate-root`: Vault's generate-root flow (OTP) with a threshold of unseal keys; the
 * short-lived root token re-issues the admin identity through an update that replaces the
 * bootstrap command (the token reaches it through the environment, never argv), and is revoked
 * whatever happens. The previous admin token is revoked too.
 */
export async function generateRootCommand(stack: automation.Stack, source: KeySource, onOutput?: Sink, say: (m: string) => void = note): Promise<void> {
    const o = await stack.outputs();
    const address = o.address?.value as string | undefined;
    if (address === undefined) {
        throw new Error(`the stack ${stack.name} has no server yet: run \`npm run up\` first`);
    }
    say(`generating a short-lived root token on ${address} (stack ${stack.name}) from ${source === "state" ? "the keys in the state" : "typed keys"}`);
    const root = await generateRoot(address, await keySource(stack, source), say);
    const ws = stack.workspace as automation.LocalWorkspace;
    try {
        const previous = o.adminTokenAccessor?.value as string | undefined;
        if (previous !== undefined) {
            await revokeAccessor(address, root, previous);
            say(`revoked the previous admin token (accessor ${previous})`);
        }
        const urn = await adminCommandUrn(stack);
        ws.envVars[ROOT_TOKEN_ENV] = root;
        // No refresh: the Vault side cannot be read with the admin token being replaced.
        await provision(stack, onOutput, { refresh: false, ...(urn === undefined ? {} : { replace: [urn] }) });
    } finally {
        delete ws.envVars[ROOT_TOKEN_ENV];
        // The bootstrap revoked it as its last act; make sure of it whatever failed.
        await revokeSelf(address, root);
        const check = await vaultApi(address, "GET", "/v1/auth/token/lookup-self", { token: root });
        say(check.status === 403 ? "the generated root token is revoked" : `WARNING: the generated root token still answers (HTTP ${check.status})`);
    }
    say(`the admin identity is re-issued: accessor ${String((await stack.outputs()).adminTokenAccessor?.value)}`);
}
