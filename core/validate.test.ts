import { fixHolder } from "./keyHolders";
import { fixRm, fixSet, fixSetSecret, fixSetSecretPath, problem, setting, unknownSetting } from "./messages";
import { MAX_TOKEN_TTL_SECONDS, SETTINGS, SETTING_BY_KEY, Setting } from "./settings";
import {
    Parsed,
    RawConfig,
    Values,
    adoptRule,
    bindRule,
    checkSecret,
    extraSecretsRule,
    keyHoldersRule,
    nodesRule,
    parseAll,
    parseSetting,
    requiredSecretsRule,
    thresholdRule,
    ttlRule,
} from "./validate";

// The per-key checks and each cross-field rule on their own, with the exact messages (built with
// core/messages.ts), and the settings table's own consistency.

const row = (key: string): Setting => SETTING_BY_KEY.get(key)!;
const KEYS = SETTINGS.map((s) => s.key);
const REQUIRED = ["openrouterApiKey", "telegramBotToken", "telegramChatId", "githubToken"];

/** Raw config from plain and secret values. */
function raw(plain: Record<string, string>, secrets: Record<string, string> = {}): RawConfig {
    return {
        ...Object.fromEntries(Object.entries(plain).map(([k, value]) => [k, { value, secret: false }])),
        ...Object.fromEntries(Object.entries(secrets).map(([k, value]) => [k, { value, secret: true }])),
    };
}

/** Run a check that reports into an error list; returns its result and the list. */
function collect<T>(check: (errors: string[]) => T): { result: T; errors: string[] } {
    const errors: string[] = [];
    return { result: check(errors), errors };
}

describe("the settings table", () => {
    test("keys are unique, and the lookup holds every row", () => {
        expect(new Set(KEYS).size).toBe(KEYS.length);
        expect([...SETTING_BY_KEY.keys()]).toEqual(KEYS);
    });

    test.each(SETTINGS.map((s) => [s.key, s] as const))("%s is internally consistent", (_key, s) => {
        const secretKind = s.kind === "secret" || s.kind === "secretMap";
        if (s.kind === "list") {
            // A structured list checked by its own rule: no default, no Pulumi.yaml entry.
            expect(s.default).toBeUndefined();
            expect(s.yamlType).toBeUndefined();
        } else if (secretKind) {
            // A secret has no default (it would sit in the code in clear) and no Pulumi.yaml entry.
            expect(s.default).toBeUndefined();
            expect(s.yamlType).toBeUndefined();
        } else {
            expect(s.required).toBeUndefined();
            // Every message's fix suggests a value: the default or an explicit one, itself valid.
            expect(s.fix ?? s.default).toBeDefined();
            expect(collect((e) => parseSetting(s, (s.fix ?? s.default)!, e)).errors).toEqual([]);
        }
        if (s.kind === "integer") {
            expect(Number.isInteger(s.min) && Number.isInteger(s.max)).toBe(true);
            expect(s.min!).toBeLessThanOrEqual(Number(s.default));
            expect(Number(s.default)).toBeLessThanOrEqual(s.max!);
        } else {
            expect([s.min, s.max]).toEqual([undefined, undefined]);
        }
        // A row that can refuse a string's form says what is allowed (its default passes: see above).
        if (s.pattern !== undefined || (s as { check?: unknown }).check !== undefined) {
            expect(s.kind).toBe("string");
            expect(s.allowed).toBeDefined();
        }
        if (s.kind === "duration") expect(s.allowed).toBeDefined();
        if (s.kind === "boolean") expect(["true", "false"]).toContain(s.default);
        if (s.nonEmpty) expect(s.kind).toBe("string");
        // A declared Pulumi.yaml key without a default would be required of every stack.
        if (s.yamlType !== undefined) expect(s.default).toBeDefined();
        expect(s.description.trim()).not.toBe("");
    });

    test("the required secrets are the four third-party credentials", () => {
        expect(SETTINGS.filter((s) => s.required).map((s) => s.key)).toEqual(REQUIRED);
    });
});

