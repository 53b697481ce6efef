// The adapter the program's command resources run (compiled by tsc to bin/ops/ops/main.js):
//
//   main.js init     one-time `operator init` (or adoption); prints the init record on stdout
//   main.js unseal   unseal with keys read from stdin; prints the seal state
//   main.js status   prints the seal state; never waits long, never needs a secret
//   main.js read     reads KV v2 paths with a token from stdin; prints their data as JSON
//   main.js bootstrap  one-time admin identity with the root token from stdin (or VAULT_STACK_ROOT_TOKEN
//                    from `npm run generate-root`); revokes that root token; prints the admin record
//   main.js renew    renews the admin token (its record on stdin); prints its TTL
//   main.js hostcheck  the Docker engine answers and the API port is free (or this stack's own)
//   main.js init-request  (internal) the init request in a detached child; writes the record
//
// Secrets come in through stdin or the environment only, leave only through stdout, and only as
// the very last act (the command plugin quotes both streams in its error text). Every message on
// stderr is free of secrets. All Vault logic lives in core/vault; this file only adapts.
import { checkHost, containerHint, ensureDocker } from "../core/docker";
import { ancestorNamed, crashAt } from "../core/fault";
import { ROOT_TOKEN_ENV } from "../core/names";
import { AdminSpec, bootstrapAdmin, parseAdminRecord, renewAdmin, sameSpec } from "../core/vault/admin";
import { checkAddress } from "../core/vault/client";
import { initOrAdopt, parseInitOutput } from "../core/vault/init";
import { loadRecord, removeRecord } from "../core/vault/record";
import { RecordPlace, holderKeys, initInChild, initRequestMain } from "./initChild";
import { parseKeys } from "../core/vault/keys";
import { readKvPaths } from "../core/vault/kv";
import { NodeState, sealStatus, unsealStandby, unsealWith, waitForActive, waitForApi, waitForLeader } from "../core/vault/seal";
import { holdersNeeded, notInitialised } from "../core/messages";

const EXIT_USAGE = 2;

/** A message for the operator on stderr (never a secret). */
const say = (msg: string): void => {
    process.stderr.write(`vault-ops: ${msg}\n`);
};

async function readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
}

const env = (name: string): string => (process.env[name] ?? "").trim();

async function ready(address: string): Promise<void> {
    // A stopped engine would otherwise cost the whole wait and be reported as a silent server.
    if (env("CONTAINER_NAME") !== "") ensureDocker();
    await waitForApi(address, Number(env("VAULT_WAIT_SECONDS") || 90), () => containerHint(env("CONTAINER_NAME")));
}

/** The encrypted init record's place, when the program gave one. */
function recordPlace(): RecordPlace | undefined {
    const file = env("INIT_RECORD_FILE");
    const key = env("INIT_RECORD_KEY");
    return file !== "" && key !== "" ? { file, key } : undefined;
}

