import { adminTokenLapsed, generateRootInProgress, rootTokenRetired } from "../messages";
import { ADMIN_POLICY, ADMIN_TOKEN_NAME, ADMIN_TOKEN_PERIOD } from "../names";
import { ApiResult, apiErrors, vaultApi } from "./client";
import { NextKey, Say } from "./seal";

// The program's own admin identity. The one-time bootstrap (with the root token) writes a policy
// covering exactly what the stack manages and a token role for the app token, creates an orphan
// periodic admin token with that policy, and revokes the root token. Every update renews the
// admin token; `npm run generate-root` makes a short-lived root token from unseal keys when the
// admin identity must be made again.

/** What the admin identity covers: the names the stack manages. */
export interface AdminSpec {
    /** The KV v2 mount path. */
    readonly kvMount: string;
    /** The app's read policy. */
    readonly appPolicy: string;
    /** The token role app tokens are created through. */
    readonly appRole: string;
    /** The audit device's path. */
    readonly auditPath: string;
    /** The app token's period, set on the role (a non-root token cannot ask for one itself). */
    readonly appTokenPeriod?: string;
    /** Raft storage: the admin token may take and install snapshots (`npm run backup` / `restore`). @default false */
    readonly raftSnapshots?: boolean;
}

/** What the bootstrap prints and the state keeps (secret as a whole). */
export interface AdminRecord {
    readonly admin_token: string;
    readonly accessor: string;
    /** The spec the identity was made for, to tell when it has to be made again. */
    readonly spec: AdminSpec;
}

/** The HCL of the admin policy: exactly the paths an update, refresh or destroy of the stack touches. */
export function renderAdminPolicy(spec: AdminSpec): string {
    const kv = spec.kvMount;
    const rules: [string, string[], string][] = [
        [`sys/mounts/${kv}`, ["create", "read", "update"], "the KV v2 mount: create, read back, import"],
        [`sys/mounts/${kv}/tune`, ["read", "update"], "its tuning"],
        ["sys/mounts", ["read"], "the mount table (read only)"],
        [`sys/internal/ui/mounts/${kv}/*`, ["read"], "the KV version check before each secret"],
        [`${kv}/data/*`, ["create", "read", "update"], "the secrets"],
        [`${kv}/metadata/*`, ["read", "list"], "their metadata and list"],
        ["sys/audit", ["read", "sudo"], "the audit device table"],
        [`sys/audit/${spec.auditPath}`, ["create", "read", "update", "delete", "sudo"], "the file audit device"],
        [`sys/policies/acl/${spec.appPolicy}`, ["create", "read", "update", "delete"], "the app policy"],
        [`sys/policy/${spec.appPolicy}`, ["create", "read", "update", "delete"], "the app policy (legacy path)"],
        [`auth/token/roles/${spec.appRole}`, ["read"], "the app token role (read only)"],
        [`auth/token/create/${spec.appRole}`, ["create", "update"], "app tokens, through the role"],
        ["auth/token/create", ["create", "update"], "the provider's child tokens (a subset of this policy)"],
        ["auth/token/lookup-accessor", ["update"], "reading the app token"],
        ["auth/token/revoke-accessor", ["update"], "revoking the app token"],
        ["auth/token/lookup", ["update"], "looking a token up"],
    ];
    if (spec.raftSnapshots === true) {
        rules.push(
            ["sys/storage/raft/snapshot", ["read", "update"], "Raft snapshots: take one (npm run backup), restore one of this cluster"],
            ["sys/storage/raft/snapshot-force", ["update"], "restore a Raft snapshot of another cluster (npm run restore -- --force)"],
        );
    }
    return rules.map(([p, caps, why]) => `# ${why}\npath "${p}" {\n  capabilities = [${caps.map((c) => `"${c}"`).join(", ")}]\n}\n`).join("\n");
}

/** Throw with the path, status and the server's reason unless the answer is one of `ok`. */
function expectStatus(r: ApiResult, what: string, ok: readonly number[] = [200, 204]): ApiResult {
    if (!ok.includes(r.status)) {
        throw new Error(`${what} answered HTTP ${r.status}: ${apiErrors(r) || "no reason given"}`);
    }
    return r;
}