describe("parseSetting, per kind", () => {
    test.each<[string, string, Parsed, string[]]>([
        ["protect", "true", true, []],
        ["protect", " false ", false, []],
        [
            "protect",
            "yes",
            undefined,
            [problem("protect", "yes", "must be true or false", `set ${fixSet("protect", "true")} or ${fixSet("protect", "false")}`)],
        ],
        ["port", "8200", 8200, []],
        ["port", " 1 ", 1, []],
        ["port", "65535", 65535, []],
        ["port", "65536", undefined, [problem("port", "65536", "must be a whole number from 1 to 65535", `set ${fixSet("port", "8200")}`)]],
        ["port", "0", undefined, [problem("port", "0", "must be a whole number from 1 to 65535", `set ${fixSet("port", "8200")}`)]],
        ["keyShares", "1.5", undefined, [problem("keyShares", "1.5", "must be a whole number from 1 to 255", `set ${fixSet("keyShares", "5")}`)]],
        ["keyShares", "five", undefined, [problem("keyShares", "five", "must be a whole number from 1 to 255", `set ${fixSet("keyShares", "5")}`)]],
        // A tunable range: the message follows the row.
        [
            "providerTokenTtlSeconds",
            String(row("providerTokenTtlSeconds").min! - 1),
            undefined,
            [
                problem(
                    "providerTokenTtlSeconds",
                    String(row("providerTokenTtlSeconds").min! - 1),
                    `must be a whole number from ${row("providerTokenTtlSeconds").min} to ${row("providerTokenTtlSeconds").max}`,
                    `set ${fixSet("providerTokenTtlSeconds", row("providerTokenTtlSeconds").default!)}`,
                ),
            ],
        ],
        ["appTokenTtl", "1h30m", "1h30m", []],
        ["appTokenTtl", " 90s ", "90s", []],
        ["appTokenTtl", "0s", undefined, [problem("appTokenTtl", "0s", row("appTokenTtl").allowed!, `set ${fixSet("appTokenTtl", "720h")}`)]],
        [
            "appTokenTtl",
            "30 days",
            undefined,
            [problem("appTokenTtl", "30 days", "is not a Go duration such as 720h or 1h30m", `set ${fixSet("appTokenTtl", "720h")}`)],
        ],
        // No default: the fix suggests the row's own value.
        [
            "appTokenPeriod",
            "often",
            undefined,
            [problem("appTokenPeriod", "often", "is not a Go duration such as 720h", `set ${fixSet("appTokenPeriod", "720h")}`)],
        ],
        ["image", "registry.example:5000/team/vault:1.17@sha256:" + "a".repeat(64), "registry.example:5000/team/vault:1.17@sha256:" + "a".repeat(64), []],
        ["image", " Not An Image ", undefined, [problem("image", "Not An Image", row("image").allowed!, `set ${fixSet("image", "hashicorp/vault:1.17")}`)]],
        ["bindAddress", "127.0.0.2", "127.0.0.2", []],
        [
            "bindAddress",
            "vault.example",
            undefined,
            [problem("bindAddress", "vault.example", "must be an IPv4 address such as 127.0.0.1", `set ${fixSet("bindAddress", "127.0.0.1")}`)],
        ],
        [
            "appTokenDisplayName",
            "-x",
            undefined,
            [problem("appTokenDisplayName", "-x", row("appTokenDisplayName").allowed!, `set ${fixSet("appTokenDisplayName", "openclaw-app")}`)],
        ],
        ["databaseHost", " db.internal ", "db.internal", []],
        ["databaseName", "  ", undefined, [problem("databaseName", undefined, "is empty", `set ${fixSet("databaseName", "oa_system")}`)]],
    ])("%s = %p", (key, text, value, errors) => {
        expect(collect((e) => parseSetting(row(key), text, e))).toEqual({ result: value, errors });
    });

    test.each<[string, { value: string; secret: boolean } | undefined, boolean, string[]]>([
        ["absent", undefined, false, []],
        ["stored encrypted", { value: "fake-value", secret: true }, true, []],
        [
            "stored in plain text",
            { value: "fake-plain-value", secret: false },
            false,
            [problem("githubToken", undefined, "is stored in plain text in the stack file", `store it encrypted with ${fixSetSecret("githubToken")}`)],
        ],
        ["empty", { value: " ", secret: true }, false, [problem("githubToken", undefined, "is empty", `set it with ${fixSetSecret("githubToken")}`)]],
    ])("checkSecret: a secret %s", (_name, value, supplied, errors) => {
        const r = collect((e) => checkSecret("githubToken", value, e));
        expect(r).toEqual({ result: supplied, errors });
        expect(r.errors.join()).not.toContain("fake-");
    });

    test("parseAll: unknown keys first, defaults for absent settings, supplied secrets listed, the secret map left to its rule", () => {
        const { result, errors } = collect((e) => parseAll(raw({ keyshares: "5", port: "18200" }, { githubToken: "fake-gh", extraSecrets: "{}" }), e));
        expect(errors).toEqual([unknownSetting("keyshares", KEYS)]);
        expect(errors[0]).toBe(
            problem(
                "keyshares",
                undefined,
                `is not a setting of this program (known: ${KEYS.join(", ")})`,
                "remove it with `pulumi config rm vault-stack:keyshares`",
            ),
        );
        expect(result.values).toMatchObject({ port: 18200, keyShares: 5, keyThreshold: 3, protect: true, appTokenTtl: "720h", databasePort: 5432 });
        expect(result.values.appTokenPeriod).toBeUndefined();
        expect(Object.keys(result.values)).not.toContain("extraSecrets");
        expect([...result.supplied]).toEqual(["githubToken"]);
    });
});

