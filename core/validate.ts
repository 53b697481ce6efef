import { ExtraSecret, parseExtraSecrets } from "./extraSecrets";
import { KeyHolder, fixHolder, parseKeyHolders } from "./keyHolders";
import { NodeHost, parseNodeHosts } from "./nodeHosts";
import { fixRm, fixSet, fixSetSecret, fixSetSecretPath, problem, setting, unknownSetting } from "./messages";
import { MAX_TOKEN_TTL_SECONDS, SETTINGS, SETTING_BY_KEY, Setting } from "./settings";
import { parseKeys } from "./vault/keys";

/** A config value as read from the stack: the raw string, and whether it is stored as a secret. */
export interface RawValue {
    readonly value: string;
    readonly secret: boolean;
}

/** Raw stack config by key (without the namespace); absent keys are missing. */
export type RawConfig = Readonly<Record<string, RawValue | undefined>>;

/** A parsed plain value: text, whole number or flag; undefined when absent or invalid. */
export type Parsed = string | number | boolean | undefined;

/** The parsed values by key, after the per-key loop. */
export type Values = Readonly<Record<string, Parsed>>;

/** Parse a Go duration ("720h", "1h30m", "90s") into seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
    const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?$/.exec(text.trim());
    if (!m || text.trim() === "" || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) {
        return undefined;
    }
    return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** True for IPv4 addresses that only this host can reach (127.0.0.0/8). */
