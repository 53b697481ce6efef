import * as automation from "@pulumi/pulumi/automation";
import { checkHost, ensureDocker, imageAvailable } from "../core/docker";
import { fixSet, setting } from "../core/messages";
import { DEFAULT_IMAGE, LOCAL_IMAGE, NS, apiAddress, physicalNames } from "../core/names";
import { SETTING_BY_KEY, defaultOf } from "../core/settings";
import { adminTokenLapsed } from "../core/messages";
import { vaultApi } from "../core/vault/client";

import { NextKey, sealStatus, unsealStandby, waitForLeader } from "../core/vault/seal";
import { unsealCommand, unsealOthers, unsealWithKeys } from "./unseal";
import { dockerUrns, note } from "./workspace";

/** Where the operations write the engine's output (the terminal by default). */
export type Sink = (text: string) => void;

const toStdout: Sink = (s) => process.stdout.write(s);

/** Refresh the Docker resources only: finds a container removed by hand without needing Vault unsealed. */
export async function refreshDocker(stack: automation.Stack, onOutput: Sink = toStdout): Promise<void> {
    ensureDocker();
    const urns = await dockerUrns(stack);
    if (urns.length > 0) {
        await stack.refresh({ target: urns, onOutput, color: "never" });
    }
}

/** The server's seal state as the stack's last outputs locate it; "absent" before the first up. */
export async function serverState(stack: automation.Stack): Promise<"absent" | "unreachable" | "sealed" | "unsealed"> {
    const outputs = await stack.outputs();
    const address = outputs.address?.value as string | undefined;
    if (address === undefined) {
        return "absent";
    }
    try {
        return (await sealStatus(address)).sealed === false ? "unsealed" : "sealed";
    } catch {
        return "unreachable";
    }
}

/**
 * Stop before a refresh when the stack's admin token is refused: the provider's own error would
 * only say it failed to look its token up.
 */
export async function ensureAdminToken(stack: automation.Stack): Promise<void> {
    const o = await stack.outputs();
    const token = o.adminToken?.value as string | undefined;
    if (token === undefined || o.address === undefined) return;
    const r = await vaultApi(o.address.value as string, "GET", "/v1/auth/token/lookup-self", { token });
    if (r.status === 403 || r.status === 401) {
        throw new Error(adminTokenLapsed(String(o.adminTokenAccessor?.value ?? ""), r.status));
    }
}

/**
 * `pulumi up` the way an operator wants it: the Docker side refreshed first (a container removed
 * by hand is recreated), a sealed server unsealed with the keys in the state so the Vault side
 * can be refreshed too (drift is restored), then the update. The program itself also unseals on
 * every update, so a plain `pulumi up` works as well.
 */
export async function provision(stack: automation.Stack, onOutput: Sink = toStdout, opts: automation.UpOptions = {}): Promise<automation.UpResult> {
    await refreshDocker(stack, onOutput);
    let state = await serverState(stack);
    const keys = ((await stack.outputs()).unsealKeys?.value ?? []) as string[];
    // Under key-holder custody the state holds no key: the update stops at the sealed server and
    // says which holders must unseal it.
    const nodes = ((await stack.outputs()).nodeAddresses?.value ?? []) as string[];
    if (state === "sealed" && keys.length > 0) {
        const first = (await stack.outputs()).address!.value as string;
        // A Raft node 0 is unsealed as any node (one that lost its data completes its join with the keys).
        if (nodes.length > 1) {
            const r = await unsealStandby(first, keys, note, 60);
            if (r.problem !== undefined) throw new Error(`the node at ${first} could not be unsealed: ${r.problem}`);
        }
        await unsealWithKeys(first, async (i) => keys[i]);
        state = "unsealed";
    }
    // A Raft cluster needs a quorum before anything can be read: unseal the other nodes too.
    if (state === "unsealed" && nodes.length > 1 && keys.length > 0) {
        await unsealOthers(nodes.slice(1), keys);
        note(`the active node is ${await waitForLeader(nodes[0]!, 60)}`);
    }
    const refresh = opts.refresh ?? state === "unsealed";
    if (refresh) await ensureAdminToken(stack);
    return stack.up({ onOutput, color: "never", ...opts, refresh });
}

