import type * as pulumiType from "@pulumi/pulumi";
import { FAKE_ADMIN, FAKE_INIT, FAKE_STORED, ProgramRun, Registered, modeOf, one, runProgram, settle } from "./mocks";

const SECRET = "vault:generic/secret:Secret";
/** The KV path of a secret resource, without the mount. */
const kvName = (r: Registered): string => String(r.inputs.path).replace(/^secret\//, "");

const SECRETS = {
    openrouterApiKey: "fake-openrouter-key",
    telegramBotToken: "fake-telegram-token",
    telegramChatId: "fake-chat-id",
    githubToken: "fake-github-token",
};

describe("the program under mocks, default settings", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram({ ...SECRETS }, Object.keys(SECRETS));
        await settle(run);
    });

    test("declares the expected resources under their components", () => {
        const types = run.resources.map((r) => `${r.type} ${r.name}`).sort();
        expect(types).toEqual(
            [
                "vault-stack:docker:VaultServer vault",
                "docker:index/network:Network vault-net",
                "docker:index/volume:Volume vault-data",
                "docker:index/volume:Volume vault-logs",
                "docker:index/remoteImage:RemoteImage vault-image",
                "docker:index/container:Container vault-container",
                "vault-stack:vault:VaultInit vault",
                "command:local:Command vault-init",
                "vault-stack:vault:VaultAdmin vault",
                "command:local:Command vault-admin",
                "random:index/randomPassword:RandomPassword vault-init-record-key",
                "vault-stack:vault:SecretsStore vault",
                "pulumi:providers:vault vault-provider",
                "vault:index/mount:Mount vault-kv",
                "vault:index/audit:Audit vault-audit",
                "random:index/randomPassword:RandomPassword vault-database-password",
                "random:index/randomPassword:RandomPassword vault-cockpit-jwt-secret",
                "random:index/randomPassword:RandomPassword vault-cockpit-admin-password",
                "vault:generic/secret:Secret vault-openrouter",
                "vault:generic/secret:Secret vault-telegram",
                "vault:generic/secret:Secret vault-github",
                "vault:generic/secret:Secret vault-database",
                "vault:generic/secret:Secret vault-cockpit",
                "vault:index/policy:Policy vault-app-policy",
                "vault:index/token:Token vault-app-token",
            ].sort(),
        );
    });

    test("physical Docker names include the stack", () => {
        expect(one(run, "docker:index/network:Network").inputs.name).toBe("vault-unit-net");
        expect(one(run, "docker:index/volume:Volume", "vault-data").inputs.name).toBe("vault-unit-data");
        expect(one(run, "docker:index/volume:Volume", "vault-logs").inputs.name).toBe("vault-unit-logs");
        expect(one(run, "docker:index/container:Container").inputs.name).toBe("vault-unit");
        expect(one(run, "docker:index/network:Network").inputs.driver).toBe("bridge");
    });

    test("the container runs the server as the playbook says, published on loopback only", () => {
        const c = one(run, "docker:index/container:Container").inputs;
        expect(c.ports).toEqual([{ internal: 8200, external: 8200, ip: "127.0.0.1", protocol: "tcp" }]);
        expect(c.capabilities).toEqual({ adds: ["CAP_IPC_LOCK"] });
        expect(c.restart).toBe("unless-stopped");
        expect(c.command).toEqual(["server", "-config=/vault/stack/vault.hcl"]);
        expect(c.envs).toEqual(["VAULT_ADDR=http://127.0.0.1:8200", "SKIP_SETCAP=true"]);
        expect(c.image).toBe("sha256:fake");
        expect(c.volumes).toEqual([
            { volumeName: "vault-unit-data", containerPath: "/vault/data" },
            { volumeName: "vault-unit-logs", containerPath: "/vault/logs" },
        ]);
        // Ownership of the data directory is fixed on every start, then the image's entrypoint drops privileges.
        const [shell, flag, script, name] = c.entrypoints as string[];
        expect([shell, flag, name]).toEqual(["/bin/sh", "-c", "vault-entrypoint"]);
        // As root only: chown, then the image's entrypoint; as another user, no chown.
        expect(script).toMatch(/^if \[ "\$\(id -u\)" = 0 \]; then chown -R vault:vault \/vault\/data \/vault\/logs \|\| exit 1; else /);
        expect(script).toMatch(/exec docker-entrypoint\.sh "\$@"$/);
        const uploads = c.uploads as { file: string; content: string; permissions: string }[];
        expect(uploads).toHaveLength(1);
        expect(uploads[0]!.file).toBe("/vault/stack/vault.hcl");
        expect(uploads[0]!.permissions).toBe("0444");
        expect(uploads[0]!.content).toContain('storage "file"');
        const hc = c.healthcheck as { tests: string[] };
        expect(hc.tests.join(" ")).toContain("/v1/sys/health?standbyok=true&uninitcode=200");
        expect(hc.tests.join(" ")).not.toContain("sealedcode");
    });

    test("the image is kept locally on delete; the network is a bridge", () => {
        expect(one(run, "docker:index/remoteImage:RemoteImage").inputs).toMatchObject({ name: "hashicorp/vault:1.17", keepLocally: true });
    });

    test("the init command runs the compiled ops adapter, with no secret in its command line", () => {
        const init = one(run, "command:local:Command", "vault-init").inputs;
        expect(init.create).toMatch(/bin\/ops\/ops\/main\.js" init$/);
        expect(init.update).toBe(init.create);
        expect(init.logging).toBe("stderr");
        expect(init.environment).toEqual({
            VAULT_ADDR: "http://127.0.0.1:8200",
            KEY_SHARES: "5",
            KEY_THRESHOLD: "3",
            CONTAINER_NAME: "vault-unit",
            INIT_RECORD_FILE: `${process.env.HOME}/.local/state/vault-stack/init-records/vault-unit.rec`,
            INIT_RECORD_KEY: "fake-password-vault-init-record-key",
        });
        expect(one(run, "command:local:Command", "vault-init").secretInputs).toContain("environment");
    });

    test("no secret value appears in any command line or environment given in the clear", () => {
        const secretValues = [...Object.values(SECRETS), ...FAKE_INIT.unseal_keys_b64, FAKE_INIT.root_token, FAKE_ADMIN.admin_token, "fake-app-token"];
        const lines = [
            ...run.resources
                .filter((r) => r.type === "command:local:Command")
                .map((r) => JSON.stringify([r.inputs.create, r.inputs.update, r.inputs.delete, r.inputs.environment])),
            ...run.invokes.filter((i) => i.token === "command:local:run").map((i) => JSON.stringify([i.inputs.command, i.inputs.environment])),
        ];
        expect(lines.length).toBeGreaterThanOrEqual(4);
        for (const v of secretValues) {
            for (const l of lines) expect(l).not.toContain(v);
        }
    });

    test("unsealing feeds the keys through stdin, never argv", () => {
        const unseal = run.invokes.find((i) => i.token === "command:local:run" && String(i.inputs.command).endsWith(" unseal"));
        expect(unseal).toBeDefined();
        expect(JSON.parse(unseal!.inputs.stdin as string)).toEqual(FAKE_INIT.unseal_keys_b64);
        expect(unseal!.inputs.logging).toBe("stderr");
    });

    test("the bootstrap gets the root token through stdin, the names it covers through plain environment", () => {
        const admin = one(run, "command:local:Command", "vault-admin");
        expect(admin.inputs.create).toMatch(/bin\/ops\/ops\/main\.js" bootstrap$/);
        expect(admin.inputs.stdin).toBe(FAKE_INIT.root_token);
        expect(admin.secretInputs).toEqual(["stdin"]);
        // The component's own test checks the whole environment; here, what the program feeds it.
        expect(admin.inputs.environment).toMatchObject({ VAULT_ADDR: "http://127.0.0.1:8200", APP_POLICY: "openclaw-app-read" });
        expect(admin.inputs.environment).not.toHaveProperty("APP_TOKEN_PERIOD");
        const renew = run.invokes.find((i) => modeOf(i.inputs.command) === "renew")!;
        expect(JSON.parse(renew.inputs.stdin as string)).toEqual(FAKE_ADMIN);
    });

    test("the Vault provider uses the admin token as a secret with a short-lived child token", () => {
        const p = one(run, "pulumi:providers:vault").inputs;
        expect(p.address).toBe("http://127.0.0.1:8200");
        expect(p.skipChildToken).toBe("false"); // provider inputs travel as strings
        expect(p.maxLeaseTtlSeconds).toBe("1200");
        expect(p.token).toBe(FAKE_ADMIN.admin_token);
        expect(one(run, "pulumi:providers:vault").secretInputs).toContain("token");
    });

    test("KV v2 at secret/, the five secrets with exactly the playbook's fields", async () => {
        expect(one(run, "vault:index/mount:Mount").inputs).toMatchObject({ path: "secret", type: "kv", options: { version: "2" } });
        const fields = Object.fromEntries(run.resources.filter((r) => r.type === SECRET).map((r) => [kvName(r), JSON.parse(r.inputs.dataJson as string)]));
        expect(fields).toEqual({
            openrouter: { api_key: "fake-openrouter-key" },
            telegram: { bot_token: "fake-telegram-token", chat_id: "fake-chat-id" },
            github: { token: "fake-github-token" },
            database: { host: "127.0.0.1", port: "5432", name: "oa_system", user: "oa_admin", password: "fake-password-vault-database-password" },
            cockpit: { jwt_secret: "fake-password-vault-cockpit-jwt-secret", admin_password: "fake-password-vault-cockpit-admin-password" },
        });
        for (const r of run.resources.filter((x) => x.type === SECRET)) {
            expect(String(r.inputs.path).startsWith("secret/")).toBe(true);
            expect(r.secretInputs).toEqual(["dataJson"]);
        }
    });

    test("generated secrets: 64 hex digits (32 bytes) for the JWT secret, passwords without special characters", () => {
        expect(one(run, "random:index/randomPassword:RandomPassword", "vault-cockpit-jwt-secret").inputs).toEqual({
            length: 64,
            upper: false,
            lower: false,
            numeric: true,
            special: true,
            overrideSpecial: "abcdef",
        });
        expect(run.resources.filter((r) => r.type === "random:index/randomBytes:RandomBytes")).toEqual([]);
        expect(one(run, "random:index/randomPassword:RandomPassword", "vault-database-password").inputs).toEqual({ length: 32, special: false });
        expect(one(run, "random:index/randomPassword:RandomPassword", "vault-cockpit-admin-password").inputs).toEqual({ length: 24, special: false });
    });

    test("a file audit device writes to the logs volume", () => {
        expect(one(run, "vault:index/audit:Audit").inputs).toMatchObject({ type: "file", path: "file", options: { file_path: "/vault/logs/audit.log" } });
    });

    test("the policy reads exactly the five paths", () => {
        const p = one(run, "vault:index/policy:Policy").inputs;
        expect(p.name).toBe("openclaw-app-read");
        const paths = [...(p.policy as string).matchAll(/^path "([^"]+)"/gm)].map((m) => m[1]);
        expect(paths.filter((x) => x!.startsWith("secret/data/"))).toEqual(
            ["openrouter", "telegram", "github", "database", "cockpit"].map((x) => `secret/data/${x}`),
        );
        expect(p.policy).not.toMatch(/"(create|update|delete|sudo)"/);
        expect(p.policy).not.toContain("sys/");
    });

    test("the app token comes through the token role (an orphan), renewable, 720h, named openclaw-app, with the read policy only", () => {
        expect(one(run, "vault:index/token:Token").inputs).toEqual({
            displayName: "openclaw-app",
            policies: ["openclaw-app-read"],
            ttl: "720h",
            renewable: true,
            roleName: "vault-stack-app",
        });
    });

    test("keys, admin token and app token outputs are secret; no output holds the root token", async () => {
        const o = run.outputs as Record<string, pulumiType.Output<unknown>>;
        for (const k of ["unsealKeys", "adminToken", "appToken"]) {
            expect(await run.pulumi.isSecret(o[k]!)).toBe(true);
        }
        expect(await run.value(o.unsealKeys!)).toEqual(FAKE_INIT.unseal_keys_b64);
        expect(o.rootToken).toBeUndefined();
        expect(await run.value(o.adminToken!)).toBe(FAKE_ADMIN.admin_token);
        expect(await run.value(o.adminTokenAccessor!)).toBe(FAKE_ADMIN.accessor);
        expect(await run.pulumi.isSecret(o.adminTokenAccessor!)).toBe(false);
        expect(await run.value(o.appToken!)).toBe("fake-app-token");
        expect(run.outputs.secretPaths).toEqual(["secret/openrouter", "secret/telegram", "secret/github", "secret/database", "secret/cockpit"]);
        expect(run.outputs.address).toBe("http://127.0.0.1:8200");
        expect(run.outputs.uiUrl).toBe("http://127.0.0.1:8200/ui");
    });
});

