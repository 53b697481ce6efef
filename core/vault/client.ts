import { badAddress, noAnswer, nothingAnswers, wrongScheme } from "../messages";

/** One answer of the Vault HTTP API. */
export interface ApiResult {
    /** HTTP status code. */
    readonly status: number;
    /** Parsed JSON body ({} when empty or not JSON). */
    readonly json: Record<string, unknown>;
}

/** Options of one API call. */
export interface CallOptions {
    /** The X-Vault-Token to send. */
    readonly token?: string;
    /** A body, sent as JSON. */
    readonly body?: unknown;
    /** Client timeout in milliseconds; null for none (init must never be cut off half-way). @default 10000 */
    readonly timeoutMs?: number | null;
}

/** A failure to reach the server, worded as the operator's next step. */
export class VaultConnectionError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "VaultConnectionError";
    }
}

/** Throw unless the address starts with a scheme. */
export function checkAddress(address: string): string {
    const a = address.replace(/\/+$/, "");
    if (!/^https?:\/\//.test(a)) {
        throw new Error(badAddress(address));
    }
    return a;
}

/** Send one request; a connection failure becomes a VaultConnectionError that says what to check. */
async function send(
    address: string,
    method: string,
    path: string,
    token: string | undefined,
    body: RequestInit["body"],
    contentType: string,
    timeoutMs: number | null | undefined,
): Promise<Response> {
    const base = checkAddress(address);
    const headers: Record<string, string> = { "Content-Type": contentType };
    if (token !== undefined) {
        headers["X-Vault-Token"] = token;
    }
    const timeout = timeoutMs === undefined ? 10_000 : timeoutMs;
    try {
        return await fetch(`${base}${path}`, { method, headers, body, signal: timeout === null ? undefined : AbortSignal.timeout(timeout) });
    } catch (err) {
        throw new VaultConnectionError(explainConnectError(base, err));
    }
}

/** Call the Vault API; a connection failure becomes a VaultConnectionError that says what to check. */
export async function vaultApi(address: string, method: string, path: string, opts: CallOptions = {}): Promise<ApiResult> {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const res = await send(address, method, path, opts.token, body, "application/json", opts.timeoutMs);
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
        json = {};
    }
    return { status: res.status, json };
}

/** A binary answer (a Raft snapshot): the status, the body, and the server's errors when it sent JSON ones. */
export interface BytesResult {
    readonly status: number;
    readonly body: Buffer;
    readonly errors: string;
}

/** Call an API path that sends or answers binary data (Raft snapshots); no client timeout unless given. */
export async function vaultBytes(
    address: string,
    method: string,
    path: string,
    opts: { token?: string; body?: Buffer; timeoutMs?: number | null } = {},
): Promise<BytesResult> {
    const res = await send(address, method, path, opts.token, opts.body, "application/octet-stream", opts.timeoutMs ?? null);
    const body = Buffer.from(await res.arrayBuffer());
    let errors = "";
    if (res.status >= 400) {
        try {
            errors = ((JSON.parse(body.toString("utf8")) as { errors?: string[] }).errors ?? []).join("; ");
        } catch {
            errors = "";
        }
    }
    return { status: res.status, body, errors };
}

/** The server's own error list, joined. */
export function apiErrors(r: ApiResult): string {
    return ((r.json.errors as string[] | undefined) ?? []).join("; ");
}

/** Turn a fetch failure into the next step for the operator. */
export function explainConnectError(address: string, err: unknown): string {
    const cause = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
    // A refused connection to a name with several addresses arrives as an AggregateError.
    const code = cause?.code ?? cause?.errors?.[0]?.code ?? (err instanceof Error ? err.message : String(err));
    if (address.startsWith("https://") && /EPROTO|wrong version number|packet length/i.test(`${code} ${cause?.message ?? ""}`)) {
        return wrongScheme(address);
    }
    if (code === "ECONNREFUSED" || code === "ECONNRESET") {
        return nothingAnswers(address, code);
    }
    return noAnswer(address, code);
}