/** Preview with a refresh when the server is unsealed (drift shows), else the Docker-side preview only. */
export async function previewDrift(stack: automation.Stack, onOutput: Sink = toStdout): Promise<automation.PreviewResult> {
    await refreshDocker(stack, onOutput);
    const state = await serverState(stack);
    if (state === "sealed") {
        note("Vault is sealed, so Vault-side drift cannot be read: `npm run up` unseals it (or `npm run unseal`).");
    }
    if (state === "unsealed") await ensureAdminToken(stack);
    return stack.preview({ refresh: state === "unsealed", diff: true, onOutput, color: "never" });
}

/**
 * The stack's plain settings as the CLI sees them: the stored value, else the table's default
 * ("" for a key the table does not have yet).
 */
export async function settingsOf(stack: automation.Stack): Promise<(key: string) => string> {
    const cfg = await stack.getAllConfig();
    return (key) => cfg[`${NS}:${key}`]?.value ?? (SETTING_BY_KEY.has(key) ? defaultOf(key) : undefined) ?? "";
}

/**
 * `pulumi destroy`, refused up front while `protect` is on: the engine itself would delete every
 * unprotected resource before stopping at the protected ones.
 */
export async function destroyStack(stack: automation.Stack, onOutput: Sink = toStdout): Promise<void> {
    if ((await settingsOf(stack))("protect") !== "false") {
        throw new Error(
            `the stack ${stack.name} is protected (setting ${setting("protect")}): its state holds the only copy of the unseal keys this program knows. ` +
                `Read and distribute them first (\`pulumi stack output --show-secrets unsealKeys\`), then ${fixSet("protect", "false")}, \`npm run up\`, \`npm run destroy\`. ` +
                "The data and logs volumes and the stored secrets are kept either way.",
        );
    }
    ensureDocker();
    await stack.destroy({ onOutput, color: "never" });
}

/**
 * Make sure the stack's image can be had before anything is created. A dev stack still on the
 * default image falls back, visibly and in its config, to the locally built MPL server.
 */
export async function ensureImage(stack: automation.Stack): Promise<void> {
    const get = await settingsOf(stack);
    const image = get("image");
    if (imageAvailable(image)) {
        return;
    }
    const isDev = get("devPlaceholders") === "true";
    // The CLI reports Pulumi.yaml's default as if set, so "still on the default" is by value.
    if (isDev && image === DEFAULT_IMAGE && imageAvailable(LOCAL_IMAGE)) {
        await stack.setConfig(`${NS}:image`, { value: LOCAL_IMAGE });
        note(
            `${image} is not present and no registry answered; this dev stack now uses the local MPL build ${LOCAL_IMAGE} ` +
                `(recorded in Pulumi.${stack.name}.yaml; change it with ${fixSet("image", "<image>")}).`,
        );
        return;
    }
    throw new Error(
        `the image ${image} (setting ${setting("image")}) is not on this Docker host and could not be pulled (no registry answered). ` +
            `Load it (\`docker load -i vault.tar\`), or use the local MPL build from \`npm run setup\`: ${fixSet("image", LOCAL_IMAGE)}.`,
    );
}

/** The API address the stack's settings give (before its first update has set the `address` output). */
export async function configAddress(stack: automation.Stack): Promise<string> {
    const get = await settingsOf(stack);
    return apiAddress(get("bindAddress"), Number(get("port")));
}

/** Fail early when the API port is taken by something other than this stack's container. */
export async function ensurePortFree(stack: automation.Stack): Promise<void> {
    const get = await settingsOf(stack);
    const port = Number(get("port"));
    const bind = get("bindAddress");
    await checkHost(bind, port, physicalNames(stack.name).container);
}

/**
 * `npm run unseal`, and when the stack was never configured (key holders unsealing a new server
 * its first update stopped at) that update too, so no other manual step follows.
 */
export async function unsealStack(stack: automation.Stack, addressFlag?: string, onOutput: Sink = toStdout, keys?: NextKey): Promise<void> {
    await unsealCommand(stack, addressFlag, await configAddress(stack), keys);
    if (addressFlag === undefined && (await stack.outputs()).adminTokenAccessor === undefined) {
        note("the stack was never configured: running its update now");
        await provision(stack, onOutput);
    }
}
