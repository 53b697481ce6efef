import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BackupTarget, RAFT_SNAPSHOT_FORCE, readPayload } from "./backup";
import { docker, portAnswers } from "./docker";
import { renderVaultHcl } from "./hcl";
import { CONFIG_FILE, CONTAINER_PORT, DATA_DIR, MANAGED_BY, nodeId } from "./names";
import { apiErrors, vaultApi, vaultBytes } from "./vault/client";
import { Say, unsealWith, waitForApi, waitForLeader } from "./vault/seal";

// A Raft snapshot into a new stack's empty node-0 volume, before its first update: a temporary
// one-node server on that volume, under node 0's own container name and Raft ID and cluster
// address, is initialised with one throwaway share, given the snapshot with `snapshot-force`
// (which keeps the running node's membership and brings the original cluster's keyring, so the
// original keys open it from then on), and removed. The update then adopts the volume with the
// handed-in keys, as for file storage.

/** A free TCP port on loopback for the temporary server's API. */
async function freeLoopbackPort(): Promise<number> {
    for (let i = 0; i < 50; i++) {
        const p = 30000 + Math.floor(Math.random() * 30000);
        if (!(await portAnswers("127.0.0.1", p))) return p;
    }
    throw new Error("no free port on 127.0.0.1 for the temporary restore server");
}

/** Restore the snapshot at `offset`/`size` in `file` into the empty volume `t.dataVolume`, as node 0 with `clusterAddr`. */
export async function restoreSnapshotIntoVolume(t: BackupTarget, clusterAddr: string, file: string, offset: number, size: number, say: Say): Promise<void> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vault-stack-restore-"));
    const port = await freeLoopbackPort();
    const address = `http://127.0.0.1:${port}`;
    const hcl = path.join(tmp, "vault.hcl");
    fs.writeFileSync(hcl, renderVaultHcl({ apiAddr: address, ui: false, raft: { nodeId: nodeId(0), clusterAddr, peers: [] } }), { mode: 0o644 });
    fs.chmodSync(tmp, 0o755);
    const started = docker([
        "run",
        "-d",
        "--name",
        t.container,
        "--label",
        `${MANAGED_BY.label}=${MANAGED_BY.value}`,
        "--cap-add",
        "IPC_LOCK",
        "-e",
        "SKIP_SETCAP=true",
        "-p",
        `127.0.0.1:${port}:${CONTAINER_PORT}`,
        "-v",
        `${t.dataVolume}:${DATA_DIR}`,
        "-v",
        `${hcl}:${CONFIG_FILE}:ro`,
        "--user",
        "0",
        "--entrypoint",
        "/bin/sh",
        t.image,
        "-c",
        `chown -R vault:vault ${DATA_DIR} && exec docker-entrypoint.sh server -config=${CONFIG_FILE}`,
    ]);
    if (started === undefined) throw new Error(`could not start the temporary restore server ${t.container} (\`docker logs ${t.container}\`)`);
    try {
        say(`a temporary server ${t.container} on ${t.dataVolume} takes the snapshot`);
        await waitForApi(address, 60);
        // One throwaway share, never written anywhere: the snapshot replaces this keyring.
        const init = await vaultApi(address, "PUT", "/v1/sys/init", { body: { secret_shares: 1, secret_threshold: 1 }, timeoutMs: null });
        if (init.status !== 200) throw new Error(`the temporary server's init answered HTTP ${init.status}: ${apiErrors(init)}`);
        const key = (init.json.keys_base64 as string[])[0]!;
        const root = init.json.root_token as string;
        await unsealWith(address, [key], () => undefined);
        await waitForLeader(address, 60, t.container);
        const body = readPayload(file, offset, size);
        const r = await vaultBytes(address, "POST", RAFT_SNAPSHOT_FORCE, { token: root, body });
        if (r.status !== 200 && r.status !== 204)
            throw new Error(`POST ${RAFT_SNAPSHOT_FORCE} on the temporary server answered HTTP ${r.status}: ${r.errors || "no reason given"}`);
        say("the snapshot is in the volume; the temporary server is removed");
    } finally {
        // Stopped gracefully first: Raft closes its store before the container goes.
        docker(["stop", "-t", "30", t.container], 60_000);
        docker(["rm", "-f", t.container]);
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}
