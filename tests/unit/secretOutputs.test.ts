import { execFile } from "child_process";
import * as http from "http";
import { AddressInfo } from "net";
import { OPS_MAIN, ensureOpsBuilt } from "../../ops/command";
import { FAKE_ADMIN, FAKE_INIT, FAKE_STORED, runProgram, settle } from "./mocks";

// The official command plugin 1.2.1 (which users run) makes an output secret only when the input
// of the same name is: a secret stdin or environment never makes `stdout` secret, and a failed
// command's error quotes its stdout and stderr whatever `logging` says (see
// docs/toolchain/provider-command.md). So the program must (a) list `stdout` in
// additionalSecretOutputs of every command resource and treat the stdout of every run that is
// handed a secret as secret, and (b) the ops adapter must print nothing before it can no longer fail.

// ---- (a) what the program sends the engine ------------------------------------------------------

/** One RegisterResource request as the engine would receive it (secrets still wrapped). */
interface SentResource {
    readonly type: string;
    readonly name: string;
    readonly additionalSecretOutputs: string[];
    readonly inputs: Record<string, unknown>;
}

/**
 * One output-form invoke as the program made it. The SDK unwraps secret arguments before the Invoke
 * request (the provider never sees them as secrets) and marks the whole result secret instead, so
 * what was secret is read from the arguments as given.
 */
interface MadeInvoke {
    readonly token: string;
    readonly args: Record<string, unknown>;
    readonly result: unknown;
}

interface Recording {
    readonly resources: SentResource[];
    readonly invokes: MadeInvoke[];
}

/** What the run under way sends (runs are sequential); the patched SDK modules write to it. */
let recording: Recording = { resources: [], invokes: [] };

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getAdditionalsecretoutputsList(): string[];
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type Register = (this: unknown, req: RegisterRequest, callback: unknown) => Promise<void>;
type InvokeOutput = (token: string, args: Record<string, unknown>, ...rest: unknown[]) => unknown;

// The mock monitor hands `newResource` only type, name and inputs; the request itself also carries the
// resource options. Every copy of these SDK modules that jest loads (runProgram's fresh module
// registry, and the shared one that lazily loaded SDK modules fall back to) comes from these
// factories, patched once each to record before passing on.
jest.doMock("@pulumi/pulumi/runtime/mocks", () => {
    const actual = jest.requireActual<{ MockMonitor: { prototype: { registerResource: Register; recorded?: true } } }>("@pulumi/pulumi/runtime/mocks");
    const proto = actual.MockMonitor.prototype;
    if (proto.recorded) return actual;
    proto.recorded = true;
    const inner = proto.registerResource;
    proto.registerResource = function (req, callback) {
        const inputs = req.getObject()?.toJavaScript() ?? {};
        recording.resources.push({ type: req.getType(), name: req.getName(), additionalSecretOutputs: req.getAdditionalsecretoutputsList(), inputs });
        return inner.call(this, req, callback);
    };
    return actual;
});
jest.doMock("@pulumi/pulumi/runtime/invoke", () => {
    const actual = jest.requireActual<{ invokeOutput: InvokeOutput; recorded?: true }>("@pulumi/pulumi/runtime/invoke");
    if (actual.recorded) return actual;
    actual.recorded = true;
    const inner = actual.invokeOutput;
    actual.invokeOutput = (token, args, ...rest) => {
        const result = inner(token, args, ...rest);
        recording.invokes.push({ token, args, result });
        return result;
    };
    return actual;
});

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const isWrappedSecret = (v: unknown): boolean => typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;

/** One place a needle stands in a request: where, and whether inside a secret. */
interface Hit {
    readonly needle: string;
    readonly at: string;
    readonly secret: boolean;
}

