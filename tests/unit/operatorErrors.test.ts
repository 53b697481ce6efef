import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { ensureDocker, portAnswers } from "../../core/docker";
import { vaultApi } from "../../core/vault/client";
import { unsealTarget } from "../../cli/unseal";
import { dfUsePercent, diskWarning, mask, tokenTtlWarning } from "../../cli/verify";

// The operator-facing messages that need no server: each names the next command to run.

test("no Docker engine: the message names the commands that start it", () => {
    // The real client, pointed at a socket where no engine listens.
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${path.join(os.tmpdir(), "no-engine-here.sock")}`;
    try {
        expect(() => ensureDocker()).toThrow("no Docker engine answers (is dockerd running?): `npm run setup` starts it, or `sudo systemctl start docker`");
    } finally {
        if (saved === undefined) delete process.env.DOCKER_HOST;
        else process.env.DOCKER_HOST = saved;
    }
});

describe("addresses", () => {
    let server: http.Server;
    let port: number;
    beforeAll(async () => {
        server = http.createServer((_req, res) => res.end("{}"));
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        port = (server.address() as AddressInfo).port;
    });
    afterAll(() => server.close());

    test("https:// against the plain listener says to use http://", async () => {
        await expect(vaultApi(`https://127.0.0.1:${port}`, "GET", "/v1/sys/health")).rejects.toThrow(
            `https://127.0.0.1:${port} answered plain HTTP to an HTTPS request: with tls_disable = 1 the address is http://, not https://`,
        );
    });

    test("nothing listening says to check the container and how to recreate it", async () => {
        // A port that was just free: bind and release it (fetch refuses well-known bad ports such as 1).
        const probe = http.createServer();
        await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
        const closed = (probe.address() as AddressInfo).port;
        await new Promise<void>((r) => probe.close(() => r()));
        await expect(vaultApi(`http://127.0.0.1:${closed}`, "GET", "/v1/sys/health")).rejects.toThrow(
            `nothing answers at http://127.0.0.1:${closed} (ECONNREFUSED): is the container running?`,
        );
    });

    test("portAnswers tells a taken port from a free one", async () => {
        expect(await portAnswers("127.0.0.1", port)).toBe(true);
        expect(await portAnswers("127.0.0.1", 1)).toBe(false);
    });
});

test("verify masks values to their length", () => {
    expect(mask("fake-secret")).toBe("****(11)");
});

test("unseal sends keys to the stack's own address, not to an exported VAULT_ADDR; --address overrides", () => {
    const saved = process.env.VAULT_ADDR;
    process.env.VAULT_ADDR = "http://127.0.0.1:1";
    try {
        expect(unsealTarget("http://127.0.0.1:8200", undefined)).toBe("http://127.0.0.1:8200");
        expect(unsealTarget("http://127.0.0.1:8200", "http://127.0.0.1:8300")).toBe("http://127.0.0.1:8300");
        expect(unsealTarget(undefined, undefined)).toBeUndefined();
    } finally {
        if (saved === undefined) delete process.env.VAULT_ADDR;
        else process.env.VAULT_ADDR = saved;
    }
});

describe("verify's warnings", () => {
    test.each([
        [72_000, 2_592_000, true],
        [259_200, 2_592_000, false],
        [2_592_000, 2_592_000, false],
        [10, 0, false],
    ])("ttl %p of %p warns: %p", (ttl, creation, warns) => {
        expect(tokenTtlWarning(ttl, creation) !== undefined).toBe(warns);
    });

    test("the TTL warning says what to do", () => {
        expect(tokenTtlWarning(100, 2000)).toMatch(/^less than 10% of its TTL left \(100s of 2000s\): renew it/);
    });

    test("df -P output gives the use%", () => {
        const df = "Filesystem     1024-blocks    Used Available Capacity Mounted on\n/dev/sda1        1000000  930000     70000      93% /vault/logs\n";
        expect(dfUsePercent(df)).toBe(93);
        expect(dfUsePercent("")).toBeUndefined();
    });

    test("a nearly full logs volume names the rotation commands", () => {
        expect(diskWarning(89, "vault-x")).toBeUndefined();
        expect(diskWarning(93, "vault-x")).toContain(
            "`docker exec vault-x mv /vault/logs/audit.log /vault/logs/audit.log.1 && docker kill --signal=HUP vault-x`",
        );
    });
});
