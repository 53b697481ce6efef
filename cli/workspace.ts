import * as automation from "@pulumi/pulumi/automation";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NS } from "../core/names";
import vaultStack = require("../index");

/** The project root (where Pulumi.yaml lives). */
export const ROOT = path.resolve(__dirname, "..");
/** Where the local file backend keeps state unless PULUMI_BACKEND_URL says otherwise. */
export const LOCAL_STATE_DIR = path.join(ROOT, ".pulumi-state");
/** The generated stack passphrase file, used unless PULUMI_CONFIG_PASSPHRASE(_FILE) is set. */
export const PASSPHRASE_FILE = path.join(ROOT, ".passphrase");

/** Options for opening a stack. */
export interface OpenOptions {
    /** Stack name. @default "dev" */
    readonly stackName?: string;
    /** Backend URL. @default PULUMI_BACKEND_URL or file://<project>/.pulumi-state */
    readonly backendUrl?: string;
    /** Extra environment for the CLI (e.g. a passphrase for tests). */
    readonly envVars?: Record<string, string>;
    /** Directory holding Pulumi.yaml and Pulumi.<stack>.yaml. @default the project root */
    readonly workDir?: string;
    /** Project settings to write into `workDir` (a temporary one) instead of reading its Pulumi.yaml. */
    readonly projectSettings?: automation.ProjectSettings;
}

/** Print a line for the operator on stderr. */
export function note(msg: string): void {
    process.stderr.write(`${msg}\n`);
}

/**
 * The passphrase environment: the operator's PULUMI_CONFIG_PASSPHRASE(_FILE) if set, else a
 * passphrase generated once into an ignored file with mode 0600.
 */
export function passphraseEnv(): Record<string, string> {
    if (process.env.PULUMI_CONFIG_PASSPHRASE !== undefined || process.env.PULUMI_CONFIG_PASSPHRASE_FILE !== undefined) {
        return {};
    }
    if (!fs.existsSync(PASSPHRASE_FILE)) {
        fs.writeFileSync(PASSPHRASE_FILE, crypto.randomBytes(32).toString("base64url") + "\n", { mode: 0o600 });
        note(
            `Generated the stack passphrase in ${PASSPHRASE_FILE} (mode 0600). It encrypts the unseal keys and tokens in the state: ` +
                "back it up with them, or set PULUMI_CONFIG_PASSPHRASE_FILE to a file of your own.",
        );
    }
    fs.chmodSync(PASSPHRASE_FILE, 0o600);
    return { PULUMI_CONFIG_PASSPHRASE_FILE: PASSPHRASE_FILE };
}

/** Open (create or select) a stack of this program, run inline through the Automation API. */
export async function openStack(opts: OpenOptions = {}): Promise<automation.Stack> {
    const backendUrl = opts.backendUrl ?? process.env.PULUMI_BACKEND_URL ?? `file://${LOCAL_STATE_DIR}`;
    if (backendUrl.startsWith("file://")) {
        fs.mkdirSync(backendUrl.slice("file://".length), { recursive: true });
    }
    const envVars: Record<string, string> = {
        PULUMI_BACKEND_URL: backendUrl,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        ...(opts.envVars ?? passphraseEnv()),
    };
    return automation.LocalWorkspace.createOrSelectStack(
        { stackName: opts.stackName ?? "dev", projectName: NS, program: async () => vaultStack() },
        {
            workDir: opts.workDir ?? ROOT,
            projectSettings: opts.projectSettings,
            envVars,
            pulumiHome: process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"),
        },
    );
}

/** URNs of the Docker resources in the stack's state, for a refresh that needs no unsealed Vault. */
export async function dockerUrns(stack: automation.Stack): Promise<string[]> {
    const state = await stack.exportStack();
    const resources = (state.deployment as { resources?: { urn: string; type: string }[] }).resources ?? [];
    return resources.filter((r) => r.type.startsWith("docker:") && !r.type.startsWith("pulumi:providers:")).map((r) => r.urn);
}
