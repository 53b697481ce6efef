import * as http from "http";
import { AddressInfo } from "net";

// A small in-process stand-in for the Vault HTTP API (node:http on 127.0.0.1, a free port) that
// records every call. It keeps the state the core reads and changes (initialised, sealed,
// unseal progress, the root token, KV v2 data); a test may script any route's answer instead.

/** One request the fake received. */
export interface Call {
    readonly method: string;
    /** The path without the query. */
    readonly path: string;
    /** The query string without "?", "" when none. */
    readonly query: string;
    /** The X-Vault-Token header, if sent. */
    readonly token?: string;
    readonly contentType?: string;
    /** The parsed JSON body, if any (undefined for a binary body: see `raw`). */
    readonly body?: unknown;
    /** A binary (application/octet-stream) body as received. */
    readonly raw?: Buffer;
}

/** A scripted answer: a status and a JSON body, or raw text or bytes; or hold the request for `delayMs` first. */
export interface Answer {
    readonly status: number;
    readonly json?: unknown;
    readonly text?: string;
    readonly bytes?: Buffer;
    readonly delayMs?: number;
}

/** The server's state the default routes read and change. */
export interface FakeState {
    initialized: boolean;
    sealed: boolean;
    /** Threshold. */
    t: number;
    /** Key shares. */
    n: number;
    progress: number;
    /** The keys the server accepts. */
    validKeys: string[];
    rootToken: string;
    /** KV v2 data at secret/<path>. */
    kv: Record<string, Record<string, string>>;
    /** The reason the server gives for a rejected unseal key. */
    rejectReason: (key: string) => string;
    /** The cluster_id sys/health reports when unsealed. */
    clusterId: string;
    /** The root token a generate-root flow makes (its OTP has the same length). */
    generatedRoot: string;
    /** The keys fed to the generate-root attempt in progress, or undefined when none is. */
    generating?: string[];
    /** Raft storage: the snapshot the server holds (GET sys/storage/raft/snapshot answers it; a POST replaces it). */
    snapshot: Buffer;
}

/** Key shares the fake hands out on init: obviously fake, but long enough to look like base64 keys. */
export const fakeShare = (i: number): string => `fakeKeyShare${i}AAAAAAAAAAAAAAAAAAAAAAAAAAA=`;

/** A running fake. */
export interface FakeVault {
    /** http://127.0.0.1:<port> */
    readonly address: string;
    readonly port: number;
    readonly state: FakeState;
    /** Every request so far, in order. */
    readonly calls: Call[];
    /** Every request so far as "METHOD /path". */
    lines(): string[];
    /** Answer "METHOD /path" with these, in turn, before the default route takes over again (the last one repeats when `sticky`). */
    script(route: string, answers: Answer[], sticky?: boolean): void;
    close(): Promise<void>;
}

/** The default state: initialised and sealed, threshold 3 of 5 fake shares, root token "fake-root". */
export function defaultState(): FakeState {
    return {
        initialized: true,
        sealed: true,
        t: 3,
        n: 5,
        progress: 0,
        validKeys: [1, 2, 3, 4, 5].map(fakeShare),
        rootToken: "fake-root",
        kv: {},
        rejectReason: () => "invalid key",
        clusterId: "fake-cluster-0000-1111",
        generatedRoot: "fake-generated-root-token-00",
        snapshot: Buffer.from([0, 1, 2, 253, 254, 255, 10, 13]),
    };
}

const sealStatus = (s: FakeState): Record<string, unknown> => ({
    type: "shamir",
    initialized: s.initialized,
    sealed: s.sealed,
    t: s.t,
    n: s.n,
    progress: s.progress,
});

/** The one-time password of the fake's generate-root: as long as the token it makes. */
const OTP = (s: FakeState): string => "o".repeat(s.generatedRoot.length);

