import * as automation from "@pulumi/pulumi/automation";
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ROOT, openStack } from "../../cli/workspace";
import { portAnswers } from "../../core/docker";
import { INIT_COMMAND, NS, PhysicalNames, initRecordFile, nodeNames, physicalNames } from "../../core/names";
import { projectConfig } from "../../core/settings";
import { ApiResult, vaultApi } from "../../core/vault/client";

// Plumbing shared by the end-to-end suite and the benchmark, with nothing of jest in it: the
// toolchain preflight, a scratch stack on a file backend in a temporary directory, and Docker
// and Vault HTTP helpers.

/**
 * The project as the Automation API gets it for a scratch stack: the program runs inline, so no
 * `main`; the config schema is the settings table's, the same that Pulumi.yaml must hold.
 */
export const PROJECT_SETTINGS: automation.ProjectSettings = {
    name: NS,
    runtime: { name: "nodejs", options: { typescript: true } },
    // The SDK types `config` as the old config-directory string, but writes the object as given,
    // which is the typed `config:` block the engine validates stack values against.
    config: projectConfig() as unknown as string,
};

/** Read toolchain/versions.env into a map. */
export function versions(): Record<string, string> {
    const text = fs.readFileSync(path.join(ROOT, "toolchain", "versions.env"), "utf8");
    return Object.fromEntries(
        text
            .split("\n")
            .filter((l) => /^[A-Z_]+=/.test(l))
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
    );
}

/** Run a command and return its stdout; throws with its stderr on failure. */
export function sh(cmd: string, args: string[], opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
    return execFileSync(cmd, args, {
        encoding: "utf8",
        input: opts.input,
        cwd: opts.cwd,
        env: opts.env,
        stdio: ["pipe", "pipe", "pipe"],
        maxBuffer: 512 * 1024 * 1024,
    });
}

/** Like sh, but returns undefined instead of throwing. */
export function trySh(cmd: string, args: string[]): string | undefined {
    try {
        return sh(cmd, args);
    } catch {
        return undefined;
    }
}

/** The server image the suite runs: SERVER_IMAGE, else the locally built one from versions.env. */
export function serverImage(): string {
    return process.env.SERVER_IMAGE ?? versions().SERVER_IMAGE!;
}

/**
 * Fail (never skip) when the toolchain is missing, naming the command that provides it.
 */
export function preflight(): void {
    const fix = "run `npm run setup` (or `npm test`, which runs it) first";
    const problems: string[] = [];
    const v = versions();
    const cli = trySh("pulumi", ["version"]);
    if (cli === undefined) {
        problems.push(`the Pulumi CLI is not on PATH`);
    }
    const plugins = trySh("pulumi", ["plugin", "ls", "--json"]);
    const have = new Set((plugins ? (JSON.parse(plugins) as { name: string; version: string }[]) : []).map((p) => `${p.name}@${p.version}`));
    for (const [name, key] of [
        ["docker", "DOCKER_PLUGIN_VERSION"],
        ["vault", "VAULT_PLUGIN_VERSION"],
        ["random", "RANDOM_PLUGIN_VERSION"],
        ["command", "COMMAND_PLUGIN_VERSION"],
    ] as const) {
        if (!have.has(`${name}@${v[key]}`)) {
            problems.push(`the Pulumi plugin ${name}@${v[key]} is not installed`);
        }
    }
    if (trySh("docker", ["info", "--format", "{{.ServerVersion}}"]) === undefined) {
        problems.push("no Docker engine answers");
    } else if (trySh("docker", ["image", "inspect", serverImage()]) === undefined) {
        problems.push(`the server image ${serverImage()} is not on the Docker host`);
    }
    if (Number(process.versions.node.split(".")[0]) < 22) {
        problems.push(`Node ${process.versions.node} is too old for the Pulumi SDK (needs >= 22)`);
    }
    if (problems.length > 0) {
        throw new Error(`end-to-end prerequisites missing: ${problems.join("; ")}: ${fix}`);
    }
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

/** The first of `n` consecutive free TCP ports on loopback (a cluster's nodes publish port + i). */
export async function freePorts(n: number): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
        const base = 20000 + Math.floor(Math.random() * 40000);
        const free = await Promise.all([...Array(n).keys()].map((i) => portAnswers("127.0.0.1", base + i).then((taken) => !taken)));
        if (free.every(Boolean)) return base;
    }
    throw new Error(`no ${n} consecutive free ports found on 127.0.0.1`);
}

/** A scratch stack of the program: its own name, backend, passphrase, temporary work dir and log. */
export class ScratchStack {
    /** Everything the engine printed, and every error message, for the leak scan. */
    readonly log: string[] = [];
    /** Secret values used or produced, for the leak scan. */
    readonly secrets = new Set<string>();

    private constructor(
        readonly stack: automation.Stack,
        readonly name: string,
        readonly dir: string,
        readonly port: number,
    ) {}

