import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { renderVaultHcl } from "../core/hcl";
import { CONFIG_FILE, CONTAINER_PORT, DATA_DIR, LOGS_DIR, MANAGED_BY, NS, PhysicalNames } from "../core/names";
import { ANY_STATE_HEALTH } from "../core/vault/seal";

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
}

/**
 * Builds the container's start command: fix the ownership of the mounted volumes (a fresh named
 * volume belongs to root; the server runs as the image's `vault` user), then hand over to the
 * image's own entrypoint, which drops privileges.
 */
export function entrypointFor(): string[] {
    return ["/bin/sh", "-c", `chown -R vault:vault ${DATA_DIR} ${LOGS_DIR} && exec docker-entrypoint.sh "$@"`, "vault-entrypoint"];
}

/** Health check that passes for any answering server, sealed or uninitialised included. */
export const HEALTHCHECK_URL = `http://127.0.0.1:${CONTAINER_PORT}${ANY_STATE_HEALTH}`;

/** The Docker network, volumes, image and container that run the Vault server (playbook steps 1 to 4). */
export class VaultServer extends pulumi.ComponentResource {
    /** The bridge network the container is attached to. */
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
        this.network = new docker.Network(
            `${name}-net`,
            { name: n.network, driver: "bridge", labels },
            // Physical names are fixed, so a replacement must remove the old object first.
            { parent: this, deleteBeforeReplace: true },
        );
        this.dataVolume = new docker.Volume(`${name}-data`, { name: n.dataVolume, labels }, { parent: this, retainOnDelete: true, protect: args.protectData });
        this.logsVolume = new docker.Volume(`${name}-logs`, { name: n.logsVolume, labels }, { parent: this, retainOnDelete: true });
        const image = new docker.RemoteImage(`${name}-image`, { name: args.image, keepLocally: true }, { parent: this });

        this.vaultHcl = renderVaultHcl({ apiAddr: args.apiAddr, ui: true });
        this.container = new docker.Container(
            `${name}-container`,
            {
                name: n.container,
                image: image.imageId,
                restart: "unless-stopped",
                mustRun: true,
                entrypoints: entrypointFor(),
                command: ["server", `-config=${CONFIG_FILE}`],
                envs: [`VAULT_ADDR=http://127.0.0.1:${CONTAINER_PORT}`],
                // Docker reports capabilities with the CAP_ prefix; asking in that form keeps refreshes diff-free.
                capabilities: { adds: ["CAP_IPC_LOCK"] },
                ports: [{ internal: CONTAINER_PORT, external: args.port, ip: args.bindAddress, protocol: "tcp" }],
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