describe("the program under mocks, other settings", () => {
    test("supplied generated secrets are used as given; no random resources but the init record's key", async () => {
        const given = { ...SECRETS, databasePassword: "fake-db-pass", cockpitJwtSecret: "fake-jwt", cockpitAdminPassword: "fake-admin" };
        const run = await runProgram(given, Object.keys(given));
        await settle(run);
        expect(run.resources.filter((r) => r.type.startsWith("random:")).map((r) => r.name)).toEqual(["vault-init-record-key"]);
    });

    test("dev placeholders are marked and listed", async () => {
        const run = await runProgram({ devPlaceholders: "true" }, []);
        await settle(run);
        const openrouter = run.resources.find((r) => r.type === SECRET && kvName(r) === "openrouter")!;
        expect(JSON.parse(openrouter.inputs.dataJson as string).api_key).toBe(
            "DEV-PLACEHOLDER: not a real value; set it with pulumi config set --secret vault-stack:openrouterApiKey",
        );
        expect(run.outputs.placeholders).toEqual(["openrouterApiKey", "telegramBotToken", "telegramChatId", "githubToken"]);
    });

    test("adoption keys reach the init step as secret environment only", async () => {
        const cfg = { ...SECRETS, adoptUnsealKeys: "fake-a,fake-b,fake-c", adoptRootToken: "fake-adopt-root" };
        const run = await runProgram(cfg, Object.keys(cfg));
        await settle(run);
        const init = one(run, "command:local:Command", "vault-init").inputs;
        expect((init.environment as Record<string, string>).ADOPT_UNSEAL_KEYS).toBe("fake-a,fake-b,fake-c");
        expect(init.create).not.toContain("fake-a");
        expect(one(run, "command:local:Command", "vault-init").secretInputs).toEqual(["environment"]);
    });

    test("adoption imports the existing KV mount and keeps stored values of generated fields", async () => {
        const cfg = { ...SECRETS, adoptUnsealKeys: "fake-a,fake-b,fake-c", adoptRootToken: "fake-adopt-root" };
        const run = await runProgram(cfg, Object.keys(cfg), { initRecord: { ...FAKE_INIT, source: "adopted" } });
        await settle(run);
        expect(one(run, "vault:index/mount:Mount").importId).toBe("secret");
        const read = run.invokes.find((i) => String(i.inputs.command).endsWith(" read"))!;
        expect(read.inputs.command).not.toContain("fake");
        expect(JSON.parse(read.inputs.stdin as string)).toEqual({ token: FAKE_ADMIN.admin_token, mount: "secret", paths: ["database", "cockpit"] });
        const data = (p: string): Record<string, string> =>
            JSON.parse(run.resources.find((r) => r.type === SECRET && kvName(r) === p)!.inputs.dataJson as string);
        expect(data("database").password).toBe(FAKE_STORED.database.password);
        expect(data("cockpit")).toEqual(FAKE_STORED.cockpit);
    });

    test("an adopted server keeps its stored generated values after the adoption settings are removed", async () => {
        // The state's init record says "adopted"; the settings no longer do.
        const run = await runProgram({ ...SECRETS }, Object.keys(SECRETS), { initRecord: { ...FAKE_INIT, source: "adopted" } });
        await settle(run);
        expect(run.resources.filter((r) => r.importId !== undefined)).toEqual([]);
        const data = (p: string): Record<string, string> =>
            JSON.parse(run.resources.find((r) => r.type === SECRET && kvName(r) === p)!.inputs.dataJson as string);
        expect(data("database").password).toBe(FAKE_STORED.database.password);
        expect(data("cockpit")).toEqual(FAKE_STORED.cockpit);
    });

    test("without adoption nothing is imported or read back", async () => {
        const run = await runProgram({ ...SECRETS }, Object.keys(SECRETS));
        await settle(run);
        expect(run.resources.filter((r) => r.importId !== undefined)).toEqual([]);
        expect(run.invokes.filter((i) => String(i.inputs.command).endsWith(" read"))).toEqual([]);
    });

    test("other port, bind address and token settings reach the resources", async () => {
        const cfg = {
            ...SECRETS,
            port: "18200",
            bindAddress: "127.0.0.2",
            appTokenTtl: "24h",
            appTokenDisplayName: "svc",
            keyShares: "3",
            keyThreshold: "2",
            auditLog: "false",
        };
        const run = await runProgram(cfg, Object.keys(SECRETS));
        await settle(run);
        expect(one(run, "docker:index/container:Container").inputs.ports).toEqual([{ internal: 8200, external: 18200, ip: "127.0.0.2", protocol: "tcp" }]);
        expect(one(run, "command:local:Command", "vault-admin").inputs.environment).toMatchObject({
            APP_POLICY: "svc-read",
            VAULT_ADDR: "http://127.0.0.2:18200",
        });
        expect(one(run, "command:local:Command", "vault-init").inputs.environment).toEqual({
            VAULT_ADDR: "http://127.0.0.2:18200",
            KEY_SHARES: "3",
            KEY_THRESHOLD: "2",
            CONTAINER_NAME: "vault-unit",
            INIT_RECORD_FILE: `${process.env.HOME}/.local/state/vault-stack/init-records/vault-unit.rec`,
            INIT_RECORD_KEY: "fake-password-vault-init-record-key",
        });
        expect(one(run, "vault:index/token:Token").inputs).toMatchObject({ ttl: "24h", displayName: "svc" });
        expect(run.resources.some((r) => r.type === "vault:index/audit:Audit")).toBe(false);
    });

    test("extra secret paths are written and readable by the app only when flagged", async () => {
        const extra = JSON.stringify({ "team/app": { fields: { api_key: "fake-x" }, appCanRead: true }, hidden: { fields: { k: "fake-y" } } });
        const run = await runProgram({ ...SECRETS, extraSecrets: extra }, [...Object.keys(SECRETS), "extraSecrets"]);
        await settle(run);
        const names = run.resources.filter((r) => r.type === SECRET).map(kvName);
        expect(names).toEqual(expect.arrayContaining(["team/app", "hidden"]));
        const policy = one(run, "vault:index/policy:Policy").inputs.policy as string;
        expect(policy).toContain('path "secret/data/team/app"');
        expect(policy).not.toContain("hidden");
    });

    test("during preview the unseal step only reads the status and gets no keys", async () => {
        const run = await runProgram({ ...SECRETS }, Object.keys(SECRETS), { dryRun: true });
        await settle(run);
        const runs = run.invokes.filter((i) => i.token === "command:local:run");
        expect(runs.map((i) => String(i.inputs.command).split(" ").pop()).sort()).toEqual(["hostcheck", "status"]);
        expect(runs.every((r) => r.inputs.stdin === undefined)).toBe(true);
    });

    test("invalid config fails before any resource is declared, as an error diagnostic", async () => {
        const errors: string[] = [];
        const spy = jest.spyOn(console, "error").mockImplementation((m: unknown) => void errors.push(String(m)));
        try {
            const run = await runProgram({ ...SECRETS, keyThreshold: "9" }, Object.keys(SECRETS));
            await settle(run);
            expect(run.resources).toEqual([]);
            expect(run.outputs).toEqual({});
            expect(run.pulumi.log.hasErrors()).toBe(true);
        } finally {
            spy.mockRestore();
        }
    });
});