/** Parse the bootstrap's stdout (the state's record); undefined when it is not a complete one. */
export function parseAdminRecord(text: string | undefined): AdminRecord | undefined {
    try {
        const r = JSON.parse((text ?? "").trim()) as Partial<AdminRecord>;
        if (typeof r.admin_token === "string" && r.admin_token !== "" && typeof r.accessor === "string" && typeof r.spec === "object" && r.spec !== null) {
            return r as AdminRecord;
        }
    } catch {
        // Not a record.
    }
    return undefined;
}

/** Whether two specs name the same things (the admin identity need not change). */
export function sameSpec(a: AdminSpec, b: AdminSpec): boolean {
    const norm = (s: AdminSpec): string => JSON.stringify([s.kvMount, s.appPolicy, s.appRole, s.auditPath, s.appTokenPeriod ?? "", s.raftSnapshots === true]);
    return norm(a) === norm(b);
}

/** Options of a bootstrap. */
export interface BootstrapOptions {
    /** What needs the root token, worded for the refusal message. @default "the admin identity has to be created" */
    readonly why?: string;
    /** The accessor of an admin token this one replaces: revoked with the root token. */
    readonly previousAccessor?: string;
}

/**
 * The one-time bootstrap: with the root token, write the admin policy and the app token role,
 * create the orphan periodic admin token, check it, then revoke the root token (the last act
 * against the server). `why` words what needs the root token, for the refusal message.
 */
export async function bootstrapAdmin(address: string, rootToken: string, spec: AdminSpec, say: Say, opts: BootstrapOptions = {}): Promise<AdminRecord> {
    const why = opts.why ?? "the admin identity has to be created";
    const who = await vaultApi(address, "GET", "/v1/auth/token/lookup-self", { token: rootToken });
    const policies = ((who.json.data as { policies?: string[] } | undefined)?.policies ?? []) as string[];
    if (who.status !== 200 || !policies.includes("root")) {
        throw new Error(rootTokenRetired(who.status === 200 ? 403 : who.status, why));
    }
    const token = rootToken;
    expectStatus(
        await vaultApi(address, "PUT", `/v1/sys/policies/acl/${ADMIN_POLICY}`, { token, body: { policy: renderAdminPolicy(spec) } }),
        `PUT sys/policies/acl/${ADMIN_POLICY}`,
    );
    expectStatus(
        await vaultApi(address, "POST", `/v1/auth/token/roles/${spec.appRole}`, {
            token,
            body: { allowed_policies: [spec.appPolicy], orphan: true, renewable: true, ...(spec.appTokenPeriod ? { token_period: spec.appTokenPeriod } : {}) },
        }),
        `POST auth/token/roles/${spec.appRole}`,
    );
    const created = expectStatus(
        await vaultApi(address, "POST", "/v1/auth/token/create", {
            token,
            body: { policies: [ADMIN_POLICY], no_parent: true, period: ADMIN_TOKEN_PERIOD, renewable: true, display_name: ADMIN_TOKEN_NAME },
        }),
        "POST auth/token/create (the admin token)",
        [200],
    );
    const auth = (created.json.auth ?? {}) as { client_token?: string; accessor?: string };
    if (!auth.client_token || !auth.accessor) {
        throw new Error("POST auth/token/create answered without a token");
    }
    expectStatus(await vaultApi(address, "GET", "/v1/auth/token/lookup-self", { token: auth.client_token }), "the new admin token's lookup-self", [200]);
    say(`created the admin identity (policy ${ADMIN_POLICY}, token role ${spec.appRole}, admin token accessor ${auth.accessor})`);
    if (opts.previousAccessor !== undefined && opts.previousAccessor !== auth.accessor) {
        await revokeAccessor(address, token, opts.previousAccessor);
        say(`revoked the previous admin token (accessor ${opts.previousAccessor})`);
    }
    expectStatus(await vaultApi(address, "POST", "/v1/auth/token/revoke-self", { token }), "revoking the root token (auth/token/revoke-self)");
    say("revoked the root token it was given");
    return { admin_token: auth.client_token, accessor: auth.accessor, spec };
}

