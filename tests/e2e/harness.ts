import * as automation from "@pulumi/pulumi/automation";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ApiResult, vaultApi } from "../../core/vault/client";
import { ROOT, openStack } from "../../cli/workspace";

// Under jest (the benchmark imports this file too): each scenario drives real `pulumi up`s,
// minutes rather than the unit tests' 5 s. When an update fails on purpose, the engine stops and
// the inline program's outstanding calls to it are cancelled; those rejections belong to the
// update that already failed. Anything else still fails the suite.
if (typeof jest !== "undefined") {
    jest.setTimeout(900_000);
    process.on("unhandledRejection", (reason: unknown) => {
        const msg = reason instanceof Error ? reason.message : String(reason);
        if (/Resource monitor is terminating|resource monitor shut down|\b(UNAVAILABLE|CANCELLED)\b/i.test(msg)) return;
        throw reason;
    });
}

// Shared plumbing for the end-to-end suite: preflight, a stack on a file backend in a temp
// directory, captured engine output, Docker and Vault HTTP helpers, and cleanup.

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
export function sh(cmd: string, args: string[], opts: { input?: string } = {}): string {
    return execFileSync(cmd, args, { encoding: "utf8", input: opts.input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 512 * 1024 * 1024 });
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

/** A stack of the program for one test file: its own name, backend, passphrase, work dir and log. */
export class TestStack {
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
    static async create(prefix: string): Promise<TestStack> {
        const name = `${prefix}${crypto.randomBytes(3).toString("hex")}`;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vault-stack-${name}-`));
        const workDir = path.join(dir, "project");
        fs.mkdirSync(workDir);
        // The project file without `main`: the program runs inline, not from this folder.
        const project = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8").replace(/^main: .*\n/m, "");
        fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), project);
        const stack = await openStack({
            stackName: name,
            backendUrl: `file://${path.join(dir, "state")}`,
            envVars: { PULUMI_CONFIG_PASSPHRASE: `fake-e2e-passphrase-${name}` },
            workDir,
        });
        const ts = new TestStack(stack, name, dir, await freePort());
        await ts.set("image", serverImage());
        await ts.set("port", String(ts.port));
        return ts;
    }

    /** Engine output goes to the log (and to the console when E2E_VERBOSE is set). */
    readonly sink = (s: string): void => {
        this.log.push(s);
        if (process.env.E2E_VERBOSE) process.stdout.write(s);
    };

    /** Set a config value (secret ones are remembered for the leak scan). */
    async set(key: string, value: string, secret = false): Promise<void> {
        if (secret) this.secrets.add(value);
        await this.stack.setConfig(`vault-stack:${key}`, { value, secret });
    }

    /** Remove a config value. */
    async unset(key: string): Promise<void> {
        await this.stack.removeConfig(`vault-stack:${key}`);
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
    get containerName(): string {
        return `vault-${this.name}`;
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
        try {
            await this.stack.setConfig("vault-stack:protect", { value: "false" });
            await this.stack.up({ onOutput: this.sink, color: "never" }).catch(() => undefined);
            await this.stack.destroy({ onOutput: this.sink, color: "never" }).catch(() => undefined);
            await this.stack.workspace.removeStack(this.name, { force: true }).catch(() => undefined);
        } finally {
            trySh("docker", ["rm", "-f", this.containerName]);
            trySh("docker", ["volume", "rm", "-f", `${this.containerName}-data`, `${this.containerName}-logs`]);
            trySh("docker", ["network", "rm", `${this.containerName}-net`]);
            fs.rmSync(this.dir, { recursive: true, force: true });
        }
        return this.dockerObjects();
    }
}

/** Every file below a directory (state, its history and backups). */
export function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? filesUnder(p) : [p];
    });
}

/** Where each secret value occurs in plain text among the given named texts. */
export function findLeaks(secrets: Iterable<string>, texts: Record<string, string>): string[] {
    const hits: string[] = [];
    for (const s of secrets) {
        if (s.length < 6) continue;
        for (const [where, text] of Object.entries(texts)) {
            if (text.includes(s)) hits.push(`${where} contains a secret value of length ${s.length}`);
        }
    }
    return hits;
}

/** A KV v2 read with a token: the data, or undefined with the status. */
export async function readKv(ts: TestStack, token: string, p: string): Promise<{ status: number; data?: Record<string, string> }> {
    const r = await ts.api("GET", `/v1/secret/data/${p}`, token);
    return { status: r.status, data: (r.json.data as { data?: Record<string, string> } | undefined)?.data };
}

/** Wait until a condition holds or the timeout passes. */
export async function waitFor(what: string, seconds: number, cond: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
        if (await cond().catch(() => false)) return;
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`timed out after ${seconds}s waiting for ${what}`);
}
