#!/usr/bin/env node
// Init, unseal and status against Vault's HTTP API, run by the program's command resources.
//
//   node vault-ops.js init     one-time `operator init`; prints the keys as JSON on stdout
//   node vault-ops.js unseal   unseal with keys read from stdin (JSON array); prints the status
//   node vault-ops.js status   prints the status; never waits long, never needs a secret
//   node vault-ops.js read     reads KV v2 paths with a token from stdin; prints their data as JSON
//
// Secrets come in through stdin or the environment only, leave only through stdout in init mode,
// and never appear in a message on stderr. Safe to re-run: init never initialises an
// initialised server.
"use strict";

const EXIT_USAGE = 2;

/** Write a message for the operator (never a secret). */
function say(msg) {
    process.stderr.write(`vault-ops: ${msg}\n`);
}

function fail(msg) {
    say(msg);
    process.exit(1);
}

function addr() {
    const a = (process.env.VAULT_ADDR || "").replace(/\/+$/, "");
    if (!/^https?:\/\//.test(a)) {
        say(`VAULT_ADDR (${a || "unset"}) must start with http:// or https://; with tls_disable = 1 it is http://127.0.0.1:8200`);
        process.exit(EXIT_USAGE);
    }
    return a;
}

async function api(method, path, body, token) {
    const headers = { "Content-Type": "application/json" };
    if (token) headers["X-Vault-Token"] = token;
    const res = await fetch(`${addr()}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10000),
    });
    const text = await res.text();
    let json;
    try {
        json = text ? JSON.parse(text) : {};
    } catch {
        json = {};
    }
    return { status: res.status, json };
}

function explainConnectError(err) {
    const cause = err && err.cause;
    const code = (cause && (cause.code || (cause.errors && cause.errors[0] && cause.errors[0].code))) || (err && err.code) || String(err);
    if (String(code).includes("EPROTO") || /wrong version number|HTTP response to HTTPS/i.test(String(err && err.cause))) {
        return `${addr()} does not speak that scheme: with tls_disable = 1 use http://, not https://`;
    }
    return `no answer from ${addr()} (${code}): is the container running? \`docker ps --filter name=vault\`; its log: \`docker logs <container>\``;
}

