import * as automation from "@pulumi/pulumi/automation";
import { execFileSync } from "child_process";
import * as net from "net";
import { DEFAULTS, NS } from "../config";
import { destroyStack, ensureDocker, previewDrift, provision } from "./operations";
import { note, openStack } from "./workspace";
import { unsealCommand } from "./unseal";
import { verifyCommand } from "./verify";

/** The local MPL server image that the setup command builds when no registry answers. */
const LOCAL_IMAGE = process.env.SERVER_IMAGE ?? "vault-stack/vault-mpl:1.14.8-local";

const USAGE = `usage: npm run <command> [-- --stack NAME]
  up        provision, initialise, unseal and configure (the whole playbook)
  preview   show what an update would change, with a refresh when the server is unsealed
  destroy   remove the container and network; data and logs volumes are kept
  unseal    unseal after a restart, keys typed without echo or read from stdin
  verify    the playbook's verification, exits non-zero when a check fails
  keys      print where the unseal keys and root token are and how to read them`;

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
async function ensureImage(stack: automation.Stack): Promise<void> {
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
async function ensurePortFree(stack: automation.Stack): Promise<void> {
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

async function up(stack: automation.Stack): Promise<void> {
    ensureDocker();
    await ensurePortFree(stack);
    await ensureImage(stack);
    const res = await provision(stack);
    const o = res.outputs;
    note(`
Vault is initialised and unsealed at ${o.address?.value} (UI: ${o.uiUrl?.value}).
The unseal keys, root token and app token are in the stack's encrypted state, never on screen:
  npm run keys   says how to read them (pulumi stack output --show-secrets unsealKeys).
Give each key to a different person (playbook step 6), then delete any local copy.`);
    const placeholders = (o.placeholders?.value ?? []) as string[];
    if (placeholders.length > 0) {
        note(
            `Dev placeholders stored for: ${placeholders.join(", ")}. Set real values with \`pulumi config set --secret ${NS}:<key> <value>\`, then \`npm run up\`.`,
        );
    }
}

async function preview(stack: automation.Stack): Promise<void> {
    await previewDrift(stack);
}

async function destroy(stack: automation.Stack): Promise<void> {
    await destroyStack(stack);
    note("Destroyed. The data and logs volumes were kept; `npm run up` with the same keys brings the server back.");
}

function keys(stack: automation.Stack): void {
    note(`The stack ${stack.name} keeps these as encrypted secrets in its state:
  unsealKeys  pulumi stack output --show-secrets unsealKeys --stack ${stack.name}
  rootToken   pulumi stack output --show-secrets rootToken --stack ${stack.name}
  appToken    pulumi stack output --show-secrets appToken --stack ${stack.name}
(with PULUMI_BACKEND_URL=file://.pulumi-state and PULUMI_CONFIG_PASSPHRASE_FILE=.passphrase for the local default).
Distribute the keys outside this host and never store them in a file here.`);
}

async function main(argv: string[]): Promise<void> {
    const cmd = argv[0];
    const stackIdx = argv.indexOf("--stack");
    const stackName = stackIdx >= 0 ? argv[stackIdx + 1] : (process.env.PULUMI_STACK ?? "dev");
    const commands: Record<string, (s: automation.Stack) => Promise<void> | void> = {
        up,
        preview,
        destroy,
        keys,
        unseal: (s) => unsealCommand(s),
        verify: (s) => verifyCommand(s),
    };
    const run = cmd === undefined ? undefined : commands[cmd];
    if (run === undefined) {
        note(USAGE);
        process.exitCode = 2;
        return;
    }
    const stack = await openStack({ stackName });
    await run(stack);
}

main(process.argv.slice(2)).catch((err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    note(`\nerror: ${msg}`);
    process.exitCode = 1;
});