const modes: Record<string, (address: string) => Promise<string>> = {
    async hostcheck() {
        const volume = env("DATA_VOLUME");
        await checkHost(
            env("BIND_ADDRESS"),
            Number(env("PORT")),
            env("CONTAINER_NAME"),
            volume === "" ? undefined : { volume, kind: env("STORAGE") || "file" },
        );
        return JSON.stringify({ ready: true });
    },
    async init(address) {
        await ready(address);
        const record = recordPlace();
        const shares = Number(env("KEY_SHARES"));
        const threshold = Number(env("KEY_THRESHOLD"));
        const text = await initOrAdopt(
            {
                address,
                shares,
                threshold,
                previousStdout: process.env.PULUMI_COMMAND_STDOUT,
                adoptKeys: parseKeys(process.env.ADOPT_UNSEAL_KEYS),
                adoptToken: env("ADOPT_ROOT_TOKEN"),
                containerName: env("CONTAINER_NAME") || undefined,
                record,
                holders: holderKeys(process.env.KEY_HOLDERS),
            },
            say,
            record === undefined
                ? undefined
                : () => {
                      crashAt("before-init-request", say);
                      return initInChild(address, shares, threshold, record);
                  },
        );
        crashAt("after-record-written", say);
        return text;
    },
    async "init-request"(address) {
        await initRequestMain(address, recordPlace()!, say);
        return "";
    },
    async unseal(address) {
        await ready(address);
        const input = await readStdin();
        const held = heldShares(input);
        if (held !== undefined) {
            // Key-holder custody: no key is here to unseal with; the holders unseal, the update waits for them.
            forgetRecord(held.shares);
            const s = await sealStatus(address);
            if (!s.initialized) throw new Error(notInitialised(address));
            if (s.sealed) {
                // Not a failure of this step: the program stops the update with this message, before any Vault resource.
                const stop = holdersNeeded(address, s.progress, s.t, held.holders, env("STACK_NAME") || "<stack>");
                return JSON.stringify({ reachable: true, initialized: true, sealed: true, shares: s.n, threshold: s.t, progress: s.progress, stop });
            }
            const cluster = await standbys(address, [], held.holders.length);
            say(`unsealed (by ${s.t} of the ${held.holders.length} key holders)`);
            return JSON.stringify({ initialized: true, sealed: false, unsealedNow: false, shares: s.n, threshold: s.t, ...cluster });
        }
        const keys = parseKeys(input);
        if (keys.length === 0) throw new Error("no unseal keys on stdin");
        await unsealClusterNode(address, keys);
        const { status, unsealedNow } = await unsealWith(address, keys, say);
        forgetRecord(keys);
        const cluster = await standbys(address, keys, 0);
        say(unsealedNow ? "unsealed" : "already unsealed");
        return JSON.stringify({ initialized: status.initialized, sealed: status.sealed, unsealedNow, shares: status.n, threshold: status.t, ...cluster });
    },
    async bootstrap(address) {
        await ready(address);
        const spec: AdminSpec = {
            kvMount: env("KV_MOUNT"),
            appPolicy: env("APP_POLICY"),
            appRole: env("APP_ROLE"),
            auditPath: env("AUDIT_PATH"),
            ...(env("APP_TOKEN_PERIOD") === "" ? {} : { appTokenPeriod: env("APP_TOKEN_PERIOD") }),
            ...(env("RAFT") === "1" ? { raft: true } : {}),
        };
        const handed = env(ROOT_TOKEN_ENV);
        const previous = parseAdminRecord(process.env.PULUMI_COMMAND_STDOUT);
        // An update whose names are unchanged (e.g. a new address) keeps the identity it made.
        if (previous !== undefined && handed === "" && sameSpec(previous.spec, spec)) {
            say("the admin identity is unchanged: keeping the admin token");
            return JSON.stringify(previous);
        }
        const root = handed !== "" ? handed : (await readStdin()).trim();
        const record = await bootstrapAdmin(address, root, spec, say, {
            why: previous === undefined ? undefined : "the names the admin identity covers changed (app policy, token role, KV mount or app token period)",
            previousAccessor: previous?.accessor,
        });
        return JSON.stringify(record);
    },
    async renew(address) {
        await ready(address);
        const record = parseAdminRecord(await readStdin());
        if (record === undefined) throw new Error("renew expects the admin record on stdin; the bootstrap's output in the state is damaged");
        const { ttl } = await renewAdmin(address, record);
        say(`renewed the admin token (accessor ${record.accessor}) for ${ttl}s`);
        return JSON.stringify({ renewed: true, ttl, accessor: record.accessor });
    },
    async status(address) {
        try {
            const s = await sealStatus(address);
            return JSON.stringify({ reachable: true, initialized: !!s.initialized, sealed: !!s.sealed, shares: s.n, threshold: s.t, progress: s.progress });
        } catch {
            return JSON.stringify({ reachable: false });
        }
    },
    async read(address) {
        await ready(address);
        let req: { token?: string; mount?: string; paths?: string[] };
        try {
            req = JSON.parse(await readStdin()) as typeof req;
        } catch {
            throw new Error("read expects JSON on stdin: {token, mount, paths}");
        }
        return JSON.stringify(await readKvPaths(address, req.token ?? "", req.mount ?? "", req.paths ?? []));
    },
};

