import { validateConfig } from "../../core/config";
import { RawConfig, isLoopback, parseDuration } from "../../core/validate";
import { parseKeys as splitKeys } from "../../core/vault/keys";

const FAKE = "fake-value-for-tests";
const REQUIRED = { openrouterApiKey: FAKE, telegramBotToken: FAKE, telegramChatId: "12345", githubToken: FAKE };

/** Build raw config: plain settings and secret settings. */
function raw(plain: Record<string, string>, secrets: Record<string, string> = REQUIRED): RawConfig {
    const r: Record<string, { value: string; secret: boolean }> = {};
    for (const [k, v] of Object.entries(plain)) r[k] = { value: v, secret: false };
    for (const [k, v] of Object.entries(secrets)) r[k] = { value: v, secret: true };
    return r;
}

describe("validateConfig: defaults", () => {
    test("an empty config with the required secrets takes the playbook's defaults", () => {
        const { config, errors } = validateConfig(raw({}));
        expect(errors).toEqual([]);
        expect(config).toMatchObject({
            image: "hashicorp/vault:1.17",
            bindAddress: "127.0.0.1",
            port: 8200,
            keyShares: 5,
            keyThreshold: 3,
            appTokenTtl: "720h",
            appTokenDisplayName: "openclaw-app",
            protect: true,
            auditLog: true,
            devPlaceholders: false,
            providerTokenTtlSeconds: 1200,
            database: { host: "127.0.0.1", port: "5432", name: "oa_system", user: "oa_admin" },
            adopt: false,
        });
        expect([...config!.supplied].sort()).toEqual(Object.keys(REQUIRED).sort());
    });

    test("devPlaceholders lets a stack run with no secret values", () => {
        expect(validateConfig(raw({ devPlaceholders: "true" }, {})).errors).toEqual([]);
    });
});