describe("cross-field rules", () => {
    const thresholdFix = (shares: number): string => `set ${fixSet("keyThreshold", Math.min(3, shares))}`;
    test.each<[string, Values, string[]]>([
        ["threshold within shares", { keyShares: 5, keyThreshold: 3 }, []],
        ["threshold equal to shares", { keyShares: 2, keyThreshold: 2 }, []],
        ["one share, threshold 1", { keyShares: 1, keyThreshold: 1 }, []],
        [
            "threshold above shares",
            { keyShares: 5, keyThreshold: 6 },
            [problem("keyThreshold", "6", `is larger than ${setting("keyShares")} (5)`, thresholdFix(5))],
        ],
        [
            "the fix stays within few shares",
            { keyShares: 2, keyThreshold: 3 },
            [problem("keyThreshold", "3", `is larger than ${setting("keyShares")} (2)`, thresholdFix(2))],
        ],
        [
            "threshold 1 of several shares",
            { keyShares: 5, keyThreshold: 1 },
            [
                problem(
                    "keyThreshold",
                    "1",
                    `must be at least 2 when ${setting("keyShares")} (5) is more than 1, or one share opens everything`,
                    thresholdFix(5),
                ),
            ],
        ],
        ["shares already reported invalid", { keyShares: undefined, keyThreshold: 9 }, []],
        ["threshold already reported invalid", { keyShares: 5, keyThreshold: undefined }, []],
    ])("thresholdRule: %s", (_name, v, errors) => {
        expect(collect((e) => thresholdRule(v, e)).errors).toEqual(errors);
    });

    const insecure = (bind: string): string =>
        problem(
            "bindAddress",
            bind,
            "publishes Vault beyond this host while TLS is off, so tokens and unseal keys would cross the network in clear text",
            `set ${fixSet("bindAddress", "127.0.0.1")} (reach it through a tunnel such as Tailscale), or accept the risk with ${fixSet("allowInsecureBind", "true")}`,
        );
    test.each<[string, Values, string[]]>([
        ["loopback", { bindAddress: "127.0.0.1", allowInsecureBind: false }, []],
        ["another loopback address", { bindAddress: "127.8.9.10", allowInsecureBind: false }, []],
        ["all addresses", { bindAddress: "0.0.0.0", allowInsecureBind: false }, [insecure("0.0.0.0")]],
        ["a LAN address", { bindAddress: "192.168.1.5", allowInsecureBind: false }, [insecure("192.168.1.5")]],
        ["a LAN address, risk accepted", { bindAddress: "192.168.1.5", allowInsecureBind: true }, []],
        ["allowInsecureBind already reported invalid", { bindAddress: "0.0.0.0", allowInsecureBind: undefined }, []],
        ["bindAddress already reported invalid", { bindAddress: undefined, allowInsecureBind: false }, []],
    ])("bindRule: %s", (_name, v, errors) => {
        expect(collect((e) => bindRule(v, e)).errors).toEqual(errors);
    });

    const tooLong = problem(
        "appTokenTtl",
        "769h",
        "is longer than Vault's maximum token TTL of 768h",
        `set ${fixSet("appTokenTtl", "720h")}, or make the token periodic with ${fixSet("appTokenPeriod", "720h")}`,
    );
    test.each<[string, Values, string[]]>([
        ["the default", { appTokenTtl: "720h" }, []],
        ["exactly the maximum", { appTokenTtl: "768h" }, []],
        ["the maximum in other units", { appTokenTtl: `${MAX_TOKEN_TTL_SECONDS}s` }, []],
        ["over the maximum", { appTokenTtl: "769h" }, [tooLong]],
        ["over the maximum, periodic", { appTokenTtl: "769h", appTokenPeriod: "720h" }, []],
        ["TTL already reported invalid", { appTokenTtl: undefined }, []],
    ])("ttlRule: %s", (_name, v, errors) => {
        expect(collect((e) => ttlRule(v, e)).errors).toEqual(errors);
    });

    const missing = (key: string): string => problem(key, undefined, "is missing", `set it with ${fixSetSecret(key)}`);
    test.each<[string, RawConfig, Values, string[]]>([
        ["none supplied", raw({}), { devPlaceholders: false }, REQUIRED.map(missing)],
        ["one missing", raw({}, { openrouterApiKey: "x", telegramBotToken: "x", telegramChatId: "x" }), { devPlaceholders: false }, [missing("githubToken")]],
        ["all supplied", raw({}, Object.fromEntries(REQUIRED.map((k) => [k, "x"]))), { devPlaceholders: false }, []],
        ["none supplied, dev placeholders", raw({}), { devPlaceholders: true }, []],
        ["none supplied, devPlaceholders invalid", raw({}), { devPlaceholders: undefined }, REQUIRED.map(missing)],
    ])("requiredSecretsRule: %s", (_name, r, v, errors) => {
        expect(collect((e) => requiredSecretsRule(r, v, e)).errors).toEqual(errors);
    });

    const keysNeeded = problem(
        "adoptUnsealKeys",
        undefined,
        "is missing: adopting an initialised server needs its unseal keys (the root token alone cannot unseal it)",
        `set it with ${fixSetSecret("adoptUnsealKeys")}`,
    );
    const tooFew = (n: number, t: number): string =>
        problem(
            "adoptUnsealKeys",
            undefined,
            `holds ${n} key(s) but the threshold is ${t}`,
            `hand in at least ${t}, separated by commas, with ${fixSetSecret("adoptUnsealKeys")}`,
        );
    test.each<[string, Record<string, string>, Values, string[]]>([
        ["no adoption", {}, { keyThreshold: 3 }, []],
        ["keys and token, enough keys", { adoptUnsealKeys: "k1,k2,k3", adoptRootToken: "t" }, { keyThreshold: 3 }, []],
        ["keys as a JSON array", { adoptUnsealKeys: '["k1","k2"]', adoptRootToken: "t" }, { keyThreshold: 2 }, []],
        ["keys without the token (one is made from the keys)", { adoptUnsealKeys: "k1,k2,k3" }, { keyThreshold: 3 }, []],
        ["the token without keys", { adoptRootToken: "t" }, { keyThreshold: 3 }, [keysNeeded]],
        ["fewer keys than the threshold", { adoptUnsealKeys: "k1\nk2", adoptRootToken: "t" }, { keyThreshold: 3 }, [tooFew(2, 3)]],
        ["too few keys and no token", { adoptUnsealKeys: "k1" }, { keyThreshold: 2 }, [tooFew(1, 2)]],
        ["threshold already reported invalid", { adoptUnsealKeys: "k1", adoptRootToken: "t" }, { keyThreshold: undefined }, []],
    ])("adoptRule: %s", (_name, secrets, v, errors) => {
        const r = collect((e) => adoptRule(raw({}, secrets), v, new Set(Object.keys(secrets)), e));
        expect(r.errors).toEqual(errors);
        expect(r.errors.join()).not.toMatch(/\bk\d\b/);
    });

    test.each<[string, RawConfig, Record<string, unknown>, string[]]>([
        ["absent", raw({}), {}, []],
        [
            "stored encrypted",
            raw({}, { extraSecrets: JSON.stringify({ "team/app": { fields: { api_key: "fake-1", n: 5 }, appCanRead: true } }) }),
            { "team/app": { fields: { api_key: "fake-1", n: "5" }, appCanRead: true } },
            [],
        ],
        [
            "stored in plain text",
            raw({ extraSecrets: JSON.stringify({ app: { fields: { a: "fake-plain" } } }) }),
            {},
            [
                problem(
                    "extraSecrets",
                    undefined,
                    "holds secret values but is stored in plain text",
                    `set each value with ${fixSetSecretPath("extraSecrets.<path>.fields.<field>")}`,
                ),
            ],
        ],
        [
            "not JSON",
            raw({}, { extraSecrets: "{" }),
            {},
            [`${setting("extraSecrets")} is not a map of paths: set it with ${fixSetSecretPath("extraSecrets.myapp.fields.api_key")}`],
        ],
        [
            "appCanRead not a flag",
            raw({}, { extraSecrets: JSON.stringify({ app: { fields: { a: "fake-1" }, appCanRead: "yes" } }) }),
            { app: { fields: { a: "fake-1" }, appCanRead: false } },
            [`${setting("extraSecrets.app")}.appCanRead must be true or false`],
        ],
        [
            "a field that is no value",
            raw({}, { extraSecrets: JSON.stringify({ app: { fields: { a: { nested: "fake-1" } } } }) }),
            { app: { fields: {}, appCanRead: false } },
            [`${setting("extraSecrets.app")}.fields.a must be a string value`],
        ],
    ])("extraSecretsRule: %s", (_name, r, parsed, errors) => {
        const out = collect((e) => extraSecretsRule(r, e));
        expect(out).toEqual({ result: parsed, errors });
        expect(out.errors.join()).not.toContain("fake-");
    });
});