/**
 * After the first node is unsealed: a single server waits until it is active; a Raft cluster
 * waits for its active node, then unseals every standby (`STANDBYS`: their API addresses) with
 * the same keys. A standby that cannot be unsealed is reported and left out: a dead node never
 * blocks an update. Under key-holder custody (no keys here) a sealed standby waits for its holders.
 */
async function standbys(address: string, keys: readonly string[], holders: number): Promise<{ nodes?: NodeState[]; active?: string }> {
    const container = env("CONTAINER_NAME") || undefined;
    const others = env("STANDBYS") === "" ? [] : (JSON.parse(env("STANDBYS")) as string[]);
    if (env("STORAGE") !== "raft") {
        await waitForActive(address, 30, container);
        return {};
    }
    const active = await waitForLeader(address, 60, container);
    say(`the active node is ${active}`);
    const nodes: NodeState[] = [{ address, sealed: false }];
    for (const other of others) {
        let state: NodeState;
        try {
            state =
                holders > 0
                    ? (await sealStatus(other)).sealed
                        ? { address: other, sealed: true, problem: `sealed: ${holders} key holders unseal it with \`npm run unseal\`` }
                        : { address: other, sealed: false }
                    : await unsealStandby(other, keys, say);
        } catch (err) {
            state = { address: other, problem: err instanceof Error ? err.message : String(err) };
        }
        if (state.problem !== undefined) say(`WARNING: the node at ${other} is left out of this update: ${state.problem}`);
        nodes.push(state);
    }
    // The first node serves the update (a standby forwards to the active node), so the
    // provider's address stays the same from one update to the next, whichever node leads.
    return { nodes, active };
}

/**
 * Raft with other nodes: node 0 is unsealed the way any node is, so that one whose data volume
 * was lost (it starts empty, learns from the live nodes through `retry_join` that the cluster is
 * initialised, and stays sealed at progress 0 while the keys complete its join) rejoins too.
 */
async function unsealClusterNode(address: string, keys: readonly string[]): Promise<void> {
    if (env("STORAGE") !== "raft" || env("STANDBYS") === "" || env("STANDBYS") === "[]" || !(await sealStatus(address)).sealed) return;
    const r = await unsealStandby(address, keys, say);
    if (r.problem !== undefined) throw new Error(`the node at ${address} could not be unsealed: ${r.problem}`);
}

/** Key-holder custody's unseal input: `{ holders, shares }` (the encrypted shares), else undefined (a list of keys). */
function heldShares(text: string): { holders: string[]; shares: string[] } | undefined {
    const t = text.trim();
    if (!t.startsWith("{")) return undefined;
    const p = JSON.parse(t) as { holders?: unknown; shares?: unknown };
    if (!Array.isArray(p.holders) || !Array.isArray(p.shares)) throw new Error("unseal expects the key holders and their encrypted shares on stdin");
    return { holders: p.holders.map(String), shares: p.shares.map(String) };
}

/** The state holds the keys (or encrypted shares) it unsealed with: the init record with the same ones has done its job. */
function forgetRecord(keys: readonly string[]): void {
    const record = recordPlace();
    const text = record === undefined ? undefined : loadRecord(record.file, record.key);
    if (text !== undefined && JSON.stringify(parseInitOutput(text).unsealKeys) === JSON.stringify(keys)) {
        removeRecord(record!.file);
        say("the state holds the init's answer: removed the init record");
    }
}

async function main(mode: string | undefined): Promise<number> {
    const run = mode === undefined ? undefined : modes[mode];
    let address: string;
    try {
        address = checkAddress(env("VAULT_ADDR"));
    } catch (err) {
        say((err as Error).message);
        return EXIT_USAGE;
    }
    if (run === undefined) {
        say(`usage: main.js ${Object.keys(modes).join("|")} (got ${mode})`);
        return EXIT_USAGE;
    }
    try {
        // The last act: nothing that can fail comes after the secret reaches stdout.
        process.stdout.write(await run(address));
        // The engine dies before it can save what the command printed.
        if (mode === "init") crashAt("after-command-returns", say, ancestorNamed("pulumi") ?? process.pid);
        return 0;
    } catch (err) {
        say(err instanceof Error ? err.message : String(err));
        return 1;
    }
}

void main(process.argv[2]).then((code) => {
    process.exitCode = code;
});