/** Every place in a request's value where one of `needles` stands. */
function hits(v: unknown, needles: readonly string[], at: string, inSecret = false): Hit[] {
    if (isWrappedSecret(v)) return hits((v as { value: unknown }).value, needles, at, true);
    if (typeof v === "string") return needles.filter((n) => v.includes(n)).map((needle) => ({ needle, at, secret: inSecret }));
    if (typeof v !== "object" || v === null) return [];
    return Object.entries(v).flatMap(([k, x]) => hits(x, needles, `${at}.${k}`, inSecret));
}

const SECRETS = {
    openrouterApiKey: "fake-openrouter-key",
    telegramBotToken: "fake-telegram-token",
    telegramChatId: "fake-chat-id",
    githubToken: "fake-github-token",
};
const ADOPTION = { adoptUnsealKeys: "fake-adopt-1,fake-adopt-2,fake-adopt-3", adoptRootToken: "fake-adopt-root" };
const STORED = [FAKE_STORED.database.password, FAKE_STORED.cockpit.jwt_secret, FAKE_STORED.cockpit.admin_password];

/** Values that come out of a command's stdout (the init record, the values read back) or the config's secrets. */
const NEEDLES = [...FAKE_INIT.unseal_keys_b64, FAKE_INIT.root_token, FAKE_ADMIN.admin_token, ...STORED, ...Object.values(SECRETS), ...Object.values(ADOPTION)];

/** The adapter modes that print the seal state only. */
const SEAL_STATE_MODES = ["status", "unseal"];
/** The renew mode prints the admin token's TTL and accessor only (no secret). */
const RENEW_KEYS = ["renewed", "ttl", "accessor"];

/** The adapter's mode in a command line (its last word). */
const modeOf = (commandLine: unknown): string => String(commandLine).split(" ").pop()!;

/** Run the program under mocks and record what it sends; `source` is what the mocked init record says. */
async function observe(config: Record<string, string>, dryRun: boolean, source: string) {
    const record = FAKE_INIT as { source: string };
    const before = record.source;
    recording = { resources: [], invokes: [] };
    const sent = recording;
    record.source = source;
    try {
        const run = await runProgram(config, Object.keys(config), { dryRun });
        await settle(run);
        return { run, sent };
    } finally {
        record.source = before;
    }
}

/**
 * Label, config (all of it secret), preview or not, the mocked init record's source, adapter modes
 * that must be among those run with a secret, and values that must reach resources (as secrets).
 */
const SCENARIOS: [string, Record<string, string>, boolean, string, string[], string[]][] = [
    ["update", SECRETS, false, "init", ["unseal", "renew"], [FAKE_INIT.root_token, FAKE_ADMIN.admin_token, ...Object.values(SECRETS)]],
    ["preview", SECRETS, true, "init", [], [FAKE_INIT.root_token, FAKE_ADMIN.admin_token, ...Object.values(SECRETS)]],
    [
        "update adopting a server",
        { ...SECRETS, ...ADOPTION },
        false,
        "adopted",
        ["read", "unseal", "renew"],
        [FAKE_INIT.root_token, FAKE_ADMIN.admin_token, ...STORED, ...Object.values(ADOPTION)],
    ],
];

