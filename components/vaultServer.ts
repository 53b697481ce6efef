import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { RaftNode, renderVaultHcl } from "../core/hcl";
import { opsCommand } from "../ops/command";
import { CLUSTER_PORT, CONFIG_FILE, CONTAINER_PORT, DATA_DIR, LOGS_DIR, MANAGED_BY, NS, PhysicalNames, STORAGE_LABEL } from "../core/names";

/** Arguments of the Docker side of the Vault server. */
export interface VaultServerArgs {
    /** Docker image of the Vault-compatible server. @default "hashicorp/vault:1.17" */
    readonly image: pulumi.Input<string>;
    /** Physical Docker names; they include the stack so stacks coexist on one host. */
    readonly names: PhysicalNames;
    /** Host address the API port is published on. @default "127.0.0.1" */
    readonly bindAddress: pulumi.Input<string>;
    /** Host port the API is published on. @default 8200 */
    readonly port: pulumi.Input<number>;
    /** Address clients use, rendered as `api_addr`. */
    readonly apiAddr: string;
    /** Protect the data volume against deletion (it is retained on delete in any case). @default true */
    readonly protectData: boolean;
    /** Raft storage of this node (file storage when absent). */
    readonly raft?: RaftNode;
    /** The stack's network when another node made it (nodes after the first); else this server makes it. */
    readonly network?: docker.Network;
    /**
     * A cluster across Docker hosts: the address the other nodes reach this node at (its API is
     * then published there, as `bindAddress`), where its cluster port is published too.
     */
    readonly advertise?: { readonly address: string; readonly clusterPort: number };
    /** The node's Docker host when it is not this host's engine (the host check asks that engine). */
    readonly dockerHost?: string;
}

/** The first words of the start command's message when a non-root server cannot write its volumes. */
export const NOT_WRITABLE = "vault-stack: the server runs as";

/**
 * Builds the container's start command. As root (the official 1.x images): fix the ownership of
 * the mounted volumes (a fresh named volume on a path the image lacks belongs to root; the server
 * runs as the image's `vault` user), then hand over to the image's own entrypoint, which drops
 * privileges. As another user (images that run as non-root): no chown, which would fail; start
 * when the volumes are writable, else stop with a message naming the user and the fix.
 */
export function entrypointFor(): string[] {
    const dirs = `${DATA_DIR} ${LOGS_DIR}`;
    const script = [
        `if [ "$(id -u)" = 0 ]; then chown -R vault:vault ${dirs} || exit 1;`,
        `else for d in ${dirs}; do [ -w "$d" ] || { echo "${NOT_WRITABLE} $(id -un 2>/dev/null || echo user) (uid $(id -u)), not root, and cannot write $d: make the volume writable by that user (docker run --rm -u 0 -v <volume>:/d <image> chown -R $(id -u) /d) or use an image that starts as root" >&2; exit 1; }; done; fi;`,
        `exec docker-entrypoint.sh "$@"`,
    ].join(" ");
    return ["/bin/sh", "-c", script, "vault-entrypoint"];
}

/**
 * Health check that fails while the server is sealed (503), so `docker ps` shows the one state an
 * operator must act on; an uninitialised server (the program initialises it) and a standby count
 * as healthy.
 */
export const HEALTHCHECK_URL = `http://127.0.0.1:${CONTAINER_PORT}/v1/sys/health?standbyok=true&uninitcode=200`;

/** The Docker network, volumes, image and container that run the Vault server (playbook steps 1 to 4). */
export class VaultServer extends pulumi.ComponentResource {
    /** The bridge network the container is attached to (shared by the stack's nodes). */
    public readonly network: docker.Network;
    /** The volume holding the server's file storage; retained on delete. */
    public readonly dataVolume: docker.Volume;
    /** The volume holding the audit log. */
    public readonly logsVolume: docker.Volume;
    /** The server container. */
    public readonly container: docker.Container;
    /** The container's physical name. */
    public readonly containerName: pulumi.Output<string>;
    /** The rendered server configuration. */
    public readonly vaultHcl: string;