describe("keyHoldersRule", () => {
    // Public keys only need to pass the packet check here; core/keyHolders.test.ts uses a real one.
    const key = Buffer.concat([Buffer.from([0x99, 0x01, 0x0d]), Buffer.alloc(40, 1)]).toString("base64");
    const holders = (n: number): string => JSON.stringify(Array.from({ length: n }, (_, i) => ({ name: `holder${i + 1}`, pgpKey: key })));

    test("one holder per share: the holders are returned in order", () => {
        const r = collect((e) => keyHoldersRule(raw({ keyHolders: holders(5) }), { keyShares: 5 }, new Set(), e));
        expect(r.errors).toEqual([]);
        expect(r.result.map((h) => h.name)).toEqual(["holder1", "holder2", "holder3", "holder4", "holder5"]);
    });

    test("no setting: keys in the state", () => {
        expect(collect((e) => keyHoldersRule(raw({}), { keyShares: 5 }, new Set(), e))).toEqual({ result: [], errors: [] });
    });

    test("a count other than keyShares is refused, naming both and both fixes", () => {
        expect(collect((e) => keyHoldersRule(raw({ keyHolders: holders(3) }), { keyShares: 5 }, new Set(), e)).errors).toEqual([
            problem(
                "keyHolders",
                "3 holders",
                `must name one holder per key share, and ${setting("keyShares")} is 5`,
                `set ${fixSet("keyShares", 3)} (and ${setting("keyThreshold")} at most that), or add holders with ${fixHolder(3)}`,
            ),
        ]);
    });

    test("adoption with holders is refused: handed-in keys would sit in the state", () => {
        const r = collect((e) => keyHoldersRule(raw({ keyHolders: holders(5) }), { keyShares: 5 }, new Set(["adoptUnsealKeys", "adoptRootToken"]), e));
        expect(r.errors).toHaveLength(1);
        expect(r.errors[0]).toContain("cannot be combined with adoptUnsealKeys");
        expect(r.errors[0]).toContain(fixRm("keyHolders"));
    });
});

describe("nodesRule", () => {
    test.each<[string, Values, string[]]>([
        ["one file server", { nodes: 1, storage: "file" }, []],
        ["three raft nodes", { nodes: 3, storage: "raft" }, []],
        ["five raft nodes", { nodes: 5, storage: "raft" }, []],
        [
            "an even count",
            { nodes: 2, storage: "raft" },
            [problem("nodes", "2", "must be 1, 3 or 5: a Raft cluster needs an odd count to keep a quorum", `set ${fixSet("nodes", 3)}`)],
        ],
        [
            "three nodes on file storage",
            { nodes: 3, storage: "file" },
            [
                problem(
                    "nodes",
                    "3",
                    `needs ${setting("storage")} raft: file storage serves one server only`,
                    `set ${fixSet("storage", "raft")}, or ${fixSet("nodes", 1)}`,
                ),
            ],
        ],
        ["nodes already reported invalid", { nodes: undefined, storage: "file" }, []],
    ])("%s", (_name, v, errors) => {
        expect(collect((e) => nodesRule(v, e)).errors).toEqual(errors);
    });
});