describe.each(SCENARIOS)("the program's commands, %s", (_label, config, dryRun, source, secretModes, reachResources) => {
    let seen: Awaited<ReturnType<typeof observe>>;
    beforeAll(async () => {
        seen = await observe(config, dryRun, source);
    });

    test("every command resource lists stdout in additionalSecretOutputs", () => {
        const commands = seen.sent.resources.filter((r) => r.type === "command:local:Command");
        expect(commands.map((r) => r.name)).toEqual(["vault-init", "vault-admin"]);
        for (const c of commands) expect(c.additionalSecretOutputs).toContain("stdout");
    });

    // status and unseal print the seal state only (checked against the adapter below); read prints
    // stored values, which the next test follows to the resources. No other run may be handed a secret.
    test("only runs that print the seal state or whose stdout stays secret are handed a secret", async () => {
        const { run } = seen;
        const secretIn = (v: unknown): Promise<boolean> => run.pulumi.isSecret(run.pulumi.output(v ?? null));
        const handed: string[] = [];
        for (const r of seen.sent.invokes.filter((i) => i.token === "command:local:run")) {
            if (!(await secretIn(r.args.stdin)) && !(await secretIn(r.args.environment))) continue;
            handed.push(modeOf(r.args.command));
            // The SDK marks the result of an invoke given a secret as secret (the plugin does not).
            expect(await secretIn(r.result)).toBe(true);
        }
        expect([...SEAL_STATE_MODES, "renew", "read"]).toEqual(expect.arrayContaining(handed));
        expect(handed).toEqual(expect.arrayContaining(secretModes));
    });

    test("values from a command's stdout or the secret config reach resources only as secrets", () => {
        const found = seen.sent.resources.flatMap((r) => hits(r.inputs, NEEDLES, `${r.type} ${r.name}`));
        expect(found.filter((h) => !h.secret)).toEqual([]);
        expect(reachResources.filter((n) => !found.some((h) => h.needle === n))).toEqual([]);
    });

    test("stack outputs that carry such a value are secret", async () => {
        const { run } = seen;
        const carrying: string[] = [];
        for (const [key, o] of Object.entries(run.outputs)) {
            const isOutput = run.pulumi.Output.isInstance(o);
            const text = JSON.stringify((isOutput ? await run.value(o) : o) ?? null);
            if (!NEEDLES.some((n) => text.includes(n))) continue;
            carrying.push(key);
            expect([key, isOutput && (await run.pulumi.isSecret(o))]).toEqual([key, true]);
        }
        expect(carrying).toEqual(expect.arrayContaining(["unsealKeys", "adminToken"]));
        expect(Object.keys(run.outputs)).not.toContain("rootToken");
    });
});

// ---- (b) the ops adapter prints only when it can no longer fail -----------------------------------

/** A scripted Vault: "METHOD /path" -> [status, JSON body]; anything else answers 404. */
type Reply = readonly [number, unknown?];
type Script = Record<string, Reply | ((body: { key?: string }, token: string | undefined) => Reply)>;

async function withVault<T>(script: Script, use: (address: string) => Promise<T>): Promise<T> {
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const route = script[`${req.method} ${req.url!.split("?")[0]}`];
            const text = Buffer.concat(chunks).toString();
            const [status, body] =
                typeof route === "function" ? route(text ? JSON.parse(text) : {}, req.headers["x-vault-token"] as string | undefined) : (route ?? [404]);
            res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body ?? {}));
        });
    });
    await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
    try {
        return await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
        server.close();
    }
}

