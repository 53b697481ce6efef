import type * as pulumiType from "@pulumi/pulumi";
import { ComponentRun, inventory, runComponent } from "../tests/unit/componentMocks";
import { FAKE_STORED, Invoked, MockOptions, modeOf } from "../tests/unit/mocks";
import { renderReadPolicy } from "../core/hcl";
import { fixSetSecret, placeholderText, problem } from "../core/messages";
import { FIXED_SECRET_PATHS } from "../core/secretPaths";
import type * as module from "./secretsStore";

// SecretsStore on its own under mocks: the provider, the KV mount, the secrets with exactly their
// fields, the audit device, the read policy and the app token.

type Run = ComponentRun<module.SecretsStore>;
type Args = module.SecretsStoreArgs;

const SUPPLIED = { openrouterApiKey: "fake-openrouter", telegramBotToken: "fake-telegram", telegramChatId: "fake-chat", githubToken: "fake-github" };
const DATABASE = { host: "db.internal", port: "5433", name: "app", user: "app_admin" };

/** Build a SecretsStore under mocks; `args` may override the defaults (secrets made with the registry's own pulumi). */
function store(args: (pulumi: typeof pulumiType) => Partial<Args> = () => ({}), opts: MockOptions = {}): Promise<Run> {
    return runComponent((pulumi) => {
        const { SecretsStore } = require("./secretsStore") as typeof module;
        const secret = (values: Record<string, string>): Record<string, pulumiType.Output<string>> =>
            Object.fromEntries(Object.entries(values).map(([k, v]) => [k, pulumi.secret(v)]));
        const defaults: Args = {
            address: pulumi.output("http://127.0.0.1:18200"),
            adminToken: pulumi.secret("fake-admin-token"),
            appTokenRole: "svc-role",
            providerTokenTtlSeconds: 600,
            values: { ...secret(SUPPLIED), database: DATABASE },
            devPlaceholders: false,
            extra: {},
            auditFile: "/vault/logs/audit.log",
            appTokenDisplayName: "svc",
            appTokenTtl: "24h",
            adopt: false,
            adopted: false,
            protect: true,
        };
        return (o) => new SecretsStore("st", { ...defaults, ...args(pulumi) }, o);
    }, opts);
}