/** Renew the admin token (every update); a refused token is named by its accessor with the way out. */
export async function renewAdmin(address: string, record: AdminRecord): Promise<{ ttl: number }> {
    const r = await vaultApi(address, "POST", "/v1/auth/token/renew-self", { token: record.admin_token, body: { increment: ADMIN_TOKEN_PERIOD } });
    if (r.status === 403 || r.status === 401) {
        throw new Error(adminTokenLapsed(record.accessor, r.status));
    }
    expectStatus(r, "renewing the admin token (auth/token/renew-self)", [200]);
    return { ttl: Number((r.json.auth as { lease_duration?: number } | undefined)?.lease_duration ?? 0) };
}

/** Revoke a token by its accessor with a working root token; a token already gone is fine. */
export async function revokeAccessor(address: string, rootToken: string, accessor: string): Promise<void> {
    const r = await vaultApi(address, "POST", "/v1/auth/token/revoke-accessor", { token: rootToken, body: { accessor } });
    expectStatus(r, "revoking the previous admin token (auth/token/revoke-accessor)", [200, 204, 400]);
}

/** Decode the encoded root token of a finished generate-root with its OTP (Vault's `generate-root -decode`). */
export function decodeRootToken(encoded: string, otp: string): string {
    const bytes = Buffer.from(encoded, "base64");
    const pad = Buffer.from(otp, "utf8");
    if (bytes.length !== pad.length) {
        throw new Error(`the encoded root token has ${bytes.length} bytes, the one-time password ${pad.length}: they must match`);
    }
    return Buffer.from(bytes.map((b, i) => b ^ pad[i]!)).toString("utf8");
}

/**
 * Vault's generate-root flow: start an attempt (the server makes the OTP), feed a threshold of
 * unseal keys with its nonce, decode the token. A failure cancels the attempt it started.
 */
export async function generateRoot(address: string, nextKey: NextKey, say: Say): Promise<string> {
    const status = expectStatus(await vaultApi(address, "GET", "/v1/sys/generate-root/attempt"), "GET sys/generate-root/attempt", [200]).json as {
        started?: boolean;
        progress?: number;
        required?: number;
    };
    if (status.started === true) {
        throw new Error(generateRootInProgress(status.progress ?? 0, status.required ?? 0));
    }
    const started = expectStatus(await vaultApi(address, "PUT", "/v1/sys/generate-root/attempt", { body: {} }), "PUT sys/generate-root/attempt", [200])
        .json as { nonce?: string; otp?: string; required?: number };
    const { nonce, otp } = started;
    const required = started.required ?? 0;
    if (!nonce || !otp) {
        throw new Error("the server started a root token generation without a nonce or one-time password");
    }
    try {
        for (let i = 0; ; i++) {
            const key = await nextKey(i, required);
            if (key === undefined) {
                throw new Error(`root token generation needs ${required} unseal keys (${i} given)`);
            }
            const r = await vaultApi(address, "PUT", "/v1/sys/generate-root/update", { body: { key: key.trim(), nonce } });
            if (r.status !== 200) {
                throw new Error(`unseal key ${i + 1} was rejected for root token generation (HTTP ${r.status}); check the keys and start again`);
            }
            const p = r.json as { complete?: boolean; progress?: number; encoded_token?: string; encoded_root_token?: string };
            say(`root token generation ${p.complete ? required : (p.progress ?? 0)}/${required}`);
            if (p.complete) {
                const encoded = p.encoded_token || p.encoded_root_token;
                if (!encoded) throw new Error("the server finished root token generation without an encoded token");
                return decodeRootToken(encoded, otp);
            }
        }
    } catch (err) {
        await vaultApi(address, "DELETE", "/v1/sys/generate-root/attempt").catch(() => undefined);
        throw err;
    }
}

/** Revoke a root token this program minted (revoke-self); one already revoked is fine. */
export async function revokeSelf(address: string, token: string): Promise<void> {
    const r = await vaultApi(address, "POST", "/v1/auth/token/revoke-self", { token });
    expectStatus(r, "revoking the generated root token (auth/token/revoke-self)", [200, 204, 403]);
}