interface Outcome {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Run the compiled adapter as the command plugin does: mode as argument, secrets on stdin or in the environment. */
function adapter(mode: string, env: Record<string, string>, stdin: string): Promise<Outcome> {
    return new Promise((done) => {
        const child = execFile(
            process.execPath,
            [OPS_MAIN, mode],
            { env: { PATH: process.env.PATH!, VAULT_WAIT_SECONDS: "1", ...env } },
            (_err, stdout, stderr) => done({ code: child.exitCode ?? -1, stdout, stderr }),
        );
        child.stdin!.end(stdin);
    });
}

const HEALTHY: Script = { "GET /v1/sys/health": [200, {}] };
const seal = (sealed: boolean, initialized = true): Reply => [200, { initialized, sealed, t: 1, n: 1, progress: 0 }];
const SEALED: Script = {
    ...HEALTHY,
    "GET /v1/sys/seal-status": seal(true),
    "POST /v1/sys/unseal": (b) => (b.key === "fake-good-key" ? seal(false) : [400, { errors: ["bad key"] }]),
};
const INITIALISED: Script = { ...SEALED, "GET /v1/sys/init": [200, { initialized: true }] };
const ROOT_CHECK: Script = {
    ...INITIALISED,
    "GET /v1/auth/token/lookup-self": (_b, token) => (token === "fake-good-root" ? [200, {}] : [403, { errors: ["permission denied"] }]),
};
const KV = (second: Reply): Script => ({
    ...HEALTHY,
    "GET /v1/secret/data/database": [200, { data: { data: { password: "fake-kv-password" } } }],
    "GET /v1/secret/data/cockpit": second,
});
const READ_REQUEST = JSON.stringify({ token: "fake-good-root", mount: "secret", paths: ["database", "cockpit"] });
const ADOPT = { ADOPT_UNSEAL_KEYS: "fake-good-key", ADOPT_ROOT_TOKEN: "fake-good-root" };
const ADMIN_ENV = { KV_MOUNT: "secret", APP_POLICY: "svc-read", APP_ROLE: "vault-stack-app", AUDIT_PATH: "file" };
const ADMIN_RECORD = JSON.stringify({
    admin_token: "fake-admin",
    accessor: "fake-accessor",
    spec: { kvMount: "secret", appPolicy: "svc-read", appRole: "vault-stack-app", auditPath: "file" },
});
const BOOTSTRAP = (revoke: Reply): Script => ({
    ...HEALTHY,
    "GET /v1/auth/token/lookup-self": (_b, token) =>
        token === "fake-good-root"
            ? [200, { data: { policies: ["root"] } }]
            : token === "fake-admin"
              ? [200, { data: {} }]
              : [403, { errors: ["permission denied"] }],
    "PUT /v1/sys/policies/acl/vault-stack-admin": [204],
    "POST /v1/auth/token/roles/vault-stack-app": [204],
    "POST /v1/auth/token/create": [200, { auth: { client_token: "fake-admin", accessor: "fake-accessor" } }],
    "POST /v1/auth/token/revoke-self": revoke,
});

/** Mode, what the server does, environment, stdin, and whether the adapter must succeed. */
const CASES: [string, string, Script, Record<string, string>, string, boolean][] = [
    ["init", "the server answers only errors", { "GET /v1/sys/health": [500, { errors: ["boom"] }] }, {}, "", false],
    ["init", "nothing listens", {}, { VAULT_ADDR: "http://127.0.0.1:1" }, "", false],
    ["init", "sys/init cannot be read", { ...HEALTHY, "GET /v1/sys/init": [500, { errors: ["boom"] }] }, {}, "", false],
    ["init", "init fails", { ...HEALTHY, "GET /v1/sys/init": [200, { initialized: false }], "PUT /v1/sys/init": [500, { errors: ["boom"] }] }, {}, "", false],
    [
        "init",
        "init answers without a root token",
        { ...HEALTHY, "GET /v1/sys/init": [200, { initialized: false }], "PUT /v1/sys/init": [200, { keys_base64: ["fake-k"] }] },
        {},
        "",
        false,
    ],
    ["init", "an initialised server and no keys to adopt it", INITIALISED, {}, "", false],
    ["init", "the handed-in unseal key is rejected", ROOT_CHECK, { ...ADOPT, ADOPT_UNSEAL_KEYS: "fake-bad-key" }, "", false],
    ["init", "the handed-in root token is refused", ROOT_CHECK, { ...ADOPT, ADOPT_ROOT_TOKEN: "fake-bad-root" }, "", false],
    ["init", "an initialised server adopted", ROOT_CHECK, ADOPT, "", true],
    [
        "init",
        "a fresh server",
        { ...HEALTHY, "GET /v1/sys/init": [200, { initialized: false }], "PUT /v1/sys/init": [200, { keys_base64: ["fake-k"], root_token: "fake-r" }] },
        {},
        "",
        true,
    ],
    ["unseal", "the server answers only errors", { "GET /v1/sys/health": [503, {}] }, {}, '["fake-good-key"]', false],
    ["unseal", "no keys on stdin", INITIALISED, {}, "", false],
    ["unseal", "the server is not initialised", { ...SEALED, "GET /v1/sys/seal-status": seal(true, false) }, {}, '["fake-good-key"]', false],
    ["unseal", "the unseal key is rejected", INITIALISED, {}, '["fake-bad-key"]', false],
    [
        "unseal",
        "the server stays sealed",
        { ...INITIALISED, "POST /v1/sys/unseal": [200, { initialized: true, sealed: true, t: 2, n: 2, progress: 1 }] },
        {},
        '["fake-good-key"]',
        false,
    ],
    ["unseal", "a sealed server", INITIALISED, {}, '["fake-good-key"]', true],
    ["status", "the server answers only errors", { "GET /v1/sys/seal-status": [500, { errors: ["boom"] }] }, {}, "", true],
    ["status", "nothing listens", {}, { VAULT_ADDR: "http://127.0.0.1:1" }, "", true],
    ["read", "the server answers only errors", { "GET /v1/sys/health": [500, {}] }, {}, READ_REQUEST, false],
    ["read", "stdin is not JSON", HEALTHY, {}, "fake-good-root", false],
    ["read", "the first path answers 403", { ...HEALTHY, "GET /v1/secret/data/database": [403, { errors: ["permission denied"] }] }, {}, READ_REQUEST, false],
    ["read", "the second path answers 403 after the first was read", KV([403, { errors: ["permission denied"] }]), {}, READ_REQUEST, false],
    ["read", "both paths readable", KV([404, {}]), {}, READ_REQUEST, true],
    ["bootstrap", "the root token is refused", BOOTSTRAP([204]), ADMIN_ENV, "fake-bad-root", false],
    ["bootstrap", "revoking the root token fails", BOOTSTRAP([500, { errors: ["boom"] }]), ADMIN_ENV, "fake-good-root", false],
    ["bootstrap", "a fresh admin identity", BOOTSTRAP([204]), ADMIN_ENV, "fake-good-root", true],
    [
        "renew",
        "the admin token is refused",
        { ...HEALTHY, "POST /v1/auth/token/renew-self": [403, { errors: ["permission denied"] }] },
        {},
        ADMIN_RECORD,
        false,
    ],
    ["renew", "stdin is no admin record", HEALTHY, {}, "fake-admin", false],
    ["renew", "the admin token is renewed", { ...HEALTHY, "POST /v1/auth/token/renew-self": [200, { auth: { lease_duration: 60 } }] }, {}, ADMIN_RECORD, true],
    ["hostcheck", "no Docker client", HEALTHY, { PATH: "/nonexistent" }, "", false],
    ["init", "no VAULT_ADDR", HEALTHY, { VAULT_ADDR: "" }, "", false],
    ["unknown-mode", "any server", HEALTHY, {}, "", false],
];

/** What status and unseal (SEAL_STATE_MODES) may print: the seal state, booleans and numbers only. */
const SEAL_STATE_KEYS = ["reachable", "initialized", "sealed", "unsealedNow", "shares", "threshold", "progress"];

describe("the ops adapter writes stdout only as its last act", () => {
    beforeAll(() => ensureOpsBuilt());

    test.each(CASES)(
        "%s, %s",
        async (mode, _what, script, env, stdin, succeeds) => {
            const r = await withVault(script, (address) => adapter(mode, { VAULT_ADDR: address, ...env }, stdin));
            expect({ succeeded: r.code === 0, stderr: r.stderr }).toEqual({ succeeded: succeeds, stderr: expect.any(String) });
            if (r.code !== 0) {
                expect(r.stdout).toBe("");
                return;
            }
            // Exactly one JSON document (an object), nothing before or after it.
            const doc = JSON.parse(r.stdout) as Record<string, unknown>;
            expect(r.stdout).toBe(JSON.stringify(doc));
            expect(doc).toEqual(expect.any(Object));
            if (SEAL_STATE_MODES.includes(mode)) {
                expect(SEAL_STATE_KEYS).toEqual(expect.arrayContaining(Object.keys(doc)));
                expect(Object.values(doc).filter((v) => typeof v !== "boolean" && typeof v !== "number")).toEqual([]);
            }
            if (mode === "renew") expect(Object.keys(doc).sort()).toEqual([...RENEW_KEYS].sort());
        },
        30_000,
    );
});
