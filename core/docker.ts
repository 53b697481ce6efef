import { execFileSync, spawnSync } from "child_process";
import * as net from "net";
import { NO_DOCKER, portTaken, storageSwitch } from "./messages";
import { STORAGE_LABEL, hostAddress } from "./names";

// What the host's Docker engine and network say, through the real `docker` client.

/** Run the docker client; its stdout, or undefined when it fails. */
export function docker(args: string[], timeoutMs = 20_000): string | undefined {
    try {
        return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, env: process.env });
    } catch {
        return undefined;
    }
}

/**
 * Fail early, with the next command, when the Docker engine does not answer. A refresh against a
 * stopped engine would read every Docker object as gone and drop it from the state.
 */
export function ensureDocker(): void {
    const v = docker(["info", "--format", "{{.ServerVersion}}"]);
    if (v === undefined || v.trim() === "") {
        throw new Error(NO_DOCKER);
    }
}

/** Whether the container exists and runs. */
export function containerRunning(name: string): boolean {
    return docker(["inspect", "--format", "{{.State.Running}}", name])?.trim() === "true";
}

/** Whether the image is on the host, pulling it once if not. */
export function imageAvailable(image: string): boolean {
    return docker(["image", "inspect", image]) !== undefined || docker(["pull", image], 60_000) !== undefined;
}

/** What the container's own log says, for the errors the playbook lists (permissions above all). */
export function containerHint(name: string | undefined): string {
    if (!name) return "";
    // The container's stderr arrives on the client's stderr: read both streams.
    const r = spawnSync("docker", ["logs", "--tail", "30", name], { encoding: "utf8", timeout: 20_000 });
    const logs = `${r.stdout ?? ""}${r.stderr ?? ""}`;
    const notWritable = /vault-stack: the server runs as [^\n]*/.exec(logs);
    if (notWritable !== null) {
        return ` The container log says: "${notWritable[0]}".`;
    }
    if (/permission denied/i.test(logs)) {
        return ` The container log says "permission denied": the data or logs volume is not writable by the image's vault user (the program runs chown on start, so check that the image has a 'vault' user and 'docker-entrypoint.sh': \`docker logs ${name}\`).`;
    }
    if (/No such container/i.test(logs)) {
        return ` The container ${name} does not exist: \`npm run up\` recreates it.`;
    }
    return ` Its log: \`docker logs ${name}\`.`;
}

/** Whether something accepts TCP connections on the address. */
export function portAnswers(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const sock = net.connect({ host, port, timeout: 1000 });
        sock.once("connect", () => {
            sock.destroy();
            resolve(true);
        });
        sock.once("error", () => resolve(false));
        sock.once("timeout", () => {
            sock.destroy();
            resolve(false);
        });
    });
}

/**
 * Before the container is created or replaced: the engine answers, the API port is free unless
 * this stack's own container holds it, and an existing data volume holds the storage the
 * settings name. Throws the operator's next step.
 */
export async function checkHost(bindAddress: string, port: number, container: string, storage?: { volume: string; kind: string }): Promise<void> {
    ensureDocker();
    if (storage !== undefined) {
        // A data volume keeps the storage it was made with: a switch would read it as empty (and
        // initialise again) or not at all. Volumes without the label hold file storage.
        const label = docker(["volume", "inspect", "--format", `{{ index .Labels "${STORAGE_LABEL}" }}`, storage.volume]);
        const have = label === undefined ? undefined : label.trim() === "" || label.trim() === "<no value>" ? "file" : label.trim();
        if (have !== undefined && have !== storage.kind) throw new Error(storageSwitch(storage.volume, have, storage.kind));
    }
    if (!containerRunning(container) && (await portAnswers(hostAddress(bindAddress), port))) {
        throw new Error(portTaken(port, bindAddress));
    }
}
