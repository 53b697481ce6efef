import { fixSet, setting } from "./messages";
import { CLUSTER_PORT, NS, nodeNames } from "./names";
import { isIPv4, jsonList } from "./settings";

// Nodes of a Raft cluster on several Docker hosts: per node, the Docker host its container runs on
// and the address the other nodes (and this host) reach it at. Cluster traffic then goes through
// ports published on those addresses instead of container names on one network.

/** Where node i runs and is reached. */
export interface NodeHost {
    /** Docker host of the node's engine (unix://, tcp://, ssh://); "" for this host's engine. */
    readonly docker: string;
    /** IPv4 address the other nodes and this host reach the node at. */
    readonly address: string;
}

/** Offset of a node's published cluster port from the API port: node i's is port + 100 + i. */
export const CLUSTER_PORT_OFFSET = 100;

/** The command that sets node `i`'s entry. */
export const fixNodeHost = (i: number): string =>
    `\`pulumi config set --path '${NS}:nodeHosts[${i}].address' <IPv4>\`` +
    (i === 0 ? "" : ` and \`pulumi config set --path '${NS}:nodeHosts[${i}].docker' ssh://user@host\``);

const DOCKER_HOST_RE = /^(unix|tcp|ssh):\/\/\S+$/;

/** Parse `nodeHosts` (JSON text of a list of { docker, address }); every problem goes to `errors`. */
export function parseNodeHosts(raw: string | undefined, nodes: number | undefined, errors: string[]): NodeHost[] {
    if (raw === undefined) return [];
    const parsed = jsonList(raw);
    if (parsed === undefined) {
        errors.push(`${setting("nodeHosts")} must be a list of { docker, address }, one per node: set each with ${fixNodeHost(1)}`);
        return [];
    }
    const hosts: NodeHost[] = [];
    parsed.forEach((entry: unknown, i) => {
        const e = (typeof entry === "object" && entry !== null ? entry : {}) as { docker?: unknown; address?: unknown };
        const dockerHost = typeof e.docker === "string" ? e.docker.trim() : "";
        const address = typeof e.address === "string" ? e.address.trim() : "";
        const where = setting(`nodeHosts[${i}]`);
        if (!isIPv4(address)) {
            errors.push(`${where}.address (${address || "missing"}) must be an IPv4 address the other nodes reach node ${i} at: set it with ${fixNodeHost(i)}`);
        } else if (i === 0 && dockerHost !== "") {
            errors.push(`${where}.docker (${dockerHost}) must be empty: node 0 runs on this host's engine, where the program initialises it`);
        } else if (dockerHost !== "" && !DOCKER_HOST_RE.test(dockerHost)) {
            errors.push(
                `${where}.docker (${dockerHost}) must be a Docker host such as unix:///run/docker.sock, tcp://10.0.0.2:2376 or ssh://user@host: set it with ${fixNodeHost(i)}`,
            );
        } else {
            hosts.push({ docker: dockerHost, address });
        }
    });
    if (nodes !== undefined && parsed.length !== nodes) {
        errors.push(
            `${setting("nodeHosts")} (${parsed.length} entries) must have one entry per node, and ${setting("nodes")} is ${nodes}: set ${fixSet("nodes", parsed.length)} or add entries with ${fixNodeHost(parsed.length)}`,
        );
    }
    return hosts;
}

/** Node i's `cluster_addr`: its container on the stack's network, or across hosts its address and published cluster port. */
export function clusterAddrOf(stack: string, i: number, hosts: readonly NodeHost[], port: number): string {
    return hosts.length > 0 ? `http://${hosts[i]!.address}:${port + CLUSTER_PORT_OFFSET + i}` : `http://${nodeNames(stack, i).container}:${CLUSTER_PORT}`;
}
