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

/** An invoke the program made, as the mocks saw it. */
export interface Invoked {
    readonly token: string;
    readonly inputs: Record<string, unknown>;
}

/** Obviously fake init output the mocked command returns. */
export const FAKE_INIT = {
    unseal_keys_b64: ["fake-key-1", "fake-key-2", "fake-key-3", "fake-key-4", "fake-key-5"],
    root_token: "fake-root-token",
    source: "init",
};

/** Values the mocked server already stores, for adoption. */
export const FAKE_STORED = {
    database: { host: "127.0.0.1", port: "5432", name: "oa_system", user: "oa_admin", password: "fake-stored-db-password" },
    cockpit: { jwt_secret: "fake-stored-jwt", admin_password: "fake-stored-admin" },
};

/** What one run of the program under mocks produced. */
export interface ProgramRun {
    readonly pulumi: typeof pulumiType;
    readonly resources: Registered[];
    readonly invokes: Invoked[];
    readonly outputs: Record<string, unknown>;
    /** Resolve an output's value. */
    value<T>(o: pulumiType.Output<T>): Promise<T>;
}

/**
 * Run the program once under Pulumi mocks, in a fresh module registry, with the given stack
 * config (keys without the namespace) and the keys among them that are secrets.
 */
export async function runProgram(config: Record<string, string>, secretKeys: string[], opts: { dryRun?: boolean } = {}): Promise<ProgramRun> {
    const resources: Registered[] = [];
    const invokes: Invoked[] = [];
    let pulumi!: typeof pulumiType;
    let program!: () => Record<string, unknown>;
    jest.isolateModules(() => {
        pulumi = require("@pulumi/pulumi");
        const full: Record<string, string> = {};
        for (const [k, v] of Object.entries(config)) full[`vault-stack:${k}`] = v;
        pulumi.runtime.setAllConfig(
            full,
            secretKeys.map((k) => `vault-stack:${k}`),
        );
        // Imported after the config and mocks are in place (setMocks is awaited below before running).
        program = require("../../index");
    });
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const inputs = reveal(args.inputs) as Record<string, unknown>;
                const secretInputs = Object.entries(args.inputs as Record<string, unknown>)
                    .filter(([, v]) => holdsSecret(v))
                    .map(([k]) => k);
                resources.push({ type: args.type, name: args.name, inputs, secretInputs, importId: args.id || undefined });
                const state: Record<string, unknown> = { ...inputs };
                if (args.type === "command:local:Command") state.stdout = JSON.stringify(FAKE_INIT);
                if (args.type === "vault:index/token:Token") state.clientToken = "fake-app-token";
                if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = "sha256:fake";
                if (args.type === "random:index/randomPassword:RandomPassword") state.result = `fake-password-${args.name}`;
                if (args.type === "random:index/randomBytes:RandomBytes") state.hex = "ab".repeat(32);
                return { id: `${args.name}-id`, state };
            },
            call(args) {
                const inputs = reveal(args.inputs) as Record<string, unknown>;
                invokes.push({ token: args.token, inputs });
                if (args.token === "command:local:run" && String(inputs.command).endsWith(" read")) {
                    return { ...inputs, stdout: JSON.stringify(FAKE_STORED), stderr: "" };
                }
                if (args.token === "command:local:run") {
                    return { ...inputs, stdout: JSON.stringify({ initialized: true, sealed: false, unsealedNow: true }), stderr: "" };
                }
                return args.inputs;
            },
        },
        "vault-stack",
        "unit",
        opts.dryRun ?? false,
    );
    const outputs = program();
    const value = <T>(o: pulumiType.Output<T>): Promise<T> => new Promise((resolve) => o.apply((v) => resolve(v)));
    return { pulumi, resources, invokes, outputs, value };
}

/** The single registered resource of a type (and optionally a name); fails the test otherwise. */
export function one(run: ProgramRun, type: string, name?: string): Registered {
    const found = run.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (found.length !== 1) {
        throw new Error(`expected one ${type} ${name ?? ""}, found ${found.length}: ${run.resources.map((r) => `${r.type}/${r.name}`).join(", ")}`);
    }
    return found[0]!;
}

/** Wait until the mocks have seen every registration and invoke (they happen asynchronously). */
export async function settle(run: ProgramRun): Promise<void> {
    await run.pulumi.runtime.disconnect();
    await Promise.all(
        Object.values(run.outputs).map((o) => (run.pulumi.Output.isInstance(o) ? run.value(o as pulumiType.Output<unknown>) : Promise.resolve(o))),
    );
}
