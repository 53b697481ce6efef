import { inventory, runComponent } from "../tests/unit/componentMocks";
import { renderVaultHcl } from "../core/hcl";
import { MANAGED_BY, physicalNames } from "../core/names";
import type * as module from "./vaultServer";

// VaultServer on its own under mocks: the Docker objects it declares and how.

const NAMES = physicalNames("t");
const LABELS = [{ label: MANAGED_BY.label, value: MANAGED_BY.value }];

function server(protectData = true): ReturnType<typeof runComponent<module.VaultServer>> {
    return runComponent((pulumi) => {
        const { VaultServer } = require("./vaultServer") as typeof module;
        return (opts) =>
            new VaultServer(
                "srv",
                {
                    image: pulumi.output("registry.example/vault:9"),
                    names: NAMES,
                    bindAddress: "127.0.0.2",
                    port: 18200,
                    apiAddr: "http://127.0.0.2:18200",
                    protectData,
                },
                opts,
            );
    });
}

describe("VaultServer", () => {
    let run: Awaited<ReturnType<typeof server>>;
    beforeAll(async () => {
        run = await server();
    });

    test("declares exactly its network, two volumes, image and container, each its child", () => {
        expect(inventory(run)).toEqual(
            [
                "vault-stack:docker:VaultServer srv",
                "docker:index/network:Network srv-net",
                "docker:index/volume:Volume srv-data",
                "docker:index/volume:Volume srv-logs",
                "docker:index/remoteImage:RemoteImage srv-image",
                "docker:index/container:Container srv-container",
            ].sort(),
        );
        for (const r of run.resources.slice(1)) expect(run.options(r.name).parent).toBe(run.result);
    });

    test("network and volumes carry the stack's physical names and the managed-by label", () => {
        expect(run.one("docker:index/network:Network").inputs).toEqual({ name: "vault-t-net", driver: "bridge", labels: LABELS });
        expect(run.one("docker:index/volume:Volume", "srv-data").inputs).toEqual({ name: "vault-t-data", labels: LABELS });
        expect(run.one("docker:index/volume:Volume", "srv-logs").inputs).toEqual({ name: "vault-t-logs", labels: LABELS });
        expect(run.one("docker:index/container:Container").inputs.labels).toEqual(LABELS);
    });

    test("fixed physical names: network and container are removed before they are replaced", () => {
        expect(run.options("srv-net").deleteBeforeReplace).toBe(true);
        expect(run.options("srv-container").deleteBeforeReplace).toBe(true);
    });

    test("both volumes are retained on delete; the data volume is protected as asked", () => {
        expect(run.options("srv-data")).toMatchObject({ retainOnDelete: true, protect: true });
        expect(run.options("srv-logs").retainOnDelete).toBe(true);
        expect(run.options("srv-logs").protect).toBeFalsy();
    });

    test("the image is the one asked for, kept locally; the container runs it by ID", () => {
        expect(run.one("docker:index/remoteImage:RemoteImage").inputs).toEqual({ name: "registry.example/vault:9", keepLocally: true });
        expect(run.one("docker:index/container:Container").inputs.image).toBe("sha256:fake");
    });

    test("the port is published on the given address only, to the listener's 8200", () => {
        expect(run.one("docker:index/container:Container").inputs.ports).toEqual([{ internal: 8200, external: 18200, ip: "127.0.0.2", protocol: "tcp" }]);
    });

    test("data and logs volumes are mounted where the configuration and the chown expect them", () => {
        const c = run.one("docker:index/container:Container").inputs;
        expect(c.volumes).toEqual([
            { volumeName: "vault-t-data", containerPath: "/vault/data" },
            { volumeName: "vault-t-logs", containerPath: "/vault/logs" },
        ]);
        // The start command fixes the volumes' ownership (as root), then hands over to the image's entrypoint.
        const [shell, flag, script, argv0] = c.entrypoints as string[];
        expect([shell, flag, argv0]).toEqual(["/bin/sh", "-c", "vault-entrypoint"]);
        expect(script).toContain("chown -R vault:vault /vault/data /vault/logs");
        expect(script).toMatch(/exec docker-entrypoint\.sh "\$@"$/);
        expect(c.networksAdvanced).toEqual([{ name: "vault-t-net", aliases: ["vault"] }]);
    });

    test("the rendered configuration is uploaded read-only with the api address, and the server started on it", () => {
        const c = run.one("docker:index/container:Container").inputs;
        const hcl = renderVaultHcl({ apiAddr: "http://127.0.0.2:18200", ui: true });
        expect(run.result.vaultHcl).toBe(hcl);
        expect(c.uploads).toEqual([{ file: "/vault/stack/vault.hcl", content: hcl, permissions: "0444" }]);
        expect(c.command).toEqual(["server", "-config=/vault/stack/vault.hcl"]);
        expect(c).toMatchObject({ restart: "unless-stopped", mustRun: true, capabilities: { adds: ["CAP_IPC_LOCK"] } });
        expect(c.envs).toContain("VAULT_ADDR=http://127.0.0.1:8200");
    });

    test("the health check asks the listener inside the container; sealed is unhealthy, uninitialised or standby is not", () => {
        const hc = run.one("docker:index/container:Container").inputs.healthcheck as { tests: string[] };
        expect(hc).toEqual({ tests: expect.any(Array), interval: "10s", timeout: "3s", startPeriod: "5s", retries: 3 });
        expect(hc.tests.slice(0, -1)).toEqual(["CMD", "wget", "-q", "-O", "/dev/null"]);
        const url = new URL(hc.tests.at(-1)!);
        expect(`${url.origin}${url.pathname}`).toBe("http://127.0.0.1:8200/v1/sys/health");
        // Vault answers 503 for sealed, 501 for uninitialised and 429 for standby unless told otherwise.
        expect(Object.fromEntries(url.searchParams)).toEqual({ standbyok: "true", uninitcode: "200" });
    });

    test("the container's name is an output", async () => {
        expect(await run.value(run.result.containerName)).toBe("vault-t");
    });
});

test("VaultServer: protectData false leaves the data volume unprotected, still retained", async () => {
    const run = await server(false);
    expect(run.options("srv-data").retainOnDelete).toBe(true);
    expect(run.options("srv-data").protect).toBe(false);
});