export function isLoopback(address: string): boolean {
    return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/** Check one plain setting's text against its row; returns the parsed value, or undefined with a problem in `errors`. */
export function parseSetting(s: Setting, text: string, errors: string[]): Parsed {
    const fix = s.fix ?? s.default ?? "";
    const v = text.trim();
    switch (s.kind) {
        case "boolean":
            if (v === "true" || v === "false") return v === "true";
            errors.push(problem(s.key, text, "must be true or false", `set ${fixSet(s.key, "true")} or ${fixSet(s.key, "false")}`));
            return undefined;
        case "integer": {
            const n = Number(v);
            if (/^-?\d+$/.test(v) && n >= s.min! && n <= s.max!) return n;
            errors.push(problem(s.key, text, `must be a whole number from ${s.min} to ${s.max}`, `set ${fixSet(s.key, fix)}`));
            return undefined;
        }
        case "duration": {
            const seconds = parseDuration(v);
            if (seconds !== undefined && seconds > 0) return v;
            errors.push(problem(s.key, v, s.allowed!, `set ${fixSet(s.key, fix)}`));
            return undefined;
        }
        default:
            if (s.nonEmpty && v === "") {
                errors.push(problem(s.key, undefined, "is empty", `set ${fixSet(s.key, fix)}`));
                return undefined;
            }
            if ((s.pattern !== undefined && !s.pattern.test(v)) || (s.check !== undefined && !s.check(v))) {
                errors.push(problem(s.key, v, s.allowed!, `set ${fixSet(s.key, fix)}`));
                return undefined;
            }
            return v;
    }
}

/** Check one secret setting: stored encrypted and not empty. Its value is never part of a message. */
export function checkSecret(key: string, raw: RawValue | undefined, errors: string[]): boolean {
    if (raw === undefined) return false;
    if (!raw.secret) {
        errors.push(problem(key, undefined, "is stored in plain text in the stack file", `store it encrypted with ${fixSetSecret(key)}`));
        return false;
    }
    if (raw.value.trim() === "") {
        errors.push(problem(key, undefined, "is empty", `set it with ${fixSetSecret(key)}`));
        return false;
    }
    return true;
}

/** The per-key loop: unknown keys, then every row of the table. Returns the parsed plain values and the supplied secrets. */
export function parseAll(raw: RawConfig, errors: string[]): { values: Values; supplied: Set<string> } {
    for (const key of Object.keys(raw)) {
        if (!SETTING_BY_KEY.has(key))
            errors.push(
                unknownSetting(
                    key,
                    SETTINGS.map((s) => s.key),
                ),
            );
    }
    const values: Record<string, Parsed> = {};
    const supplied = new Set<string>();
    for (const s of SETTINGS) {
        if (s.kind === "secret") {
            if (checkSecret(s.key, raw[s.key], errors)) supplied.add(s.key);
        } else if (s.kind !== "secretMap" && s.kind !== "list") {
            const text = raw[s.key]?.value ?? s.default;
            values[s.key] = text === undefined ? undefined : parseSetting(s, text, errors);
        }
    }
    return { values, supplied };
}

// The cross-field rules: each sees the parsed values and adds its problems. A rule stays quiet
// when a value it needs was already reported as invalid.

/** keyThreshold within keyShares, and at least 2 when there is more than one share. */
export function thresholdRule(v: Values, errors: string[]): void {
    const shares = v.keyShares as number | undefined;
    const threshold = v.keyThreshold as number | undefined;
    if (shares === undefined || threshold === undefined) return;
    const fix = `set ${fixSet("keyThreshold", Math.min(3, shares))}`;
    if (threshold > shares) {
        errors.push(problem("keyThreshold", String(threshold), `is larger than ${setting("keyShares")} (${shares})`, fix));
    } else if (shares > 1 && threshold < 2) {
        errors.push(
            problem(
                "keyThreshold",
                String(threshold),
                `must be at least 2 when ${setting("keyShares")} (${shares}) is more than 1, or one share opens everything`,
                fix,
            ),
        );
    }
}

/** A non-loopback bind publishes plain HTTP beyond this host: refused unless allowInsecureBind. */
export function bindRule(v: Values, errors: string[]): void {
    const bind = v.bindAddress as string | undefined;
    if (bind === undefined || isLoopback(bind) || v.allowInsecureBind !== false) return;
    errors.push(
        problem(
            "bindAddress",
            bind,
            "publishes Vault beyond this host while TLS is off, so tokens and unseal keys would cross the network in clear text",
            `set ${fixSet("bindAddress", "127.0.0.1")} (reach it through a tunnel such as Tailscale), or accept the risk with ${fixSet("allowInsecureBind", "true")}`,
        ),
    );
}

/** A token TTL over Vault's maximum needs a period. */
export function ttlRule(v: Values, errors: string[]): void {
    const ttl = v.appTokenTtl as string | undefined;
    if (ttl === undefined || parseDuration(ttl)! <= MAX_TOKEN_TTL_SECONDS || v.appTokenPeriod !== undefined) return;
    errors.push(
        problem(
            "appTokenTtl",
            ttl,
            "is longer than Vault's maximum token TTL of 768h",
            `set ${fixSet("appTokenTtl", "720h")}, or make the token periodic with ${fixSet("appTokenPeriod", "720h")}`,
        ),
    );
}

/** The required secrets, unless dev placeholders stand in for them. */
export function requiredSecretsRule(raw: RawConfig, v: Values, errors: string[]): void {
    if (v.devPlaceholders === true) return;
    for (const s of SETTINGS) {
        if (s.required && raw[s.key] === undefined) errors.push(problem(s.key, undefined, "is missing", `set it with ${fixSetSecret(s.key)}`));
    }
}

/**
 * Adoption needs the keys (at least threshold of them); a root token is optional (without one the
 * program makes a short-lived one from the keys), but never handed in alone.
 */
export function adoptRule(raw: RawConfig, v: Values, supplied: ReadonlySet<string>, errors: string[]): void {
    const keys = supplied.has("adoptUnsealKeys");
    if (!keys && supplied.has("adoptRootToken")) {
        errors.push(
            problem(
                "adoptUnsealKeys",
                undefined,
                "is missing: adopting an initialised server needs its unseal keys (the root token alone cannot unseal it)",
                `set it with ${fixSetSecret("adoptUnsealKeys")}`,
            ),
        );
    }
    const threshold = v.keyThreshold as number | undefined;
    if (keys && threshold !== undefined) {
        const n = parseKeys(raw.adoptUnsealKeys!.value).length;
        if (n < threshold) {
            errors.push(
                problem(
                    "adoptUnsealKeys",
                    undefined,
                    `holds ${n} key(s) but the threshold is ${threshold}`,
                    `hand in at least ${threshold}, separated by commas, with ${fixSetSecret("adoptUnsealKeys")}`,
                ),
            );
        }
    }
}

/** The extra paths: stored encrypted, then parsed. */
export function extraSecretsRule(raw: RawConfig, errors: string[]): Record<string, ExtraSecret> {
    const r = raw.extraSecrets;
    if (r !== undefined && !r.secret) {
        errors.push(
            problem(
                "extraSecrets",
                undefined,
                "holds secret values but is stored in plain text",
                `set each value with ${fixSetSecretPath("extraSecrets.<path>.fields.<field>")}`,
            ),
        );
        return {};
    }
    return parseExtraSecrets(r?.value, errors);
}

/**
 * Key holders: one per share, and not together with adoption (handed-in plaintext keys would be
 * kept in the state, which this mode exists to avoid).
 */
export function keyHoldersRule(raw: RawConfig, v: Values, supplied: ReadonlySet<string>, errors: string[]): KeyHolder[] {
    const holders = parseKeyHolders(raw.keyHolders?.value, errors);
    if (holders.length === 0) return holders;
    const shares = v.keyShares as number | undefined;
    if (shares !== undefined && holders.length !== shares) {
        errors.push(
            problem(
                "keyHolders",
                `${holders.length} holder${holders.length === 1 ? "" : "s"}`,
                `must name one holder per key share, and ${setting("keyShares")} is ${shares}`,
                `set ${fixSet("keyShares", holders.length)} (and ${setting("keyThreshold")} at most that), or add holders with ${fixHolder(holders.length)}`,
            ),
        );
    }
    if (supplied.has("adoptUnsealKeys")) {
        errors.push(
            problem(
                "keyHolders",
                undefined,
                "cannot be combined with adoptUnsealKeys: adoption keeps the handed-in plaintext keys in the state, which key-holder custody exists to avoid",
                `adopt first without key holders (${fixRm("keyHolders")}), then rekey the server to the holders' PGP keys (\`vault operator rekey -init -pgp-keys ...\`)`,
            ),
        );
    }
    return holders;
}

/** Nodes: an odd count (a Raft quorum), and more than one only on Raft storage. */
export function nodesRule(v: Values, errors: string[]): void {
    const nodes = v.nodes as number | undefined;
    if (nodes === undefined) return;
    if (nodes % 2 === 0) {
        errors.push(problem("nodes", String(nodes), "must be 1, 3 or 5: a Raft cluster needs an odd count to keep a quorum", `set ${fixSet("nodes", 3)}`));
    } else if (nodes > 1 && v.storage === "file") {
        errors.push(
            problem(
                "nodes",
                String(nodes),
                `needs ${setting("storage")} raft: file storage serves one server only`,
                `set ${fixSet("storage", "raft")}, or ${fixSet("nodes", 1)}`,
            ),
        );
    }
}

/** Nodes on several Docker hosts: one entry per node, on Raft, and their addresses are published beyond loopback. */
export function nodeHostsRule(raw: RawConfig, v: Values, errors: string[]): NodeHost[] {
    const hosts = parseNodeHosts(raw.nodeHosts?.value, v.nodes as number | undefined, errors);
    if (raw.nodeHosts === undefined) return hosts;
    if (v.storage === "file") {
        errors.push(problem("nodeHosts", undefined, `needs ${setting("storage")} raft: only a Raft cluster spans hosts`, `set ${fixSet("storage", "raft")}`));
    }
    if (v.allowInsecureBind === false) {
        errors.push(
            problem(
                "nodeHosts",
                undefined,
                "publishes each node's plain-HTTP API on its address beyond loopback (cluster traffic itself is TLS)",
                `put the hosts on a private network (e.g. Tailscale) and accept it with ${fixSet("allowInsecureBind", "true")}`,
            ),
        );
    }
    return hosts;
}
