import { spawn } from "child_process";
import * as http from "http";
import { AddressInfo } from "net";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { decryptRecord } from "../../core/vault/record";
import { OPS_MAIN, ensureOpsBuilt } from "../../ops/command";

// The compiled ops adapter as the command resources run it (a child process: argv, environment,
// stdin, stdout, exit code), driven against a scripted HTTP peer. The core's decisions are tested
// in-process in core/vault/*.test.ts; the real server is exercised by tests/e2e.

const SCRIPT = OPS_MAIN;
beforeAll(() => ensureOpsBuilt());

interface Peer {
    initialized: boolean;
    sealed: boolean;
    progress: number;
    calls: string[];
    validKeys: string[];
}

async function withPeer(peer: Peer, fn: (addr: string) => Promise<void>): Promise<void> {
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            peer.calls.push(`${req.method} ${req.url!.split("?")[0]}`);
            const send = (status: number, json: unknown): void => {
                res.writeHead(status, { "Content-Type": "application/json" });
                res.end(JSON.stringify(json));
            };
            const status = (): unknown => ({ initialized: peer.initialized, sealed: peer.sealed, t: 3, n: 5, progress: peer.progress });
            const url = req.url!.split("?")[0];
            if (url === "/v1/sys/health") return send(200, {});
            if (url === "/v1/sys/init" && req.method === "GET") return send(200, { initialized: peer.initialized });
            if (url === "/v1/sys/init" && req.method === "PUT") {
                peer.initialized = true;
                return send(200, { keys_base64: ["fake-k1", "fake-k2", "fake-k3", "fake-k4", "fake-k5"], root_token: "fake-root" });
            }
            if (url === "/v1/sys/seal-status") return send(200, status());
            if (url === "/v1/sys/unseal") {
                const key = (JSON.parse(body) as { key: string }).key;
                if (!peer.validKeys.includes(key)) return send(400, { errors: ["invalid key"] });
                peer.progress += 1;
                if (peer.progress >= 3) {
                    peer.sealed = false;
                    peer.progress = 0;
                }
                return send(200, status());
            }
            if (url === "/v1/auth/token/lookup-self") return send(req.headers["x-vault-token"] === "fake-root" ? 200 : 403, {});
            return send(404, {});
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
        await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
        server.close();
    }
}

function ops(mode: string, env: Record<string, string>, stdin = ""): Promise<{ code: number; signal?: string; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [SCRIPT, mode], { env: { PATH: process.env.PATH!, VAULT_WAIT_SECONDS: "5", ...env } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c) => (stdout += c));
        child.stderr.on("data", (c) => (stderr += c));
        child.on("close", (code, signal) => resolve({ code: code ?? -1, signal: signal ?? undefined, stdout, stderr }));
        child.stdin.end(stdin);
    });
}

const fresh = (): Peer => ({ initialized: false, sealed: true, progress: 0, calls: [], validKeys: ["fake-k1", "fake-k2", "fake-k3", "fake-k4", "fake-k5"] });

