import type * as pulumiType from "@pulumi/pulumi";

/** A resource the program registered, as the mocks saw it (secrets unwrapped; their keys listed). */
export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
    /** Top-level input names that arrived as secrets (or held one). */
    readonly secretInputs: string[];
    /** The import ID, when the resource is adopted rather than created. */
    readonly importId?: string;
}

/** The signature the engine protocol uses to mark a secret value. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

function isSecretWrapper(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Unwrap secret markers anywhere in a value. */
export function reveal(v: unknown): unknown {
    if (isSecretWrapper(v)) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    return v;
}

function holdsSecret(v: unknown): boolean {
    if (isSecretWrapper(v)) return true;
    if (Array.isArray(v)) return v.some(holdsSecret);
    if (typeof v === "object" && v !== null) return Object.values(v).some(holdsSecret);
    return false;
}

/** The top-level input names that arrived as secrets (or held one). */
const secretKeysOf = (inputs: unknown): string[] =>
    Object.entries(inputs as Record<string, unknown>)
        .filter(([, v]) => holdsSecret(v))
        .map(([k]) => k);

/** An invoke the program made, as the mocks saw it. */
export interface Invoked {
    readonly token: string;
    readonly inputs: Record<string, unknown>;
    /** Top-level input names that arrived as secrets (or held one). */
    readonly secretInputs: string[];
}

/** Obviously fake init output the mocked command returns. */
export const FAKE_INIT = {
    unseal_keys_b64: ["fake-key-1", "fake-key-2", "fake-key-3", "fake-key-4", "fake-key-5"],
    root_token: "fake-root-token",
    source: "init",
};

/** Obviously fake admin record the mocked bootstrap command returns. */
export const FAKE_ADMIN = {
    admin_token: "fake-admin-token",
    accessor: "fake-admin-accessor",
    spec: { kvMount: "secret", appPolicy: "openclaw-app-read", appRole: "vault-stack-app", auditPath: "file" },
};

/** Values the mocked server already stores, for adoption. */
export const FAKE_STORED = {
    database: { host: "127.0.0.1", port: "5432", name: "oa_system", user: "oa_admin", password: "fake-stored-db-password" },
    cockpit: { jwt_secret: "fake-stored-jwt", admin_password: "fake-stored-admin" },
};

/** What the ops adapter's unseal mode prints for a server it just unsealed. */
export const UNSEALED = { initialized: true, sealed: false, unsealedNow: true };

/** The ops adapter's mode in a command line (its last word: init, unseal, status or read). */
export const modeOf = (commandLine: unknown): string => String(commandLine).split(" ").pop()!;

/** The stdout the mocked `command:local:run` invoke answers for a mode: stored values for read, else UNSEALED. */
export type RunAnswer = (mode: string, inputs: Record<string, unknown>) => unknown;

/** What the ops adapter's renew mode prints. */
export const RENEWED = { renewed: true, ttl: 2592000, accessor: FAKE_ADMIN.accessor };

/** The default answer: every status or unseal run sees an unsealed server; renewal succeeds. */
export const defaultRunAnswer: RunAnswer = (mode) => (mode === "read" ? FAKE_STORED : mode === "renew" ? RENEWED : UNSEALED);

/** How a run under mocks is set up. */
export interface MockOptions {
    /** Preview (pulumi.runtime.isDryRun()) rather than update. @default false */
    readonly dryRun?: boolean;
    /** Stack config, keys without the namespace. */
    readonly config?: Record<string, string>;
    /** The config keys stored as secrets. */
    readonly secretKeys?: readonly string[];
    /** What the mocked `command:local:run` invoke prints (JSON-encoded unless a string). @default defaultRunAnswer */
    readonly runAnswer?: RunAnswer;
    /** What the init step (a `command:local:Command` named *-init) printed, JSON-encoded. @default FAKE_INIT */
    readonly initRecord?: unknown;
}

/** What one run under mocks produced. */
export interface MockRun<T> {
    readonly pulumi: typeof pulumiType;
    readonly resources: Registered[];
    readonly invokes: Invoked[];
    /** What the code under test returned. */
    readonly result: T;
    /** Resolve an output's value. */
    value<U>(o: pulumiType.Output<U>): Promise<U>;
}

