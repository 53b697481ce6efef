import * as automation from "@pulumi/pulumi/automation";
import { docker } from "../core/docker";
import { LOGS_DIR } from "../core/names";
import { vaultApi } from "../core/vault/client";

/** One verification check and its outcome; a warning passes but needs the operator soon. */
export interface Check {
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
    readonly warn?: boolean;
}

/** What the verification needs from the stack's outputs. */
export interface VerifyInputs {
    readonly address: string;
    readonly kvMount: string;
    readonly secretPaths: string[];
    readonly appToken: string;
    /** The stack's admin token, for the list of secret paths (the app token may not list). */
    readonly adminToken?: string;
    /** The container, for the logs volume's free space. */
    readonly containerName?: string;
}

/** Warn when a token has less than this share of its TTL left. */
export const TOKEN_WARN_SHARE = 0.1;
/** Warn when the logs volume is at least this full (a full one makes Vault refuse every request). */
export const DISK_WARN_PERCENT = 90;

/** A warning for a token with little TTL left, or undefined. */
export function tokenTtlWarning(ttl: number, creationTtl: number): string | undefined {
    if (creationTtl <= 0 || ttl >= creationTtl * TOKEN_WARN_SHARE) return undefined;
    return `less than ${TOKEN_WARN_SHARE * 100}% of its TTL left (${ttl}s of ${creationTtl}s): renew it (\`vault token renew\` with the app token) or run \`npm run up\` after it lapses for a new one`;
}

/** The use% of the filesystem in `df -P` output, or undefined. */
export function dfUsePercent(dfOutput: string): number | undefined {
    const m = /\s(\d+)%\s/.exec(dfOutput.trim().split("\n").pop() ?? "");
    return m === null ? undefined : Number(m[1]);
}

/** A warning for a logs volume that is nearly full, or undefined. */
export function diskWarning(usePercent: number, container: string): string | undefined {
    if (usePercent < DISK_WARN_PERCENT) return undefined;
    return `the logs volume is ${usePercent}% full; when it is full the audit device fails and Vault refuses every request: rotate the audit log (docs/operations.md, "Rotating the audit log": \`docker exec ${container} mv /vault/logs/audit.log /vault/logs/audit.log.1 && docker kill --signal=HUP ${container}\`)`;
}

/** Mask a value: its length only. */
export function mask(value: unknown): string {
    return `****(${String(value).length})`;
}

/**
 * The playbook's Verification section: initialised, unsealed, the KV v2 mount, the list of
 * secret paths, a read of each path with the app token (values masked) and the token's TTL left.
 */
