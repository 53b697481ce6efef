import * as automation from "@pulumi/pulumi/automation";
import { execFileSync } from "child_process";
import * as net from "net";
import { DEFAULTS, NS } from "../config";
import { vaultApi } from "./vaultApi";
import { unsealWithKeys } from "./unseal";
import { dockerUrns, note } from "./workspace";

/** The local MPL server image that the setup command builds when no registry answers. */
export const LOCAL_IMAGE = process.env.SERVER_IMAGE ?? "vault-stack/vault-mpl:1.14.8-local";

/** Where the operations write the engine's output (the terminal by default). */
export type Sink = (text: string) => void;

const toStdout: Sink = (s) => process.stdout.write(s);

/**
 * Fail early, with the next command, when the Docker engine does not answer. A refresh against a
 * stopped engine would read every Docker object as gone and drop it from the state.
 */
export function ensureDocker(): void {
    try {
        const v = execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
            timeout: 20_000,
            env: process.env,
        });
        if (v.trim() === "") throw new Error("no server version");
    } catch {
        throw new Error("no Docker engine answers (is dockerd running?): `npm run setup` starts it, or `sudo systemctl start docker`");
    }
}

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
        const s = await vaultApi(address, "GET", "/v1/sys/seal-status");
        return s.json.sealed === false ? "unsealed" : "sealed";
    } catch {
        return "unreachable";
    }
}

/**
 * `pulumi up` the way an operator wants it: the Docker side refreshed first (a container removed
 * by hand is recreated), a sealed server unsealed with the keys in the state so the Vault side
 * can be refreshed too (drift is restored), then the update. The program itself also unseals on
 * every update, so a plain `pulumi up` works as well.
 */
export async function provision(stack: automation.Stack, onOutput: Sink = toStdout): Promise<automation.UpResult> {
    await refreshDocker(stack, onOutput);
    let state = await serverState(stack);
    if (state === "sealed") {
        const outputs = await stack.outputs();
        const keys = (outputs.unsealKeys?.value ?? []) as string[];
        await unsealWithKeys(outputs.address!.value as string, async (i) => keys[i]);
        state = "unsealed";
    }
    return stack.up({ refresh: state === "unsealed", onOutput, color: "never" });
}

/** Preview with a refresh when the server is unsealed (drift shows), else the Docker-side preview only. */
export async function previewDrift(stack: automation.Stack, onOutput: Sink = toStdout): Promise<automation.PreviewResult> {
    await refreshDocker(stack, onOutput);
    const state = await serverState(stack);
    if (state === "sealed") {
        note("Vault is sealed, so Vault-side drift cannot be read: `npm run up` unseals it (or `npm run unseal`).");
    }
    return stack.preview({ refresh: state === "unsealed", diff: true, onOutput, color: "never" });
}

/**
 * `pulumi destroy`, refused up front while `protect` is on: the engine itself would delete every
 * unprotected resource before stopping at the protected ones.
 */
export async function destroyStack(stack: automation.Stack, onOutput: Sink = toStdout): Promise<void> {
    const cfg = await stack.getAllConfig();
    if ((cfg["vault-stack:protect"]?.value ?? "true") !== "false") {
        throw new Error(
            `the stack ${stack.name} is protected (setting \`vault-stack:protect\`): its state holds the only copy of the unseal keys this program knows. ` +
                "Read and distribute them first (`pulumi stack output --show-secrets unsealKeys`), then `pulumi config set vault-stack:protect false`, `npm run up`, `npm run destroy`. " +
                "The data and logs volumes and the stored secrets are kept either way.",
        );
    }
    ensureDocker();
    await stack.destroy({ onOutput, color: "never" });
}

/** Whether something accepts TCP connections on the address. */
export function portAnswers(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const sock = net.connect({ host, port, timeout: 1000 });
        sock.once("connect", () => {
            sock.destroy();
            resolve(true);
        });
        sock.once("error", () => resolve(false));
        sock.once("timeout", () => {
            sock.destroy();
            resolve(false);
        });
    });
}

function imageAvailable(image: string): boolean {
    try {
        execFileSync("docker", ["image", "inspect", image], { stdio: "ignore" });
        return true;
    } catch {
        try {
            execFileSync("docker", ["pull", image], { stdio: "ignore", timeout: 60_000 });
            return true;
        } catch {
            return false;
        }
    }
}

/**
 * Make sure the stack's image can be had before anything is created. A dev stack still on the
 * default image falls back, visibly and in its config, to the locally built MPL server.
 */
export async function ensureImage(stack: automation.Stack): Promise<void> {
    const cfg = await stack.getAllConfig();
    const image = cfg[`${NS}:image`]?.value ?? DEFAULTS.image!;
    if (imageAvailable(image)) {
        return;
    }
    const isDev = cfg[`${NS}:devPlaceholders`]?.value === "true";
    // The CLI reports Pulumi.yaml's default as if set, so "still on the default" is by value.
    if (isDev && image === DEFAULTS.image && imageAvailable(LOCAL_IMAGE)) {
        await stack.setConfig(`${NS}:image`, { value: LOCAL_IMAGE });
        note(
            `${image} is not present and no registry answered; this dev stack now uses the local MPL build ${LOCAL_IMAGE} ` +
                `(recorded in Pulumi.${stack.name}.yaml; change it with \`pulumi config set ${NS}:image <image>\`).`,
        );
        return;
    }
    throw new Error(
        `the image ${image} (setting \`${NS}:image\`) is not on this Docker host and could not be pulled (no registry answered). ` +
            `Load it (\`docker load -i vault.tar\`), or use the local MPL build from \`npm run setup\`: \`pulumi config set ${NS}:image ${LOCAL_IMAGE}\`.`,
    );
}

/** Fail early when the API port is taken by something other than this stack's container. */
export async function ensurePortFree(stack: automation.Stack): Promise<void> {
    const cfg = await stack.getAllConfig();
    const port = Number(cfg[`${NS}:port`]?.value ?? DEFAULTS.port);
    const bind = cfg[`${NS}:bindAddress`]?.value ?? DEFAULTS.bindAddress!;
    const ours = `vault-${stack.name}`;
    let running = false;
    try {
        running =
            execFileSync("docker", ["inspect", "--format", "{{.State.Running}}", ours], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() ===
            "true";
    } catch {
        running = false;
    }
    if (!running && (await portAnswers(bind === "0.0.0.0" ? "127.0.0.1" : bind, port))) {
        throw new Error(
            `port ${port} on ${bind} (setting \`${NS}:port\`) is already taken by another process: free it (\`ss -ltnp 'sport = :${port}'\` shows who), or pick another: \`pulumi config set ${NS}:port ${port + 1}\``,
        );
    }
}