/**
 * Run code under Pulumi mocks in a fresh module registry. `load` runs inside the registry, after
 * the config is set: it requires the module under test (and gets the registry's own
 * @pulumi/pulumi) and returns what to run once the mocks are in place.
 */
export async function underMocks<T>(load: (pulumi: typeof pulumiType) => () => T, opts: MockOptions = {}): Promise<MockRun<T>> {
    const resources: Registered[] = [];
    const invokes: Invoked[] = [];
    const answer = opts.runAnswer ?? defaultRunAnswer;
    let pulumi!: typeof pulumiType;
    let make!: () => T;
    jest.isolateModules(() => {
        pulumi = require("@pulumi/pulumi");
        const full: Record<string, string> = {};
        for (const [k, v] of Object.entries(opts.config ?? {})) full[`vault-stack:${k}`] = v;
        pulumi.runtime.setAllConfig(
            full,
            (opts.secretKeys ?? []).map((k) => `vault-stack:${k}`),
        );
        // Required after the config is in place (setMocks is awaited below before running).
        make = load(pulumi);
    });
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const inputs = reveal(args.inputs) as Record<string, unknown>;
                resources.push({ type: args.type, name: args.name, inputs, secretInputs: secretKeysOf(args.inputs), importId: args.id || undefined });
                const state: Record<string, unknown> = { ...inputs };
                if (args.type === "command:local:Command") {
                    state.stdout = JSON.stringify(args.name.endsWith("-admin") ? FAKE_ADMIN : (opts.initRecord ?? FAKE_INIT));
                }
                if (args.type === "vault:index/token:Token") state.clientToken = "fake-app-token";
                if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = "sha256:fake";
                if (args.type === "random:index/randomPassword:RandomPassword") state.result = `fake-password-${args.name}`;
                if (args.type === "random:index/randomBytes:RandomBytes") state.hex = "ab".repeat(32);
                return { id: `${args.name}-id`, state };
            },
            call(args) {
                const inputs = reveal(args.inputs) as Record<string, unknown>;
                invokes.push({ token: args.token, inputs, secretInputs: secretKeysOf(args.inputs) });
                if (args.token === "command:local:run") {
                    const out = answer(modeOf(inputs.command), inputs);
                    return { ...inputs, stdout: typeof out === "string" ? out : JSON.stringify(out), stderr: "" };
                }
                return args.inputs;
            },
        },
        "vault-stack",
        "unit",
        opts.dryRun ?? false,
    );
    const result = make();
    const value = <U>(o: pulumiType.Output<U>): Promise<U> => new Promise((resolve) => o.apply((v) => resolve(v)));
    return { pulumi, resources, invokes, result, value };
}

/** What one run of the program under mocks produced. */
export interface ProgramRun extends MockRun<Record<string, unknown>> {
    readonly outputs: Record<string, unknown>;
}

/**
 * Run the program once under Pulumi mocks, in a fresh module registry, with the given stack
 * config (keys without the namespace) and the keys among them that are secrets.
 */
export async function runProgram(
    config: Record<string, string>,
    secretKeys: string[],
    opts: Omit<MockOptions, "config" | "secretKeys"> = {},
): Promise<ProgramRun> {
    const run = await underMocks(
        () => {
            const program = require("../../index") as () => Record<string, unknown>;
            return () => program();
        },
        { ...opts, config, secretKeys },
    );
    return { ...run, outputs: run.result };
}

/** The single registered resource of a type (and optionally a name); fails the test otherwise. */
export function one(run: { readonly resources: readonly Registered[] }, type: string, name?: string): Registered {
    const found = run.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (found.length !== 1) {
        throw new Error(`expected one ${type} ${name ?? ""}, found ${found.length}: ${run.resources.map((r) => `${r.type}/${r.name}`).join(", ")}`);
    }
    return found[0]!;
}

/**
 * Wait until the mocks have seen every registration and invoke (they happen asynchronously):
 * drain the RPC queue, then resolve every output among `values` (the program's outputs by default).
 */
export async function settle<T>(
    run: MockRun<T> & { readonly outputs?: Record<string, unknown> },
    values: readonly unknown[] = Object.values(run.outputs ?? {}),
): Promise<void> {
    await run.pulumi.runtime.disconnect();
    await Promise.all(values.map((o) => (run.pulumi.Output.isInstance(o) ? run.value(o as pulumiType.Output<unknown>) : Promise.resolve(o))));
}
