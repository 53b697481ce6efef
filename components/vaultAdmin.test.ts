import { ComponentRun, inventory, runComponent } from "../tests/unit/componentMocks";
import { FAKE_ADMIN, MockOptions, modeOf } from "../tests/unit/mocks";
import { ADMIN_COMMAND } from "../core/names";
import type * as module from "./vaultAdmin";

// VaultAdmin on its own under mocks: the one-time bootstrap command (root token in through stdin,
// admin record out through secret stdout) and the renewal invoke of every update.

type Run = ComponentRun<module.VaultAdmin>;

/** Build a VaultAdmin under mocks. */
function vaultAdmin(opts: MockOptions & { period?: string } = {}): Promise<Run> {
    return runComponent((pulumi) => {
        const { VaultAdmin } = require("./vaultAdmin") as typeof module;
        return (o) =>
            new VaultAdmin(
                "vault",
                {
                    address: pulumi.output("http://127.0.0.1:18200"),
                    rootToken: pulumi.secret("fake-root-token"),
                    spec: { kvMount: "secret", appPolicy: "svc-read", appRole: "vault-stack-app", auditPath: "file", appTokenPeriod: opts.period },
                    containerName: "vault-t",
                },
                o,
            );
    }, opts);
}

describe("VaultAdmin, an update", () => {
    let run: Run;
    beforeAll(async () => {
        run = await vaultAdmin({ period: "24h" });
    });

    test("its one child resource is the bootstrap command, named as generate-root finds it", () => {
        expect(inventory(run)).toEqual(["command:local:Command vault-admin", "vault-stack:vault:VaultAdmin vault"]);
        expect(ADMIN_COMMAND).toBe("vault-admin");
        expect(run.options("vault-admin").parent).toBe(run.result);
    });

    test("the bootstrap: compiled adapter, root token through secret stdin, the names through plain environment", () => {
        const b = run.one("command:local:Command");
        expect(b.inputs.create).toMatch(/bin\/ops\/ops\/main\.js" bootstrap$/);
        expect(b.inputs.update).toBe(b.inputs.create);
        expect(b.inputs).toMatchObject({ stdin: "fake-root-token", logging: "stderr", addPreviousOutputInEnv: true });
        expect(b.secretInputs).toEqual(["stdin"]);
        expect(b.inputs.environment).toEqual({
            VAULT_ADDR: "http://127.0.0.1:18200",
            CONTAINER_NAME: "vault-t",
            KV_MOUNT: "secret",
            APP_POLICY: "svc-read",
            APP_ROLE: "vault-stack-app",
            AUDIT_PATH: "file",
            APP_TOKEN_PERIOD: "24h",
        });
    });

    test("runs once (command lines and stdin ignored, the names not), its stdout is secret; unprotected, so generate-root can replace it", () => {
        expect(run.options("vault-admin")).toMatchObject({
            ignoreChanges: ["create", "update", "stdin", "interpreter", "dir", "logging"],
            additionalSecretOutputs: ["stdout", "stdin"],
        });
        expect(run.options("vault-admin").protect).toBeUndefined();
    });

    test("the admin token is secret; its accessor is not", async () => {
        expect(await run.value(run.result.adminToken)).toBe(FAKE_ADMIN.admin_token);
        expect(await run.pulumi.isSecret(run.result.adminToken)).toBe(true);
        expect(await run.value(run.result.accessor)).toBe(FAKE_ADMIN.accessor);
        expect(await run.pulumi.isSecret(run.result.accessor)).toBe(false);
    });

    test("every update renews the admin token through stdin; the ready address waits for it and stays plain", async () => {
        const renew = run.invokes.filter((i) => i.token === "command:local:run");
        expect(renew.map((i) => modeOf(i.inputs.command))).toEqual(["renew"]);
        expect(JSON.parse(renew[0]!.inputs.stdin as string)).toEqual(FAKE_ADMIN);
        expect(renew[0]!.inputs.environment).toEqual({ VAULT_ADDR: "http://127.0.0.1:18200", CONTAINER_NAME: "vault-t" });
        expect(JSON.stringify([renew[0]!.inputs.command, renew[0]!.inputs.environment])).not.toContain("fake-admin-token");
        expect(await run.value(run.result.readyAddress)).toBe("http://127.0.0.1:18200");
        expect(await run.pulumi.isSecret(run.result.readyAddress)).toBe(false);
    });
});

test("preview renews nothing", async () => {
    const run = await vaultAdmin({ dryRun: true });
    expect(run.invokes.filter((i) => i.token === "command:local:run")).toEqual([]);
    expect(await run.value(run.result.readyAddress)).toBe("http://127.0.0.1:18200");
});
