/** A small client for the Vault HTTP API calls the operator commands make. */
export interface ApiResult {
    /** HTTP status code. */
    readonly status: number;
    /** Parsed JSON body ({} when empty or not JSON). */
    readonly json: Record<string, unknown>;
}

/** Call the Vault API; a connection failure becomes an error that says what to check. */
export async function vaultApi(address: string, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<ApiResult> {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (opts.token !== undefined) {
        headers["X-Vault-Token"] = opts.token;
    }
    let res: Response;
    try {
        res = await fetch(`${address}${path}`, {
            method,
            headers,
            body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
            signal: AbortSignal.timeout(10_000),
        });
    } catch (err) {
        throw new Error(explainConnectError(address, err));
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
        json = {};
    }
    return { status: res.status, json };
}

/** Turn a fetch failure into the next step for the operator. */
export function explainConnectError(address: string, err: unknown): string {
    const cause = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
    // A refused connection to a name with several addresses arrives as an AggregateError.
    const code = cause?.code ?? cause?.errors?.[0]?.code ?? (err instanceof Error ? err.message : String(err));
    if (address.startsWith("https://") && /EPROTO|wrong version number|packet length/i.test(`${code} ${cause?.message ?? ""}`)) {
        return `${address} answered plain HTTP to an HTTPS request: with tls_disable = 1 the address is http://, not https://`;
    }
    if (code === "ECONNREFUSED" || code === "ECONNRESET") {
        return `nothing answers at ${address} (${code}): is the container running? \`docker ps -a --filter label=managed-by=vault-stack\`; if it is gone, \`npm run up\` recreates it`;
    }
    return `no answer from ${address} (${code}): check the container with \`docker ps -a --filter label=managed-by=vault-stack\` and its log with \`docker logs <name>\``;
}