describe("validateConfig: each rule with its exact message", () => {
    test.each<[string, Record<string, string>, string]>([
        [
            "threshold above shares",
            { keyShares: "5", keyThreshold: "6" },
            "`vault-stack:keyThreshold` (6) is larger than `vault-stack:keyShares` (5): set `pulumi config set vault-stack:keyThreshold 3`",
        ],
        [
            "threshold 1 with 5 shares",
            { keyShares: "5", keyThreshold: "1" },
            "`vault-stack:keyThreshold` (1) must be at least 2 when `vault-stack:keyShares` (5) is more than 1, or one share opens everything: set `pulumi config set vault-stack:keyThreshold 3`",
        ],
        ["0 shares", { keyShares: "0" }, "`vault-stack:keyShares` (0) must be a whole number from 1 to 255: set `pulumi config set vault-stack:keyShares 5`"],
        [
            "256 shares",
            { keyShares: "256" },
            "`vault-stack:keyShares` (256) must be a whole number from 1 to 255: set `pulumi config set vault-stack:keyShares 5`",
        ],
        [
            "provider token lease shorter than an update",
            { providerTokenTtlSeconds: "40" },
            "`vault-stack:providerTokenTtlSeconds` (40) must be a whole number from 300 to 86400: set `pulumi config set vault-stack:providerTokenTtlSeconds 1200`",
        ],
        ["port 0", { port: "0" }, "`vault-stack:port` (0) must be a whole number from 1 to 65535: set `pulumi config set vault-stack:port 8200`"],
        [
            "malformed TTL",
            { appTokenTtl: "30 days" },
            "`vault-stack:appTokenTtl` (30 days) is not a Go duration such as 720h or 1h30m: set `pulumi config set vault-stack:appTokenTtl 720h`",
        ],
        [
            "TTL over the maximum",
            { appTokenTtl: "769h" },
            "`vault-stack:appTokenTtl` (769h) is longer than Vault's maximum token TTL of 768h: set `pulumi config set vault-stack:appTokenTtl 720h`, or make the token periodic with `pulumi config set vault-stack:appTokenPeriod 720h`",
        ],
        [
            "malformed period",
            { appTokenPeriod: "often" },
            "`vault-stack:appTokenPeriod` (often) is not a Go duration such as 720h: set `pulumi config set vault-stack:appTokenPeriod 720h`",
        ],
        [
            "non-loopback bind without TLS",
            { bindAddress: "0.0.0.0" },
            "`vault-stack:bindAddress` (0.0.0.0) publishes Vault beyond this host while TLS is off, so tokens and unseal keys would cross the network in clear text: set `pulumi config set vault-stack:bindAddress 127.0.0.1` (reach it through a tunnel such as Tailscale), or accept the risk with `pulumi config set vault-stack:allowInsecureBind true`",
        ],
        [
            "bind address not an address",
            { bindAddress: "vault.example" },
            "`vault-stack:bindAddress` (vault.example) must be an IPv4 address such as 127.0.0.1: set `pulumi config set vault-stack:bindAddress 127.0.0.1`",
        ],
        [
            "bind address with an octet over 255",
            { bindAddress: "999.1.1.1" },
            "`vault-stack:bindAddress` (999.1.1.1) must be an IPv4 address such as 127.0.0.1: set `pulumi config set vault-stack:bindAddress 127.0.0.1`",
        ],
        [
            "bind address ::1 (IPv6 is not published end to end)",
            { bindAddress: "::1" },
            "`vault-stack:bindAddress` (::1) must be an IPv4 address such as 127.0.0.1: set `pulumi config set vault-stack:bindAddress 127.0.0.1`",
        ],
        [
            "bind address localhost (a name, not an address Docker publishes on)",
            { bindAddress: "localhost" },
            "`vault-stack:bindAddress` (localhost) must be an IPv4 address such as 127.0.0.1: set `pulumi config set vault-stack:bindAddress 127.0.0.1`",
        ],
        [
            "bad boolean",
            { protect: "yes" },
            "`vault-stack:protect` (yes) must be true or false: set `pulumi config set vault-stack:protect true` or `pulumi config set vault-stack:protect false`",
        ],
        [
            "bad image",
            { image: "Not An Image" },
            "`vault-stack:image` (Not An Image) is not a Docker image reference like hashicorp/vault:1.17: set `pulumi config set vault-stack:image hashicorp/vault:1.17`",
        ],
        [
            "bad display name",
            { appTokenDisplayName: "my app" },
            "`vault-stack:appTokenDisplayName` (my app) must be 1 to 64 letters, digits, '.', '_' or '-': set `pulumi config set vault-stack:appTokenDisplayName openclaw-app`",
        ],
        ["unknown key", { keyshares: "5" }, "`vault-stack:keyshares` is not a setting of this program"],
        ["empty database name", { databaseName: " " }, "`vault-stack:databaseName` is empty: set `pulumi config set vault-stack:databaseName oa_system`"],
    ])("%s", (_name, plain, message) => {
        const { config, errors } = validateConfig(raw(plain));
        expect(config).toBeUndefined();
        expect(errors).toHaveLength(1);
        expect(errors[0]!.startsWith(message)).toBe(true);
    });

    test("a missing secret names the command that sets it", () => {
        const { githubToken: _omitted, ...rest } = REQUIRED;
        const { errors } = validateConfig(raw({}, rest));
        expect(errors).toEqual(["`vault-stack:githubToken` is missing: set it with `pulumi config set --secret vault-stack:githubToken <value>`"]);
    });

    test("a secret stored in plain text is refused without echoing it", () => {
        const r = { ...raw({}), githubToken: { value: "ghp_fake_plaintext_value", secret: false } };
        const { errors } = validateConfig(r);
        expect(errors).toEqual([
            "`vault-stack:githubToken` is stored in plain text in the stack file: store it encrypted with `pulumi config set --secret vault-stack:githubToken <value>`",
        ]);
        expect(errors.join("\n")).not.toContain("ghp_fake_plaintext_value");
    });

    test("an empty secret is refused", () => {
        const { errors } = validateConfig(raw({}, { ...REQUIRED, openrouterApiKey: "  " }));
        expect(errors).toEqual(["`vault-stack:openrouterApiKey` is empty: set it with `pulumi config set --secret vault-stack:openrouterApiKey <value>`"]);
    });

    test("adoption needs the keys (a root token is optional, never alone), and enough keys", () => {
        expect(validateConfig(raw({}, { ...REQUIRED, adoptUnsealKeys: "k1,k2,k3" })).config?.adopt).toBe(true);
        expect(validateConfig(raw({}, { ...REQUIRED, adoptRootToken: "fake-root" })).errors).toEqual([
            "`vault-stack:adoptUnsealKeys` is missing: adopting an initialised server needs its unseal keys (the root token alone cannot unseal it): set it with `pulumi config set --secret vault-stack:adoptUnsealKeys <value>`",
        ]);
        expect(validateConfig(raw({}, { ...REQUIRED, adoptUnsealKeys: "k1,k2", adoptRootToken: "fake-root" })).errors).toEqual([
            "`vault-stack:adoptUnsealKeys` holds 2 key(s) but the threshold is 3: hand in at least 3, separated by commas, with `pulumi config set --secret vault-stack:adoptUnsealKeys <value>`",
        ]);
        expect(validateConfig(raw({}, { ...REQUIRED, adoptUnsealKeys: '["k1","k2","k3"]', adoptRootToken: "fake-root" })).config?.adopt).toBe(true);
    });

    test("every problem is reported at once", () => {
        const { errors } = validateConfig(raw({ keyShares: "0", appTokenTtl: "x", bindAddress: "10.0.0.1" }, {}));
        expect(errors).toHaveLength(7);
    });

    test("allowInsecureBind accepts a non-loopback bind", () => {
        expect(validateConfig(raw({ bindAddress: "0.0.0.0", allowInsecureBind: "true" })).errors).toEqual([]);
    });

    test("a periodic token may have a TTL over 768h", () => {
        expect(validateConfig(raw({ appTokenTtl: "1000h", appTokenPeriod: "720h" })).errors).toEqual([]);
    });
});