describe("ops adapter init", () => {
    test("initialises an uninitialised server once, after checking sys/init, with the configured shares", async () => {
        const peer = fresh();
        await withPeer(peer, async (addr) => {
            const r = await ops("init", { VAULT_ADDR: addr, KEY_SHARES: "5", KEY_THRESHOLD: "3" });
            expect(r.code).toBe(0);
            expect(JSON.parse(r.stdout)).toEqual({
                unseal_keys_b64: ["fake-k1", "fake-k2", "fake-k3", "fake-k4", "fake-k5"],
                root_token: "fake-root",
                source: "init",
                shares: 5,
                threshold: 3,
            });
            expect(peer.calls.filter((c) => c.includes("/sys/init"))).toEqual(["GET /v1/sys/init", "PUT /v1/sys/init"]);
            expect(r.stderr).not.toContain("fake-k");
            expect(r.stderr).not.toContain("fake-root");
        });
    });

    test("never initialises an initialised server: without keys it stops with the adoption commands", async () => {
        const peer = { ...fresh(), initialized: true };
        await withPeer(peer, async (addr) => {
            const r = await ops("init", { VAULT_ADDR: addr, KEY_SHARES: "5", KEY_THRESHOLD: "3" });
            expect(r.code).toBe(1);
            expect(r.stdout).toBe("");
            expect(r.stderr).toContain("is already initialised, but this stack holds no unseal keys for it");
            expect(r.stderr).toContain("pulumi config set --secret vault-stack:adoptUnsealKeys");
            expect(peer.calls).not.toContain("PUT /v1/sys/init");
        });
    });

    test("re-emits the keys it already holds on an update, without calling init", async () => {
        const peer = { ...fresh(), initialized: true };
        const previous = JSON.stringify({ unseal_keys_b64: ["fake-old-1"], root_token: "fake-old-root", source: "init" });
        await withPeer(peer, async (addr) => {
            const r = await ops("init", { VAULT_ADDR: addr, KEY_SHARES: "5", KEY_THRESHOLD: "3", PULUMI_COMMAND_STDOUT: previous });
            expect(r.code).toBe(0);
            expect(r.stdout).toBe(previous);
            expect(peer.calls).not.toContain("PUT /v1/sys/init");
        });
    });

    test("adopts an initialised server with handed-in keys and root token", async () => {
        const peer = { ...fresh(), initialized: true };
        await withPeer(peer, async (addr) => {
            const r = await ops("init", { VAULT_ADDR: addr, ADOPT_UNSEAL_KEYS: "fake-k2,fake-k4,fake-k5", ADOPT_ROOT_TOKEN: "fake-root" });
            expect(r.code).toBe(0);
            expect(JSON.parse(r.stdout)).toMatchObject({ unseal_keys_b64: ["fake-k2", "fake-k4", "fake-k5"], root_token: "fake-root", source: "adopted" });
            expect(peer.sealed).toBe(false);
            expect(peer.calls).not.toContain("PUT /v1/sys/init");
        });
    });

    test("refuses a wrong handed-in root token without echoing it", async () => {
        const peer = { ...fresh(), initialized: true };
        await withPeer(peer, async (addr) => {
            const r = await ops("init", { VAULT_ADDR: addr, ADOPT_UNSEAL_KEYS: "fake-k1,fake-k2,fake-k3", ADOPT_ROOT_TOKEN: "fake-wrong-root" });
            expect(r.code).toBe(1);
            expect(r.stderr).toContain("the handed-in root token was refused (HTTP 403)");
            expect(r.stderr).not.toContain("fake-wrong-root");
        });
    });

    test("an https address against a plain listener, or no listener, gets an actionable message", async () => {
        const r = await ops("init", { VAULT_ADDR: "http://127.0.0.1:1", VAULT_WAIT_SECONDS: "1" });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("Vault did not answer within 1s");
        expect(r.stderr).toContain("is the container running?");
        const bad = await ops("init", { VAULT_ADDR: "127.0.0.1:8200" });
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain("must start with http:// or https://");
    });
});

describe("ops adapter unseal and status", () => {
    test("unseals with keys from stdin and reports progress without key material", async () => {
        const peer = { ...fresh(), initialized: true };
        await withPeer(peer, async (addr) => {
            const r = await ops("unseal", { VAULT_ADDR: addr }, JSON.stringify(["fake-k1", "fake-k2", "fake-k3", "fake-k4", "fake-k5"]));
            expect(r.code).toBe(0);
            expect(JSON.parse(r.stdout)).toEqual({ initialized: true, sealed: false, unsealedNow: true, shares: 5, threshold: 3 });
            expect(peer.calls.filter((c) => c === "POST /v1/sys/unseal")).toHaveLength(3);
            expect(r.stderr).toContain("unseal progress 3/3");
            expect(r.stderr).not.toContain("fake-k");
        });
    });

    test("an already unsealed server is left alone", async () => {
        const peer = { ...fresh(), initialized: true, sealed: false };
        await withPeer(peer, async (addr) => {
            const r = await ops("unseal", { VAULT_ADDR: addr }, '["fake-k1"]');
            expect(r.code).toBe(0);
            expect(JSON.parse(r.stdout)).toEqual({ initialized: true, sealed: false, unsealedNow: false, shares: 5, threshold: 3 });
            expect(peer.calls).not.toContain("POST /v1/sys/unseal");
        });
    });

    test("a wrong key fails naming its position, not its value", async () => {
        const peer = { ...fresh(), initialized: true };
        await withPeer(peer, async (addr) => {
            const r = await ops("unseal", { VAULT_ADDR: addr }, '["fake-k1","fake-bad-key-value","fake-k3"]');
            expect(r.code).toBe(1);
            expect(r.stderr).toContain("unseal key 2 of 3 was rejected (HTTP 400: invalid key)");
            expect(r.stderr).not.toContain("fake-bad-key-value");
        });
    });

    test("status reports the seal state and never fails", async () => {
        const peer = { ...fresh(), initialized: true };
        await withPeer(peer, async (addr) => {
            const r = await ops("status", { VAULT_ADDR: addr });
            expect(JSON.parse(r.stdout)).toEqual({ reachable: true, initialized: true, sealed: true, shares: 5, threshold: 3, progress: 0 });
        });
        const gone = await ops("status", { VAULT_ADDR: "http://127.0.0.1:1" });
        expect(JSON.parse(gone.stdout)).toEqual({ reachable: false });
    });
});