/** The stored data of each KV path, by path (without the mount). */
const kvData = (run: Run): Record<string, Record<string, string>> =>
    Object.fromEntries(
        run.resources
            .filter((r) => r.type === "vault:generic/secret:Secret")
            .map((r) => [String(r.inputs.path).replace(/^secret\//, ""), JSON.parse(r.inputs.dataJson as string)]),
    );

/** The adapter's read runs (adoption reads stored values back). */
const reads = (run: Run): Invoked[] => run.invokes.filter((i) => modeOf(i.inputs.command) === "read");

/** Generated values as the mocked random resources produce them. */
const RANDOM = {
    password: "fake-password-st-database-password",
    jwt: "fake-password-st-cockpit-jwt-secret",
    admin: "fake-password-st-cockpit-admin-password",
};

const VAULT_CHILDREN = ["st-audit", "st-kv", "st-openrouter", "st-telegram", "st-github", "st-database", "st-cockpit", "st-app-policy", "st-app-token"];

describe("SecretsStore, default settings", () => {
    let run: Run;
    beforeAll(async () => {
        run = await store();
    });

    test("declares the provider, audit device, mount, generated values, five secrets, policy and token", () => {
        expect(inventory(run)).toEqual(
            [
                "vault-stack:vault:SecretsStore st",
                "pulumi:providers:vault st-provider",
                "vault:index/audit:Audit st-audit",
                "vault:index/mount:Mount st-kv",
                "random:index/randomPassword:RandomPassword st-database-password",
                "random:index/randomPassword:RandomPassword st-cockpit-jwt-secret",
                "random:index/randomPassword:RandomPassword st-cockpit-admin-password",
                ...["openrouter", "telegram", "github", "database", "cockpit"].map((p) => `vault:generic/secret:Secret st-${p}`),
                "vault:index/policy:Policy st-app-policy",
                "vault:index/token:Token st-app-token",
            ].sort(),
        );
    });

    test("the provider works with a short-lived child of the admin token, given as a secret", () => {
        const p = run.one("pulumi:providers:vault");
        // Provider inputs travel as strings; the SDK adds its own defaults (maxRetries).
        expect(p.inputs).toMatchObject({
            address: "http://127.0.0.1:18200",
            token: "fake-admin-token",
            maxLeaseTtlSeconds: "600",
            skipChildToken: "false",
            tokenName: "pulumi-vault-stack",
        });
        expect(p.secretInputs).toEqual(["token"]);
    });

    test("every Vault resource goes through that provider, and comes after the audit device", () => {
        for (const name of VAULT_CHILDREN) {
            const o = run.options(name);
            expect(o.parent).toBe(run.result);
            expect(o.provider).toBe(run.result.provider);
            if (name !== "st-audit") expect(o.dependsOn).toEqual([expect.objectContaining({ __name: "st-audit" })]);
        }
        expect(run.one("vault:index/audit:Audit").inputs).toEqual({
            type: "file",
            path: "file",
            options: { file_path: "/vault/logs/audit.log" },
            description: "Log of every access",
        });
    });

    test("KV v2 at secret/, created (not imported), retained on delete and protected", () => {
        const kv = run.one("vault:index/mount:Mount");
        expect(kv.inputs).toEqual({ path: "secret", type: "kv", options: { version: "2" } });
        expect(kv.importId).toBeUndefined();
        expect(run.options("st-kv")).toMatchObject({ retainOnDelete: true, protect: true });
    });

    test("the five secrets hold exactly the playbook's fields, as secrets, retained on delete", () => {
        expect(kvData(run)).toEqual({
            openrouter: { api_key: "fake-openrouter" },
            telegram: { bot_token: "fake-telegram", chat_id: "fake-chat" },
            github: { token: "fake-github" },
            database: { ...DATABASE, password: RANDOM.password },
            cockpit: { jwt_secret: RANDOM.jwt, admin_password: RANDOM.admin },
        });
        for (const p of FIXED_SECRET_PATHS) {
            expect(run.one("vault:generic/secret:Secret", `st-${p}`).secretInputs).toEqual(["dataJson"]);
            // The options as declared, merged with the SDK's own list.
            expect(run.options(`st-${p}`)).toMatchObject({ additionalSecretOutputs: expect.arrayContaining(["dataJson", "data"]), retainOnDelete: true });
        }
        expect(Object.keys(run.result.secrets)).toEqual([...FIXED_SECRET_PATHS]);
        expect(run.result.placeholders).toEqual([]);
    });

    test("generated values: passwords without special characters, the JWT secret 64 hex digits", () => {
        const random = (n: string): Record<string, unknown> => run.one("random:index/randomPassword:RandomPassword", n).inputs;
        expect(random("st-database-password")).toEqual({ length: 32, special: false });
        expect(random("st-cockpit-admin-password")).toEqual({ length: 24, special: false });
        expect(random("st-cockpit-jwt-secret")).toEqual({ length: 64, upper: false, lower: false, numeric: true, special: true, overrideSpecial: "abcdef" });
    });

    test("the policy reads exactly the five paths", () => {
        expect(run.one("vault:index/policy:Policy").inputs).toEqual({ name: "svc-read", policy: renderReadPolicy("secret", FIXED_SECRET_PATHS) });
        expect(run.result.appPaths).toEqual([...FIXED_SECRET_PATHS]);
    });

    test("the app token: through the token role (which makes it an orphan), renewable, with the TTL and the read policy only; its value is secret", async () => {
        expect(run.one("vault:index/token:Token").inputs).toEqual({
            displayName: "svc",
            policies: ["svc-read"],
            ttl: "24h",
            renewable: true,
            roleName: "svc-role",
        });
        expect(run.options("st-app-token").additionalSecretOutputs).toContain("clientToken");
        expect(await run.value(run.result.appTokenValue)).toBe("fake-app-token");
        expect(await run.pulumi.isSecret(run.result.appTokenValue)).toBe(true);
    });

    test("without adoption nothing is read back", () => {
        expect(reads(run)).toEqual([]);
    });
});

describe("SecretsStore, missing credentials", () => {
    test("dev placeholders stand in for what is not supplied, marked and listed", async () => {
        const run = await store((pulumi) => ({ devPlaceholders: true, values: { githubToken: pulumi.secret("fake-github"), database: DATABASE } }));
        const placeholder = (key: string): string => placeholderText("DEV-PLACEHOLDER", key);
        expect(run.result.placeholders).toEqual(["openrouterApiKey", "telegramBotToken", "telegramChatId"]);
        expect(kvData(run)).toMatchObject({
            openrouter: { api_key: placeholder("openrouterApiKey") },
            telegram: { bot_token: placeholder("telegramBotToken"), chat_id: placeholder("telegramChatId") },
            github: { token: "fake-github" },
        });
    });

    test("without dev placeholders a missing credential stops the component with the command that sets it", async () => {
        const { telegramChatId: _missing, ...given } = SUPPLIED;
        await expect(
            store((pulumi) => ({ values: { ...Object.fromEntries(Object.entries(given).map(([k, v]) => [k, pulumi.secret(v)])), database: DATABASE } })),
        ).rejects.toThrow(new Error(problem("telegramChatId", undefined, "is missing", `set it with ${fixSetSecret("telegramChatId")}`)));
    });
});

describe("SecretsStore, an adopted server", () => {
    test("adopted in this update: the mount is imported, and generated fields keep the stored values", async () => {
        const run = await store(() => ({ adopt: true, adopted: true }));
        expect(run.one("vault:index/mount:Mount").importId).toBe("secret");
        const [read, ...more] = reads(run);
        expect(more).toEqual([]);
        expect(read!.inputs.environment).toEqual({ VAULT_ADDR: "http://127.0.0.1:18200" });
        expect(read!.inputs.command).not.toContain("fake-admin-token");
        expect(JSON.parse(read!.inputs.stdin as string)).toEqual({ token: "fake-admin-token", mount: "secret", paths: ["database", "cockpit"] });
        expect(kvData(run)).toMatchObject({ database: { ...DATABASE, password: FAKE_STORED.database.password }, cockpit: FAKE_STORED.cockpit });
    });

    test("adopted before (the settings since removed): nothing is imported, stored values are still kept; missing ones are generated; supplied ones win", async () => {
        const run = await store(
            (pulumi) => ({ adopted: true, values: { ...SUPPLIED, database: DATABASE, cockpitAdminPassword: pulumi.secret("fake-given-admin") } }),
            {
                runAnswer: () => ({ database: null, cockpit: { jwt_secret: "fake-stored-jwt" } }),
            },
        );
        expect(run.one("vault:index/mount:Mount").importId).toBeUndefined();
        expect(reads(run)).toHaveLength(1);
        expect(kvData(run)).toMatchObject({
            database: { password: RANDOM.password },
            cockpit: { jwt_secret: "fake-stored-jwt", admin_password: "fake-given-admin" },
        });
    });
});

describe("SecretsStore, other settings", () => {
    let run: Run;
    beforeAll(async () => {
        run = await store((pulumi) => ({
            auditFile: undefined,
            protect: false,
            values: { ...SUPPLIED, database: DATABASE, databasePassword: "fake-db", cockpitJwtSecret: "fake-jwt", cockpitAdminPassword: "fake-admin" },
            extra: {
                "team/app": { fields: { api_key: pulumi.secret("fake-extra") }, appCanRead: true },
                hidden: { fields: { k: pulumi.secret("fake-hidden") }, appCanRead: false },
            },
        }));
    });

    test("extra paths are written; the app may read only those flagged", () => {
        expect(kvData(run)).toMatchObject({ "team/app": { api_key: "fake-extra" }, hidden: { k: "fake-hidden" } });
        expect(run.one("vault:generic/secret:Secret", "st-team-app").inputs.path).toBe("secret/team/app");
        expect(run.result.appPaths).toEqual([...FIXED_SECRET_PATHS, "team/app"]);
        expect(run.one("vault:index/policy:Policy").inputs.policy).toBe(renderReadPolicy("secret", [...FIXED_SECRET_PATHS, "team/app"]));
    });

    test("supplied values for generated fields are used as given: no random resources", () => {
        expect(run.resources.filter((r) => r.type.startsWith("random:"))).toEqual([]);
        expect(kvData(run)).toMatchObject({ database: { password: "fake-db" }, cockpit: { jwt_secret: "fake-jwt", admin_password: "fake-admin" } });
    });

    test("without an audit file there is no audit device and nothing waits for one", () => {
        expect(run.resources.some((r) => r.type === "vault:index/audit:Audit")).toBe(false);
        expect(run.options("st-kv").dependsOn).toEqual([]);
    });

    test("the token asks for no period (a non-root token may not; the role carries it); protect false leaves the mount unprotected, still retained", () => {
        expect(run.one("vault:index/token:Token").inputs).not.toHaveProperty("period");
        expect(run.options("st-kv")).toMatchObject({ retainOnDelete: true, protect: false });
    });
});