describe("extraSecrets", () => {
    const extra = (v: unknown): RawConfig => ({ ...raw({}), extraSecrets: { value: JSON.stringify(v), secret: true } });

    test("a valid map is parsed", () => {
        const { config, errors } = validateConfig(
            extra({ "team/app": { fields: { api_key: "fake-1" }, appCanRead: true }, other: { fields: { x: "fake-2" } } }),
        );
        expect(errors).toEqual([]);
        expect(config!.extraSecrets).toEqual({
            "team/app": { fields: { api_key: "fake-1" }, appCanRead: true },
            other: { fields: { x: "fake-2" }, appCanRead: false },
        });
    });

    test.each<[string, unknown, string]>([
        ["bad path", { "bad path!": { fields: { a: "b" } } }, '`vault-stack:extraSecrets.bad path!`: the path "bad path!" is not allowed'],
        [
            "collision",
            { github: { fields: { a: "b" } } },
            '`vault-stack:extraSecrets.github`: the path "github" collides with the playbook\'s secret/github; choose another path',
        ],
        ["no fields", { app: { fields: {} } }, "`vault-stack:extraSecrets.app` has no fields"],
        ["empty field name", { app: { fields: { "": "b" } } }, "`vault-stack:extraSecrets.app` has an empty field name"],
        [
            "two paths, one resource name",
            { "a/b": { fields: { x: "fake-1" } }, "a-b": { fields: { x: "fake-2" } } },
            "`vault-stack:extraSecrets.a-b` and `vault-stack:extraSecrets.a/b` would be the same resource (vault-a-b): rename one of them",
        ],
        ["not a map", ["a"], "`vault-stack:extraSecrets` must be a map of path to { fields, appCanRead }"],
    ])("%s", (_n, value, message) => {
        const { errors } = validateConfig(extra(value));
        expect(errors).toHaveLength(1);
        expect(errors[0]!.startsWith(message)).toBe(true);
    });

    test("extraSecrets in plain text is refused", () => {
        const r = { ...raw({}), extraSecrets: { value: JSON.stringify({ app: { fields: { a: "fake" } } }), secret: false } };
        expect(validateConfig(r).errors).toEqual([
            "`vault-stack:extraSecrets` holds secret values but is stored in plain text: set each value with `pulumi config set --secret --path 'vault-stack:extraSecrets.<path>.fields.<field>' <value>`",
        ]);
    });
});

describe("helpers", () => {
    test.each([
        ["720h", 2592000],
        ["1h30m", 5400],
        ["90s", 90],
        ["768h", 2764800],
        ["30 days", undefined],
        ["", undefined],
        ["5m3h", undefined],
    ])("parseDuration(%p) = %p", (text, seconds) => {
        expect(parseDuration(text)).toBe(seconds);
    });

    test.each([
        ["127.0.0.1", true],
        ["127.1.2.3", true],
        ["::1", false],
        ["localhost", false],
        ["0.0.0.0", false],
        ["192.168.1.5", false],
    ])("isLoopback(%p) = %p", (a, expected) => {
        expect(isLoopback(a)).toBe(expected);
    });

    test("splitKeys takes a JSON array or separated keys", () => {
        expect(splitKeys('["a","b"]')).toEqual(["a", "b"]);
        expect(splitKeys("a, b\nc")).toEqual(["a", "b", "c"]);
    });
});