    constructor(name: string, args: VaultServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${NS}:docker:VaultServer`, name, {}, opts);

        const n = args.names;
        const labels = [{ ...MANAGED_BY }];
        this.network =
            args.network ??
            new docker.Network(
                `${name}-net`,
                { name: n.network, driver: "bridge", labels },
                // Physical names are fixed, so a replacement must remove the old object first.
                { parent: this, deleteBeforeReplace: true },
            );
        const storage = args.raft === undefined ? "file" : "raft";
        // The engine answers and the API port is free (or held by this stack's own container).
        const hostReady = command.local.runOutput(
            {
                command: opsCommand("hostcheck"),
                environment: pulumi.all([args.bindAddress, args.port]).apply(([bind, port]) => ({
                    VAULT_ADDR: args.apiAddr,
                    BIND_ADDRESS: bind,
                    PORT: String(port),
                    CONTAINER_NAME: n.container,
                    DATA_VOLUME: n.dataVolume,
                    STORAGE: storage,
                    ...(args.dockerHost === undefined || args.dockerHost === "" ? {} : { DOCKER_HOST: args.dockerHost }),
                })),
                logging: "stderr",
            },
            { parent: this },
        ).stdout;

        // The data volume waits for the host check too: a switch of storage stops the update
        // before any volume is made or replaced. Raft volumes say what they hold; file volumes
        // keep the labels they always had.
        this.dataVolume = new docker.Volume(
            `${name}-data`,
            { name: hostReady.apply(() => n.dataVolume), labels: args.raft === undefined ? labels : [...labels, { label: STORAGE_LABEL, value: "raft" }] },
            { parent: this, retainOnDelete: true, protect: args.protectData },
        );
        this.logsVolume = new docker.Volume(`${name}-logs`, { name: n.logsVolume, labels }, { parent: this, retainOnDelete: true });
        const image = new docker.RemoteImage(`${name}-image`, { name: args.image, keepLocally: true }, { parent: this });

        this.vaultHcl = renderVaultHcl({ apiAddr: args.apiAddr, ui: true, ...(args.raft === undefined ? {} : { raft: args.raft }) });
        this.container = new docker.Container(
            `${name}-container`,
            {
                name: n.container,
                image: image.imageId,
                restart: "unless-stopped",
                mustRun: true,
                entrypoints: entrypointFor(),
                command: ["server", `-config=${CONFIG_FILE}`],
                // SKIP_SETCAP: the official entrypoint otherwise runs setcap on every start, which
                // hosts that refuse it (rootless, user-remapped, hardened) turn into a restart
                // loop; with disable_mlock = true the capability is not used anyway.
                envs: [`VAULT_ADDR=http://127.0.0.1:${CONTAINER_PORT}`, "SKIP_SETCAP=true"],
                // Docker reports capabilities with the CAP_ prefix; asking in that form keeps refreshes diff-free.
                capabilities: { adds: ["CAP_IPC_LOCK"] },
                // The published port is known once the host check passed: a taken port stops the
                // update before the container exists, so no half-made container is left behind.
                ports: [
                    { internal: CONTAINER_PORT, external: pulumi.all([hostReady, args.port]).apply(([, p]) => p), ip: args.bindAddress, protocol: "tcp" },
                    // One binding per container port: Docker reports two bindings of one port in
                    // reverse order, which a refresh would read as a change.
                    ...(args.advertise === undefined
                        ? []
                        : [{ internal: CLUSTER_PORT, external: args.advertise.clusterPort, ip: args.advertise.address, protocol: "tcp" }]),
                ],
                volumes: [
                    { volumeName: this.dataVolume.name, containerPath: DATA_DIR },
                    { volumeName: this.logsVolume.name, containerPath: LOGS_DIR },
                ],
                uploads: [{ file: CONFIG_FILE, content: this.vaultHcl, permissions: "0444" }],
                networksAdvanced: [{ name: this.network.name, aliases: ["vault"] }],
                healthcheck: {
                    tests: ["CMD", "wget", "-q", "-O", "/dev/null", HEALTHCHECK_URL],
                    interval: "10s",
                    timeout: "3s",
                    startPeriod: "5s",
                    retries: 3,
                },
                labels,
            },
            { parent: this, deleteBeforeReplace: true },
        );
        this.containerName = this.container.name;

        this.registerOutputs({
            network: this.network,
            dataVolume: this.dataVolume,
            logsVolume: this.logsVolume,
            container: this.container,
        });
    }
}