/** What the container's own log says, for the errors the playbook lists (permissions above all). */
function containerHint() {
    const name = process.env.CONTAINER_NAME;
    if (!name) return "";
    let logs = "";
    try {
        logs = require("child_process").execFileSync("docker", ["logs", "--tail", "30", name], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
        logs = `${err.stdout || ""}${err.stderr || ""}`;
    }
    if (/permission denied/i.test(logs)) {
        return ` The container log says "permission denied": the data or logs volume is not writable by the image's vault user (the program runs chown on start, so check that the image has a 'vault' user and 'docker-entrypoint.sh': \`docker logs ${name}\`).`;
    }
    if (/No such container/i.test(logs)) {
        return ` The container ${name} does not exist: \`npm run up\` recreates it.`;
    }
    return ` Its log: \`docker logs ${name}\`.`;
}

/** Wait until the server answers /v1/sys/health (any status code) or the deadline passes. */
async function waitForApi(seconds) {
    const deadline = Date.now() + seconds * 1000;
    let last;
    while (Date.now() < deadline) {
        try {
            const r = await api("GET", "/v1/sys/health?standbyok=true&sealedcode=200&uninitcode=200");
            if (r.status === 200) return;
            last = `HTTP ${r.status}`;
        } catch (err) {
            last = explainConnectError(err);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    fail(`Vault did not answer within ${seconds}s: ${last}.${containerHint()}`);
}

/**
 * Right after unsealing, the server still sets itself up (mount table, policies) and answers
 * 503 for a moment; wait for the active 200 so the first request of the update is not retried
 * half-done.
 */
async function waitForActive(seconds) {
    const deadline = Date.now() + seconds * 1000;
    let last = "";
    while (Date.now() < deadline) {
        const r = await api("GET", "/v1/sys/health");
        if (r.status === 200) return;
        last = `HTTP ${r.status}`;
        await new Promise((res) => setTimeout(res, 250));
    }
    fail(`the server is unsealed but not active after ${seconds}s (${last}): check \`docker logs ${process.env.CONTAINER_NAME || "<container>"}\``);
}

async function readStdin() {
    const chunks = [];
    for await (const c of process.stdin) chunks.push(c);
    return Buffer.concat(chunks).toString("utf8");
}

function parseKeys(text) {
    const t = (text || "").trim();
    if (t.startsWith("[")) {
        try {
            const arr = JSON.parse(t);
            if (Array.isArray(arr)) return arr.map(String).filter(Boolean);
        } catch {
            // fall through
        }
    }
    return t.split(/[\s,]+/).filter(Boolean);
}

async function sealStatus() {
    const r = await api("GET", "/v1/sys/seal-status");
    return r.json;
}

/** Feed keys until the server is unsealed; report progress without key material. */
async function unsealWith(keys) {
    let s = await sealStatus();
    if (!s.initialized) fail("the server is not initialised yet: run `pulumi up` (it initialises it once)");
    if (!s.sealed) return { unsealedNow: false, status: s };
    const threshold = s.t;
    for (let i = 0; i < keys.length && s.sealed; i++) {
        const r = await api("POST", "/v1/sys/unseal", { key: keys[i] });
        if (r.status !== 200) {
            const reason = (r.json.errors || []).join("; ").replace(/[A-Za-z0-9+/=]{20,}/g, "<redacted>");
            fail(
                `unseal key ${i + 1} of ${keys.length} was rejected (HTTP ${r.status}: ${reason || "no reason given"}); check the keys: \`pulumi stack output --show-secrets unsealKeys\``,
            );
        }
        s = r.json;
        say(`unseal progress ${s.sealed ? s.progress : threshold}/${threshold}`);
    }
    if (s.sealed) {
        fail(`still sealed after ${keys.length} key(s): ${threshold} distinct valid keys are needed`);
    }
    return { unsealedNow: true, status: s };
}

async function init() {
    await waitForApi(Number(process.env.VAULT_WAIT_SECONDS || 90));
    // An update or a re-run of this resource: hand back what the first run captured.
    const previous = (process.env.PULUMI_COMMAND_STDOUT || "").trim();
    if (previous.startsWith("{")) {
        try {
            const prev = JSON.parse(previous);
            if (Array.isArray(prev.unseal_keys_b64) && prev.unseal_keys_b64.length > 0 && prev.root_token) {
                say("already initialised by this stack: keeping the keys it holds");
                process.stdout.write(previous);
                return;
            }
        } catch {
            // not ours: go on as a first run
        }
    }
    const state = await api("GET", "/v1/sys/init");
    if (state.status !== 200) fail(`GET /v1/sys/init answered HTTP ${state.status}`);
    const shares = Number(process.env.KEY_SHARES);
    const threshold = Number(process.env.KEY_THRESHOLD);
    if (!state.json.initialized) {
        const r = await api("PUT", "/v1/sys/init", { secret_shares: shares, secret_threshold: threshold });
        if (r.status !== 200 || !Array.isArray(r.json.keys_base64) || !r.json.root_token) {
            fail(`PUT /v1/sys/init answered HTTP ${r.status}: ${(r.json.errors || []).join("; ")}`);
        }
        say(`initialised with ${shares} key shares, threshold ${threshold}`);
        process.stdout.write(JSON.stringify({ unseal_keys_b64: r.json.keys_base64, root_token: r.json.root_token, source: "init", shares, threshold }));
        return;
    }
    const adoptKeys = parseKeys(process.env.ADOPT_UNSEAL_KEYS);
    const adoptToken = (process.env.ADOPT_ROOT_TOKEN || "").trim();
    if (adoptKeys.length === 0 || !adoptToken) {
        fail(
            `the server at ${addr()} is already initialised, but this stack holds no unseal keys for it. ` +
                "It will NOT be initialised again (that would need its data wiped). Hand in the keys you kept (step 6 of the playbook): " +
                "`pulumi config set --secret vault-stack:adoptUnsealKeys '<key1>,<key2>,<key3>'` and " +
                "`pulumi config set --secret vault-stack:adoptRootToken '<root token>'`, then `pulumi up` again (see docs/operations.md, \"Adopting a server\").",
        );
    }
    const { status } = await unsealWith(adoptKeys);
    await waitForActive(30);
    const who = await api("GET", "/v1/auth/token/lookup-self", undefined, adoptToken);
    if (who.status !== 200) {
        fail(`the handed-in root token was refused (HTTP ${who.status}): check \`vault-stack:adoptRootToken\``);
    }
    say("adopted the initialised server with the handed-in keys");
    process.stdout.write(JSON.stringify({ unseal_keys_b64: adoptKeys, root_token: adoptToken, source: "adopted", shares: status.n, threshold: status.t }));
}

async function unseal() {
    await waitForApi(Number(process.env.VAULT_WAIT_SECONDS || 90));
    const keys = parseKeys(await readStdin());
    if (keys.length === 0) fail("no unseal keys on stdin");
    const { unsealedNow, status } = await unsealWith(keys);
    await waitForActive(30);
    say(unsealedNow ? "unsealed" : "already unsealed");
    process.stdout.write(JSON.stringify({ initialized: status.initialized, sealed: status.sealed, unsealedNow }));
}

async function status() {
    try {
        const s = await sealStatus();
        process.stdout.write(JSON.stringify({ reachable: true, initialized: !!s.initialized, sealed: !!s.sealed, threshold: s.t, progress: s.progress }));
    } catch {
        process.stdout.write(JSON.stringify({ reachable: false }));
    }
}

/** Read existing KV v2 data (for adoption): stdin {token, mount, paths}; a missing path reads as null. */
async function read() {
    await waitForApi(Number(process.env.VAULT_WAIT_SECONDS || 90));
    let req;
    try {
        req = JSON.parse(await readStdin());
    } catch {
        fail("read expects JSON on stdin: {token, mount, paths}");
    }
    const out = {};
    for (const p of req.paths || []) {
        const r = await api("GET", `/v1/${req.mount}/data/${p}`, undefined, req.token);
        if (r.status === 200 && r.json.data && r.json.data.data) {
            out[p] = r.json.data.data;
        } else if (r.status === 404) {
            out[p] = null;
        } else {
            fail(`reading ${req.mount}/${p} answered HTTP ${r.status}: ${(r.json.errors || []).join("; ")}`);
        }
    }
    process.stdout.write(JSON.stringify(out));
}

const modes = { init, unseal, status, read };
const mode = process.argv[2];
if (!modes[mode]) {
    say(`usage: vault-ops.js init|unseal|status|read (got ${mode})`);
    process.exit(EXIT_USAGE);
}
modes[mode]().catch((err) => fail(explainConnectError(err)));