    /** Create a stack with a unique name in a fresh temporary directory. */
    static async create(prefix: string, ports = 1): Promise<ScratchStack> {
        const name = `${prefix}${crypto.randomBytes(3).toString("hex")}`;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vault-stack-${name}-`));
        const workDir = path.join(dir, "project");
        fs.mkdirSync(workDir);
        const stack = await openStack({
            stackName: name,
            backendUrl: `file://${path.join(dir, "state")}`,
            envVars: { PULUMI_CONFIG_PASSPHRASE: `fake-e2e-passphrase-${name}` },
            workDir,
            // `main` serves a plain `pulumi` CLI run in this folder; inline runs ignore it.
            projectSettings: { ...PROJECT_SETTINGS, main: path.relative(workDir, ROOT) },
        });
        const ts = new ScratchStack(stack, name, dir, ports === 1 ? await freePort() : await freePorts(ports));
        await ts.set("image", serverImage());
        await ts.set("port", String(ts.port));
        return ts;
    }

    /** The folder with this stack's Pulumi.yaml and Pulumi.<stack>.yaml, for a plain `pulumi` CLI run. */
    get workDir(): string {
        return path.join(this.dir, "project");
    }

    /** The environment a plain `pulumi` CLI run of this stack needs (backend, passphrase, toolchain). */
    cliEnv(): Record<string, string> {
        const ws = this.stack.workspace as automation.LocalWorkspace;
        return { ...(process.env as Record<string, string>), ...ws.envVars };
    }

    /**
     * A plain `pulumi up` of this stack by the CLI, the program run by the project's language host
     * (not inline): what an operator types. Its output goes to the log; secrets stay out of it.
     */
    cliUp(env: Record<string, string> = {}): { status: number; output: string; seconds: number } {
        const t0 = Date.now();
        const r = spawnSync("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--color", "never", "--stack", this.name], {
            cwd: this.workDir,
            env: { ...this.cliEnv(), ...env },
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        });
        const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
        this.log.push(output);
        return { status: r.status ?? -1, output, seconds: (Date.now() - t0) / 1000 };
    }

    /** Engine output goes to the log (and to the console when E2E_VERBOSE is set). */
    readonly sink = (s: string): void => {
        this.log.push(s);
        if (process.env.E2E_VERBOSE) process.stdout.write(s);
    };

    /** Set a config value (secret ones are remembered for the leak scan). */
    async set(key: string, value: string, secret = false): Promise<void> {
        if (secret) this.secrets.add(value);
        await this.stack.setConfig(`${NS}:${key}`, { value, secret });
    }

    /** Remove a config value. */
    async unset(key: string): Promise<void> {
        await this.stack.removeConfig(`${NS}:${key}`);
    }

    /** Run an operation, keeping its error message in the log. */
    async capture<T>(op: () => Promise<T>): Promise<T> {
        try {
            return await op();
        } catch (err) {
            this.log.push(err instanceof Error ? err.message : String(err));
            throw err;
        }
    }

    /** `pulumi up` of the program alone (no refresh, no pre-unseal). */
    up(): Promise<automation.UpResult> {
        return this.capture(() => this.stack.up({ onOutput: this.sink, color: "never" }));
    }

    /** The stack's state with its secrets in plain text (`pulumi stack export --show-secrets`): for checks only. */
    stateWithSecrets(): { resources: { urn: string; type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] } {
        const text = execFileSync("pulumi", ["stack", "export", "--show-secrets", "--stack", this.name], {
            cwd: this.workDir,
            env: this.cliEnv(),
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        });
        return (JSON.parse(text) as { deployment: { resources: never[] } }).deployment;
    }

    /** The initial root token as the init command's record in the state holds it (revoked after bootstrap). */
    initialRootToken(): string {
        const init = this.stateWithSecrets().resources.find((r) => r.type === "command:local:Command" && r.urn.endsWith(`::${INIT_COMMAND}`));
        // A secret in an export with secrets shown: the signature and its value as JSON text.
        const stdout = init?.outputs?.stdout as string | { plaintext: string } | undefined;
        const text = typeof stdout === "object" ? (JSON.parse(stdout.plaintext) as string) : String(stdout);
        return (JSON.parse(text) as { root_token: string }).root_token;
    }

    /** Current stack outputs. */
    async outputs(): Promise<Record<string, unknown>> {
        return Object.fromEntries(Object.entries(await this.stack.outputs()).map(([k, v]) => [k, v.value]));
    }

    /** The server's address on loopback. */
    get address(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    /** Call the Vault API of this stack's server. */
    api(method: string, p: string, token?: string, body?: unknown): Promise<ApiResult> {
        return vaultApi(this.address, method, p, { token, body });
    }

    /** Physical Docker names of this stack. */
    get names(): PhysicalNames {
        return physicalNames(this.name);
    }

    /** The container's physical name. */
    get containerName(): string {
        return this.names.container;
    }

    /** Docker objects (containers, volumes, networks) whose names contain the stack name. */
    dockerObjects(): string[] {
        const list = (args: string[]): string[] =>
            (trySh("docker", args) ?? "")
                .split("\n")
                .map((l) => l.trim())
                .filter((l) => l.includes(this.name));
        return [
            ...list(["ps", "-a", "--format", "container {{.Names}}"]),
            ...list(["volume", "ls", "--format", "volume {{.Name}}"]),
            ...list(["network", "ls", "--format", "network {{.Name}}"]),
        ];
    }

    /** Tear everything down: the stack, its state, and every Docker object it made (volumes too). */
    async cleanup(): Promise<string[]> {
        // The stack's backend is this temporary folder, so its state goes with it; the Docker
        // objects go directly (destroy itself is tested where it matters, lifecycle test 8). An
        // engine-driven teardown cost 20-30 s a stack.
        const n = this.names;
        // A cluster's nodes 1 to 4 too (rm of what does not exist just fails).
        for (const node of [0, 1, 2, 3, 4].map((i) => nodeNames(this.name, i))) {
            trySh("docker", ["rm", "-f", node.container]);
            trySh("docker", ["volume", "rm", "-f", node.dataVolume, node.logsVolume]);
        }
        trySh("docker", ["network", "rm", n.network]);
        fs.rmSync(initRecordFile(this.name), { force: true });
        fs.rmSync(this.dir, { recursive: true, force: true });
        return this.dockerObjects();
    }
}
