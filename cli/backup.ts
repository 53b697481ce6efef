import * as automation from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    BackupTarget,
    CheckedBackup,
    StorageKind,
    backupFileName,
    checkBackup,
    clusterId,
    copyVolumeIn,
    releaseAuditDevice,
    sha256Of,
    storageBackup,
    tokenWorks,
    writeBackup,
} from "../core/backup";
import { containerHint, docker, ensureDocker } from "../core/docker";
import {
    adminTokenNotRestored,
    holdersUnsealAfter,
    needsUnsealed,
    otherCluster,
    problem,
    restoreNeedsKeys,
    restoredKeysRefused,
    storageMismatch,
    volumeNotEmpty,
} from "../core/messages";
import { AUDIT_DEVICE_PATH, AUDIT_FILE, MANAGED_BY, NS, STORAGE_LABEL, physicalNames } from "../core/names";
import { clusterAddrOf, parseNodeHosts } from "../core/nodeHosts";
import { restoreSnapshotIntoVolume } from "../core/raftRestore";
import { Say, waitForActive, waitForApi } from "../core/vault/seal";
import { Sink, configAddress, ensureImage, ensurePortFree, provision, settingsOf } from "./operations";
import { unsealWithKeys } from "./unseal";
import { ROOT, note } from "./workspace";

/** Where backups go unless `--out` names another folder (ignored by git). */
export const BACKUP_DIR = path.join(ROOT, "backups");

/** Options of backup and restore. */
export interface BackupOptions {
    /** The folder backups (and a restore's safety copy) are written to. @default backups/ */
    readonly outDir?: string;
    /** Restore a backup of another cluster. @default false */
    readonly force?: boolean;
    /** Where messages for the operator go (never a secret). @default stderr */
    readonly say?: Say;
    /** Where the engine's output of a restore into a new stack goes. @default stdout */
    readonly onOutput?: Sink;
    /** Where the backup's path, size and sha256 are printed. @default stdout */
    readonly print?: Sink;
}

/** What backup and restore know of the stack's server, from its outputs and the Docker engine. */
interface Server {
    readonly target: BackupTarget;
    /** The unseal keys in the state; empty under key-holder custody. */
    readonly keys: readonly string[];
    readonly threshold: number;
    readonly accessor: string;
}

/** The stack's storage, from the `storage` setting (file until the stack says otherwise). */
export async function storageOf(stack: automation.Stack): Promise<StorageKind> {
    const v = (await settingsOf(stack))("storage") || "file";
    if (v !== "file" && v !== "raft") throw new Error(problem("storage", v, 'must be "file" or "raft"', `set \`pulumi config set ${NS}:storage file\``));
    return v;
}

/** The image a container runs (its ID), so the throwaway copy runs exactly the stack's own. */
function containerImage(container: string): string | undefined {
    return docker(["inspect", "--format", "{{.Image}}", container])?.trim() || undefined;
}

/** The stack's server, or undefined when it has none (never updated, or its container is gone). */
async function serverOf(stack: automation.Stack): Promise<Server | undefined> {
    const o = await stack.outputs();
    const address = o.address?.value as string | undefined;
    const names = physicalNames(stack.name);
    const image = containerImage(names.container);
    if (address === undefined || image === undefined) return undefined;
    return {
        target: { address, token: o.adminToken?.value as string | undefined, container: names.container, dataVolume: names.dataVolume, image },
        keys: (o.unsealKeys?.value ?? []) as string[],
        threshold: Number(o.keyThreshold?.value ?? 3),
        accessor: String(o.adminTokenAccessor?.value ?? ""),
    };
}

/** After the container was restarted: wait for the API and unseal with the state's keys; under key-holder custody say who must. */
async function reopen(stack: automation.Stack, s: Server, what: string, say: Say): Promise<boolean> {
    await waitForApi(s.target.address, 60, () => containerHint(s.target.container));
    if (s.keys.length === 0) {
        say(holdersUnsealAfter(what, stack.name, s.threshold));
        return false;
    }
    await unsealWithKeys(s.target.address, async (i) => s.keys[i]);
    await waitForActive(s.target.address, 30, s.target.container);
    return true;
}