describe("crash-safe init: the encrypted record and the fault points", () => {
    const KEY = "0123456789abcdef".repeat(4);
    let dir: string;
    let record: Record<string, string>;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-stack-record-"));
        record = { INIT_RECORD_FILE: path.join(dir, "vault-t.rec"), INIT_RECORD_KEY: KEY };
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const initEnv = (addr: string, extra: Record<string, string> = {}): Record<string, string> => ({
        VAULT_ADDR: addr,
        KEY_SHARES: "5",
        KEY_THRESHOLD: "3",
        ...record,
        ...extra,
    });
    const puts = (peer: Peer): number => peer.calls.filter((c) => c === "PUT /v1/sys/init").length;
    const waitForFile = async (file: string): Promise<void> => {
        for (let i = 0; i < 100 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
    };

    test("init writes the record encrypted (0600, no key material in it) before printing; only the stack's key opens it", async () => {
        const peer = fresh();
        await withPeer(peer, async (addr) => {
            const r = await ops("init", initEnv(addr));
            expect(r.code).toBe(0);
            const text = fs.readFileSync(record.INIT_RECORD_FILE!, "utf8");
            expect(fs.statSync(record.INIT_RECORD_FILE!).mode & 0o777).toBe(0o600);
            for (const secret of ["fake-k1", "fake-k5", "fake-root"]) expect(text).not.toContain(secret);
            expect(decryptRecord(text, KEY)).toBe(r.stdout);
            expect(() => decryptRecord(text, "f".repeat(64))).toThrow();
        });
    });

    test.each(["before-init-request", "after-init-response", "after-record-written"])(
        "a crash at %s ends, after a plain re-run, with all keys and exactly one init",
        async (point) => {
            const peer = fresh();
            await withPeer(peer, async (addr) => {
                const crashed = await ops("init", initEnv(addr, { VAULT_STACK_FAULT: point }));
                expect(crashed.signal).toBe("SIGKILL");
                expect(crashed.stdout).toBe("");
                // At after-init-response the detached child (no streams of its own) kills its parent.
                if (point !== "after-init-response") expect(crashed.stderr).toContain(`fault injection: ${point}`);
                if (point !== "before-init-request") {
                    // The detached child outlives its killed parent and finishes the record.
                    await waitForFile(record.INIT_RECORD_FILE!);
                    expect(peer.initialized).toBe(true);
                }
                const again = await ops("init", initEnv(addr));
                expect(again.code).toBe(0);
                const keys = (JSON.parse(again.stdout) as { unseal_keys_b64: string[] }).unseal_keys_b64;
                expect(keys).toEqual(["fake-k1", "fake-k2", "fake-k3", "fake-k4", "fake-k5"]);
                expect(puts(peer)).toBe(1);
                if (point !== "before-init-request") expect(again.stderr).toContain("recovered the keys of this stack's own init");
            });
        },
    );

    test("a record this stack's key does not open is left alone, and adoption is asked for", async () => {
        const peer = fresh();
        await withPeer(peer, async (addr) => {
            expect((await ops("init", initEnv(addr))).code).toBe(0);
            const other = await ops("init", initEnv(addr, { INIT_RECORD_KEY: "f".repeat(64) }));
            expect(other.code).toBe(1);
            expect(other.stderr).toContain("is already initialised, but this stack holds no unseal keys for it");
            expect(fs.existsSync(record.INIT_RECORD_FILE!)).toBe(true);
            expect(puts(peer)).toBe(1);
        });
    });

    test("the unseal step removes the record once it unseals with the record's keys, and only then", async () => {
        const peer = fresh();
        await withPeer(peer, async (addr) => {
            const init = await ops("init", initEnv(addr));
            const keys = (JSON.parse(init.stdout) as { unseal_keys_b64: string[] }).unseal_keys_b64;
            expect((await ops("unseal", { VAULT_ADDR: addr, ...record }, JSON.stringify(keys.slice(1, 4).concat(keys[0]!)))).code).toBe(0);
            expect(fs.existsSync(record.INIT_RECORD_FILE!)).toBe(true);
            expect((await ops("unseal", { VAULT_ADDR: addr, ...record }, JSON.stringify(keys))).code).toBe(0);
            expect(fs.existsSync(record.INIT_RECORD_FILE!)).toBe(false);
        });
    });
});