/** The default routes, after Vault's own answers. */
function route(s: FakeState, c: Call): Answer {
    const denied: Answer = { status: 403, json: { errors: ["permission denied"] } };
    switch (`${c.method} ${c.path}`) {
        case "GET /v1/sys/health": {
            const any = new URLSearchParams(c.query);
            if (!s.initialized) return { status: Number(any.get("uninitcode") ?? 501), json: { initialized: false, sealed: true } };
            if (s.sealed) return { status: Number(any.get("sealedcode") ?? 503), json: { initialized: true, sealed: true } };
            return { status: 200, json: { initialized: true, sealed: false, standby: false, cluster_id: s.clusterId } };
        }
        case "GET /v1/sys/init":
            return { status: 200, json: { initialized: s.initialized } };
        case "PUT /v1/sys/init": {
            if (s.initialized) return { status: 400, json: { errors: ["Vault is already initialized"] } };
            const b = c.body as { secret_shares: number; secret_threshold: number };
            Object.assign(s, { initialized: true, sealed: true, n: b.secret_shares, t: b.secret_threshold, progress: 0 });
            s.validKeys = Array.from({ length: b.secret_shares }, (_, i) => fakeShare(i + 1));
            return { status: 200, json: { keys: s.validKeys.map((k) => `hex-${k}`), keys_base64: s.validKeys, root_token: s.rootToken } };
        }
        case "GET /v1/sys/seal-status":
            return { status: 200, json: sealStatus(s) };
        case "POST /v1/sys/unseal": {
            if (!s.initialized) return { status: 400, json: { errors: ["Vault is not initialized"] } };
            const key = (c.body as { key?: string } | undefined)?.key ?? "";
            if (!s.validKeys.includes(key)) {
                s.progress = 0;
                return { status: 400, json: { errors: [s.rejectReason(key)] } };
            }
            s.progress += 1;
            if (s.progress >= s.t) Object.assign(s, { sealed: false, progress: 0 });
            return { status: 200, json: sealStatus(s) };
        }
        case "GET /v1/auth/token/lookup-self":
            return c.token === s.rootToken || c.token === s.generatedRoot ? { status: 200, json: { data: { policies: ["root"] } } } : denied;
        case "GET /v1/sys/generate-root/attempt":
            return { status: 200, json: { started: s.generating !== undefined, progress: s.generating?.length ?? 0, required: s.t } };
        case "PUT /v1/sys/generate-root/attempt":
            s.generating = [];
            return { status: 200, json: { started: true, nonce: "fake-nonce", otp: OTP(s), required: s.t } };
        case "DELETE /v1/sys/generate-root/attempt":
            s.generating = undefined;
            return { status: 204 };
        case "PUT /v1/sys/generate-root/update": {
            const key = (c.body as { key?: string } | undefined)?.key ?? "";
            if (s.generating === undefined || !s.validKeys.includes(key)) return { status: 400, json: { errors: ["invalid key"] } };
            s.generating.push(key);
            if (s.generating.length < s.t) return { status: 200, json: { complete: false, progress: s.generating.length } };
            s.generating = undefined;
            const otp = Buffer.from(OTP(s));
            const encoded = Buffer.from(Buffer.from(s.generatedRoot).map((b, i) => b ^ otp[i]!)).toString("base64");
            return { status: 200, json: { complete: true, progress: s.t, encoded_token: encoded } };
        }
        case "GET /v1/sys/storage/raft/snapshot":
            return c.token === s.rootToken ? { status: 200, bytes: s.snapshot } : denied;
        case "POST /v1/sys/storage/raft/snapshot":
        case "POST /v1/sys/storage/raft/snapshot-force":
            if (c.token !== s.rootToken) return denied;
            s.snapshot = c.raw ?? Buffer.alloc(0);
            return { status: 204 };
    }
    const kv = /^\/v1\/secret\/data\/(.+)$/.exec(c.path);
    if (c.method === "GET" && kv) {
        if (c.token !== s.rootToken) return denied;
        const data = s.kv[kv[1]!];
        return data === undefined ? { status: 404, json: { errors: [] } } : { status: 200, json: { data: { data, metadata: { version: 1 } } } };
    }
    return { status: 404, json: { errors: [] } };
}

/** Start a fake on a free loopback port; close it after the test. */
export async function startFakeVault(state: Partial<FakeState> = {}): Promise<FakeVault> {
    const s: FakeState = { ...defaultState(), ...state };
    const calls: Call[] = [];
    const scripts = new Map<string, { answers: Answer[]; sticky: boolean }>();
    const held = new Set<NodeJS.Timeout>();
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            const raw = Buffer.concat(chunks);
            const binary = req.headers["content-type"] === "application/octet-stream";
            const [path = "", query = ""] = (req.url ?? "").split("?");
            const token = req.headers["x-vault-token"];
            const call: Call = {
                method: req.method ?? "",
                path,
                query,
                token: typeof token === "string" ? token : undefined,
                contentType: req.headers["content-type"],
                body: raw.length === 0 || binary ? undefined : (JSON.parse(raw.toString("utf8")) as unknown),
                ...(binary ? { raw } : {}),
            };
            calls.push(call);
            const scripted = scripts.get(`${call.method} ${path}`);
            const answer =
                scripted && scripted.answers.length > 0
                    ? scripted.sticky && scripted.answers.length === 1
                        ? scripted.answers[0]!
                        : scripted.answers.shift()!
                    : route(s, call);
            const send = (): void => {
                if (answer.bytes !== undefined) {
                    res.writeHead(answer.status, { "Content-Type": "application/octet-stream" });
                    res.end(answer.bytes);
                } else if (answer.text !== undefined) {
                    res.writeHead(answer.status, { "Content-Type": "text/plain" });
                    res.end(answer.text);
                } else {
                    res.writeHead(answer.status, { "Content-Type": "application/json" });
                    res.end(answer.json === undefined ? "" : JSON.stringify(answer.json));
                }
            };
            if (answer.delayMs === undefined) send();
            else {
                const timer = setTimeout(() => {
                    held.delete(timer);
                    if (!res.destroyed) send();
                }, answer.delayMs);
                held.add(timer);
            }
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    return {
        address: `http://127.0.0.1:${port}`,
        port,
        state: s,
        calls,
        lines: () => calls.map((c) => `${c.method} ${c.path}`),
        script(r, answers, sticky = false) {
            scripts.set(r, { answers: [...answers], sticky });
        },
        close: () =>
            new Promise<void>((r) => {
                held.forEach(clearTimeout);
                server.closeAllConnections();
                server.close(() => r());
            }),
    };
}

/** A loopback address where nothing listens: a port that was just free (bound, then released). */
export async function closedAddress(): Promise<string> {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    return `http://127.0.0.1:${port}`;
}

/** Run each test against a fresh fake: `const fake = useFakeVault(); ... fake().address`. */
export function useFakeVault(state: () => Partial<FakeState> = () => ({})): () => FakeVault {
    let current: FakeVault | undefined;
    beforeEach(async () => {
        current = await startFakeVault(state());
    });
    afterEach(async () => {
        await current?.close();
        current = undefined;
    });
    return () => {
        if (current === undefined) throw new Error("no fake Vault running (useFakeVault outside a test?)");
        return current;
    };
}
