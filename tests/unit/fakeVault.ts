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
    /** The parsed JSON body, if any. */
    readonly body?: unknown;
}

/** A scripted answer: a status and a JSON body, or raw text; or hold the request for `delayMs` first. */
export interface Answer {
    readonly status: number;
    readonly json?: unknown;
    readonly text?: string;
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

/** The default routes, after Vault's own answers. */
function route(s: FakeState, c: Call): Answer {
    const denied: Answer = { status: 403, json: { errors: ["permission denied"] } };
    switch (`${c.method} ${c.path}`) {
        case "GET /v1/sys/health": {
            const any = new URLSearchParams(c.query);
            if (!s.initialized) return { status: Number(any.get("uninitcode") ?? 501), json: { initialized: false, sealed: true } };
            if (s.sealed) return { status: Number(any.get("sealedcode") ?? 503), json: { initialized: true, sealed: true } };
            return { status: 200, json: { initialized: true, sealed: false, standby: false } };
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
            return c.token === s.rootToken ? { status: 200, json: { data: { policies: ["root"] } } } : denied;
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
        let raw = "";
        req.on("data", (chunk) => (raw += chunk));
        req.on("end", () => {
            const [path = "", query = ""] = (req.url ?? "").split("?");
            const token = req.headers["x-vault-token"];
            const call: Call = {
                method: req.method ?? "",
                path,
                query,
                token: typeof token === "string" ? token : undefined,
                contentType: req.headers["content-type"],
                body: raw === "" ? undefined : (JSON.parse(raw) as unknown),
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
                if (answer.text !== undefined) {
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