/** A path the operator typed, relative to where they ran npm (npm runs scripts in the project root). */
export function fromOperator(p: string): string {
    return path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

/** Take a backup of a running, unsealed server whose cluster_id is known; returns the file written. */
async function takeBackup(stack: automation.Stack, s: Server, kind: StorageKind, id: string, dir: string, suffix: string, say: Say): Promise<string> {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const created = new Date();
    const out = path.join(dir, backupFileName(stack.name, created, suffix));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vault-stack-backup-"));
    const payload = path.join(tmp, "payload");
    try {
        if (kind === "file") say(`stopping ${s.target.container} for a consistent copy of ${s.target.dataVolume}`);
        let restarted = false;
        try {
            ({ restarted } = await storageBackup(kind, s.target).save(payload));
        } finally {
            // A failed copy started the container again too: unseal it whatever happened.
            if (kind === "file" || restarted) await reopen(stack, s, `the backup ${out} is written`, say);
        }
        await writeBackup(out, payload, { storage: kind, stack: stack.name, cluster_id: id, created: created.toISOString() });
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    return out;
}

/** The server and its cluster_id, or the refusal naming the state it is in; nothing is stopped before. */
async function unsealedServer(stack: automation.Stack, what: "back up" | "restore into"): Promise<{ s: Server; id: string }> {
    const s = await serverOf(stack);
    if (s === undefined) {
        throw new Error(`the stack ${stack.name} has no running server to ${what}: \`npm run up -- --stack ${stack.name}\` creates it`);
    }
    const { id, why } = await clusterId(s.target.address);
    if (id === undefined) throw new Error(needsUnsealed(what, stack.name, s.target.address, why ?? "not ready"));
    return { s, id };
}

/** One line for the operator: the file, its size and sha256 (as `sha256sum` prints it). */
async function describe(file: string): Promise<string> {
    return `${file}  ${fs.statSync(file).size} bytes  sha256 ${await sha256Of(file)}`;
}

/**
 * `npm run backup`: a consistent copy of the stack's data in a `.vsnap` file (mode 0600) named by
 * stack and UTC time; prints its path, size and sha256. Refuses a sealed or unreachable server
 * before stopping anything.
 */
export async function backupCommand(stack: automation.Stack, opts: BackupOptions = {}): Promise<string> {
    const say = opts.say ?? note;
    const kind = await storageOf(stack);
    ensureDocker();
    const { s, id } = await unsealedServer(stack, "back up");
    const file = await takeBackup(stack, s, kind, id, opts.outDir ?? BACKUP_DIR, "", say);
    (opts.print ?? ((t: string) => process.stdout.write(t)))(`${await describe(file)}\n`);
    say("The payload is encrypted by Vault's barrier: it is useless without the unseal keys, and the unseal keys are not in it. Keep both, apart.");
    return file;
}

/**
 * `npm run restore -- FILE`: check the file, refuse a sealed server or another cluster (without
 * --force), keep a safety copy, replace the data, unseal, and check the admin token still works.
 * A stack with no server yet gets one made from the backup and adopted with the handed-in keys.
 */
export async function restoreCommand(stack: automation.Stack, file: string | undefined, opts: BackupOptions = {}): Promise<void> {
    const say = opts.say ?? note;
    if (file === undefined) throw new Error("usage: npm run restore -- FILE [--stack NAME] [--force]: name the .vsnap file to restore");
    const checked = await checkBackup(file);
    const kind = await storageOf(stack);
    if (checked.manifest.storage !== kind) throw new Error(storageMismatch(file, checked.manifest.storage, kind, stack.name));
    ensureDocker();
    if ((await serverOf(stack)) === undefined && (await stack.outputs()).address === undefined) {
        await restoreIntoNewStack(stack, checked, say, opts.onOutput);
        return;
    }
    const { s, id } = await unsealedServer(stack, "restore into");
    const m = checked.manifest;
    if (m.cluster_id !== id && opts.force !== true) throw new Error(otherCluster(file, m.cluster_id, m.stack, id, stack.name));
    const safety = await takeBackup(stack, s, kind, id, opts.outDir ?? BACKUP_DIR, "-before-restore", say);
    say(`safety copy of the current data: ${await describe(safety)}`);
    say(`restoring ${file} (stack ${m.stack}, cluster ${m.cluster_id}, taken ${m.created}) into the stack ${stack.name}`);
    let restarted = kind === "file";
    let open = true;
    try {
        ({ restarted } = await storageBackup(kind, s.target).restore(file, checked.payloadOffset, m.payload.size, opts.force === true));
    } finally {
        if (restarted) {
            open = await reopen(stack, s, `${file} is restored`, say).catch((err: unknown) => {
                throw new Error(restoredKeysRefused(stack.name, safety, err instanceof Error ? err.message : String(err)));
            });
        }
    }
    if (!open) return;
    if (s.target.token !== undefined) {
        const t = await tokenWorks(s.target.address, s.target.token);
        if (!t.ok) throw new Error(adminTokenNotRestored(stack.name, s.accessor, t.status));
    }
    say(`restored ${file} into the stack ${stack.name}: the server is unsealed and the admin token works`);
}

/**
 * A stack that never ran `up`: make its data volume as the program would (physical name, label;
 * the Docker provider adopts a volume of that name), unpack the payload into it, then run the
 * update, which adopts the restored server with the handed-in keys.
 */
async function restoreIntoNewStack(stack: automation.Stack, checked: CheckedBackup, say: Say, onOutput?: Sink): Promise<void> {
    if ((await stack.getAllConfig())[`${NS}:adoptUnsealKeys`] === undefined) throw new Error(restoreNeedsKeys(stack.name));
    const names = physicalNames(stack.name);
    if (docker(["inspect", names.container]) !== undefined) {
        throw new Error(
            `the stack ${stack.name} has no server in its state, but a container ${names.container} exists: remove it (\`docker rm -f ${names.container}\`) or pick another stack`,
        );
    }
    await ensurePortFree(stack);
    await ensureImage(stack);
    const get = await settingsOf(stack);
    const image = get("image");
    const target: BackupTarget = { address: await configAddress(stack), container: names.container, dataVolume: names.dataVolume, image };
    if (docker(["volume", "inspect", names.dataVolume]) !== undefined) {
        const listing = docker(["run", "--rm", "--network", "none", "--entrypoint", "ls", "-v", `${names.dataVolume}:/d:ro`, image, "-A", "/d"]);
        if (listing === undefined || listing.trim() !== "") throw new Error(volumeNotEmpty(stack.name, names.dataVolume));
    } else {
        // Labelled as the program labels it (a Raft volume says what it holds), so the update adopts it.
        const labels = [`${MANAGED_BY.label}=${MANAGED_BY.value}`, ...(checked.manifest.storage === "raft" ? [`${STORAGE_LABEL}=raft`] : [])];
        if (docker(["volume", "create", ...labels.flatMap((l) => ["--label", l]), names.dataVolume]) === undefined) {
            throw new Error(`could not create the data volume ${names.dataVolume}: check \`docker volume ls\` and the engine's log`);
        }
    }
    say(`unpacking ${checked.file} (stack ${checked.manifest.stack}, cluster ${checked.manifest.cluster_id}) into the new volume ${names.dataVolume}`);
    if (checked.manifest.storage === "raft") {
        const errors: string[] = [];
        const hosts = parseNodeHosts(get("nodeHosts") || undefined, undefined, errors);
        if (errors.length > 0) throw new Error(errors.join("; "));
        const clusterAddr = clusterAddrOf(stack.name, 0, hosts, Number(get("port")));
        await restoreSnapshotIntoVolume(target, clusterAddr, checked.file, checked.payloadOffset, checked.manifest.payload.size, say);
    } else {
        await copyVolumeIn(target, checked.file, checked.payloadOffset, checked.manifest.payload.size);
    }
    say(`running the update of the stack ${stack.name}: it adopts the restored server with the handed-in keys (${get("keyThreshold")} or more)`);
    if (get("auditLog") === "false") {
        await provision(stack, onOutput);
    } else {
        // The restored data already has the audit device, which the update cannot create over:
        // the first update leaves it alone (still auditing), then it is released to a second
        // update that creates it as this stack's own.
        // The stack file's own entry (getAllConfig would report Pulumi.yaml's default as if set).
        const explicit = (await stack.workspace.stackSettings(stack.name)).config?.[`${NS}:auditLog`] !== undefined;
        await stack.setConfig(`${NS}:auditLog`, { value: "false" });
        try {
            await provision(stack, onOutput);
        } finally {
            if (explicit) await stack.setConfig(`${NS}:auditLog`, { value: "true" });
            else await stack.removeConfig(`${NS}:auditLog`);
        }
        const o = await stack.outputs();
        if (await releaseAuditDevice(String(o.address?.value), String(o.adminToken?.value), AUDIT_DEVICE_PATH)) {
            say(
                `the backup's audit device ${AUDIT_DEVICE_PATH}/ is handed over to this stack: disabled, and enabled again by a second update (same file, ${AUDIT_FILE})`,
            );
        }
        await provision(stack, onOutput);
    }
    say(
        `restored ${checked.file} into the new stack ${stack.name}. The handed-in keys are now in its state: remove the setting (\`pulumi config rm ${NS}:adoptUnsealKeys\`); nothing stored changes`,
    );
}