export async function verify(v: VerifyInputs): Promise<Check[]> {
    const checks: Check[] = [];
    const add = (name: string, ok: boolean, detail: string): boolean => {
        checks.push({ name, ok, detail });
        return ok;
    };
    let status;
    try {
        status = (await vaultApi(v.address, "GET", "/v1/sys/seal-status")).json;
    } catch (err) {
        add("reachable", false, err instanceof Error ? err.message : String(err));
        return checks;
    }
    add("reachable", true, v.address);
    if (
        !add("initialized", status.initialized === true, status.initialized === true ? "Initialized = true" : "server is not yet initialized: run `npm run up`")
    ) {
        return checks;
    }
    if (
        !add(
            "unsealed",
            status.sealed === false,
            status.sealed === false
                ? "Sealed = false"
                : `Vault is sealed (${String(status.progress)}/${String(status.t)}): run \`npm run unseal\` (or \`npm run up\`)`,
        )
    ) {
        return checks;
    }

    const ui = await vaultApi(v.address, "GET", `/v1/sys/internal/ui/mounts/${v.kvMount}`, { token: v.appToken });
    const mount = (ui.json.data ?? {}) as { type?: string; options?: { version?: string } };
    add(
        "kv mount",
        ui.status === 200 && mount.type === "kv" && mount.options?.version === "2",
        `${v.kvMount}/ type=${String(mount.type)} version=${String(mount.options?.version)} (HTTP ${ui.status})`,
    );

    if (v.adminToken !== undefined) {
        const list = await vaultApi(v.address, "LIST", `/v1/${v.kvMount}/metadata/`, { token: v.adminToken });
        const keys = ((list.json.data as { keys?: string[] } | undefined)?.keys ?? []).map((k) => `${v.kvMount}/${k.replace(/\/$/, "")}`);
        const missing = v.secretPaths.filter((p) => !keys.some((k) => p === k || p.startsWith(`${k}/`)));
        add(
            "secret list",
            list.status === 200 && missing.length === 0,
            missing.length === 0 ? keys.join(", ") : `missing: ${missing.join(", ")} (HTTP ${list.status})`,
        );
    }

    for (const p of v.secretPaths) {
        const rel = p.slice(v.kvMount.length + 1);
        const r = await vaultApi(v.address, "GET", `/v1/${v.kvMount}/data/${rel}`, { token: v.appToken });
        const data = ((r.json.data as { data?: Record<string, unknown> } | undefined)?.data ?? {}) as Record<string, unknown>;
        const fields = Object.entries(data).map(([k, val]) => `${k}=${mask(val)}`);
        add(`read ${p}`, r.status === 200 && fields.length > 0, r.status === 200 ? fields.join(" ") : `HTTP ${r.status} with the app token`);
    }

    const self = await vaultApi(v.address, "GET", "/v1/auth/token/lookup-self", { token: v.appToken });
    const t = (self.json.data ?? {}) as {
        ttl?: number;
        creation_ttl?: number;
        display_name?: string;
        policies?: string[];
        renewable?: boolean;
        orphan?: boolean;
        period?: number;
    };
    const isRoot = (t.policies ?? []).includes("root");
    add(
        "app token",
        self.status === 200 && !isRoot && (t.ttl ?? 0) > 0,
        self.status === 200
            ? `${String(t.display_name)} ttl=${Math.floor((t.ttl ?? 0) / 3600)}h${Math.floor(((t.ttl ?? 0) % 3600) / 60)}m renewable=${String(t.renewable)} orphan=${String(t.orphan)} policies=${(t.policies ?? []).join(",")}${isRoot ? " (ROOT: never give applications the root token)" : ""}`
            : `HTTP ${self.status}: the app token is expired or revoked; \`npm run up\` creates a new one`,
    );
    const ttlWarning = self.status === 200 ? tokenTtlWarning(t.ttl ?? 0, t.creation_ttl ?? 0) : undefined;
    if (ttlWarning !== undefined) checks.push({ name: "app token ttl", ok: true, warn: true, detail: ttlWarning });

    if (v.containerName !== undefined) {
        const use = dfUsePercent(docker(["exec", v.containerName, "df", "-P", LOGS_DIR]) ?? "");
        const warning = use === undefined ? undefined : diskWarning(use, v.containerName);
        checks.push({
            name: "logs volume",
            ok: use !== undefined,
            warn: warning !== undefined,
            detail: use === undefined ? `could not read the free space of ${LOGS_DIR} in ${v.containerName}` : (warning ?? `${use}% used`),
        });
    }
    return checks;
}

/** `npm run verify`: print each check; exit non-zero when any fails. */
export async function verifyCommand(stack: automation.Stack): Promise<void> {
    const o = await stack.outputs();
    if (o.address === undefined) {
        throw new Error(`the stack ${stack.name} has no server yet: run \`npm run up\` first`);
    }
    const checks = await verify({
        address: o.address.value as string,
        kvMount: o.kvMount?.value as string,
        secretPaths: (o.secretPaths?.value ?? []) as string[],
        appToken: o.appToken?.value as string,
        adminToken: o.adminToken?.value as string | undefined,
        containerName: o.containerName?.value as string | undefined,
    });
    for (const c of checks) {
        process.stdout.write(`${c.ok ? (c.warn ? "WARN" : "PASS") : "FAIL"}  ${c.name.padEnd(24)} ${c.detail}\n`);
    }
    const failed = checks.filter((c) => !c.ok);
    process.stdout.write(failed.length === 0 ? `verify: all ${checks.length} checks passed\n` : `verify: ${failed.length} of ${checks.length} checks failed\n`);
    if (failed.length > 0) {
        process.exitCode = 1;
    }
}
