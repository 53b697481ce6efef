import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { SecretsStore } from "./components/secretsStore";
import { VaultAdmin } from "./components/vaultAdmin";
import { VaultInit } from "./components/vaultInit";
import { VaultServer } from "./components/vaultServer";
import { ConfigError, loadConfig } from "./core/config";
import { CLUSTER_PORT_OFFSET, clusterAddrOf } from "./core/nodeHosts";
import {
    APP_TOKEN_ROLE,
    AUDIT_DEVICE_PATH,
    AUDIT_FILE,
    CONTAINER_PORT,
    KV_MOUNT,
    apiAddress,
    appPolicyName,
    initRecordFile,
    nodeId,
    nodeNames,
} from "./core/names";

/** The program: validated config -> Docker server -> init/unseal -> Vault configuration -> outputs. */
function vaultStack() {
    let loaded;
    try {
        loaded = loadConfig();
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        // An error diagnostic fails the update; returning before any resource is declared means
        // nothing is created or changed, and the operator sees the list, not a stack trace.
        void pulumi.log.error(err.message);
        return {};
    }
    const { config, secrets } = loaded;
    const address = apiAddress(config.nodeHosts[0]?.address ?? config.bindAddress, config.port);

    // One server, or a Raft cluster: node i publishes its API on port + i. On one host the nodes
    // reach each other by container name on the stack's network; across Docker hosts
    // (`nodeHosts`), through ports published on each node's address.
    const stack = pulumi.getStack();
    const raft = config.storage === "raft";
    const hosts = config.nodeHosts;
    const dockerHostOf = (i: number): string => hosts[i]?.docker ?? "";
    // The address this host reaches node i at.
    // Across hosts every node's API is published on its own address (where the others reach it).
    const bindOf = (i: number): string => hosts[i]?.address ?? config.bindAddress;
    const nodeAddress = (i: number): string => apiAddress(bindOf(i), config.port + i);
    const peerApi = (j: number): string =>
        hosts.length > 0 ? `http://${hosts[j]!.address}:${config.port + j}` : `http://${nodeNames(stack, j).container}:${CONTAINER_PORT}`;
    const clusterAddr = (i: number): string => clusterAddrOf(stack, i, hosts, config.port);
    const servers: VaultServer[] = [];
    for (let i = 0; i < config.nodes; i++) {
        const names = nodeNames(stack, i);
        const peers = [...Array(config.nodes).keys()].filter((j) => j !== i).map(peerApi);
        const remote = dockerHostOf(i);
        // A node on another Docker engine: its resources go through a provider for that engine.
        const provider = remote === "" ? undefined : new docker.Provider(`vault-node${i}-docker`, { host: remote });
        servers.push(
            new VaultServer(
                i === 0 ? "vault" : `vault-node${i}`,
                {
                    image: config.image,
                    names,
                    bindAddress: bindOf(i),
                    port: config.port + i,
                    apiAddr: nodeAddress(i),
                    protectData: config.protect,
                    ...(raft ? { raft: { nodeId: nodeId(i), clusterAddr: clusterAddr(i), peers } } : {}),
                    ...(i === 0 || remote !== "" ? {} : { network: servers[0]!.network }),
                    ...(hosts.length > 0 ? { advertise: { address: hosts[i]!.address, clusterPort: config.port + CLUSTER_PORT_OFFSET + i } } : {}),
                    ...(remote === "" ? {} : { dockerHost: remote }),
                },
                provider === undefined ? undefined : { providers: { docker: provider } },
            ),
        );
    }
    const server = servers[0]!;

    const init = new VaultInit("vault", {
        address,
        keyShares: config.keyShares,
        keyThreshold: config.keyThreshold,
        adoptUnsealKeys: secrets.adoptUnsealKeys,
        adoptRootToken: secrets.adoptRootToken,
        containerId: server.container.id,
        containerName: server.containerName,
        protect: config.protect,
        recordFile: initRecordFile(pulumi.getStack()),
        keyHolders: config.keyHolders,
        storage: config.storage,
        standbys: servers.slice(1).map((srv, i) => ({ address: nodeAddress(i + 1), containerId: srv.container.id })),
    });

    const appPolicy = appPolicyName(config.appTokenDisplayName);
    const admin = new VaultAdmin("vault", {
        // Known only once this update's unseal step has run, so nothing touches Vault before.
        // Plain in preview and update alike, or every preview would show a provider change.
        address: pulumi.unsecret(init.sealState.apply(() => address)),
        rootToken: init.rootToken,
        spec: {
            kvMount: KV_MOUNT,
            appPolicy,
            appRole: APP_TOKEN_ROLE,
            auditPath: AUDIT_DEVICE_PATH,
            appTokenPeriod: config.appTokenPeriod,
            ...(raft ? { raft: true } : {}),
        },
        containerName: server.containerName,
    });

    const store = new SecretsStore("vault", {
        // Known only once the admin token is renewed in this update.
        address: admin.readyAddress,
        adminToken: admin.adminToken,
        appTokenRole: APP_TOKEN_ROLE,
        providerTokenTtlSeconds: config.providerTokenTtlSeconds,
        values: { ...secrets, database: config.database },
        devPlaceholders: config.devPlaceholders,
        extra: Object.fromEntries(
            Object.entries(config.extraSecrets).map(([p, e]) => [
                p,
                { appCanRead: e.appCanRead, fields: Object.fromEntries(Object.entries(e.fields).map(([f, val]) => [f, pulumi.secret(val)])) },
            ]),
        ),
        auditFile: config.auditLog ? AUDIT_FILE : undefined,
        appTokenDisplayName: config.appTokenDisplayName,
        appTokenTtl: config.appTokenTtl,
        adopt: config.adopt,
        adopted: init.adopted,
        protect: config.protect,
    });

    return {
        address,
        uiUrl: `${address}/ui`,
        containerName: server.containerName,
        dataVolume: server.dataVolume.name,
        storage: config.storage,
        // Every node's API address, node 0 first (any of them serves: a standby forwards to the active node).
        nodeAddresses: servers.map((_, i) => nodeAddress(i)),
        kvMount: KV_MOUNT,
        secretPaths: Object.keys(store.secrets).map((p) => `${KV_MOUNT}/${p}`),
        appReadablePaths: store.appPaths.map((p) => `${KV_MOUNT}/${p}`),
        appPolicy: store.policy.name,
        appToken: store.appTokenValue,
        appTokenAccessor: store.appToken.id,
        // Keys kept in the state; empty under key-holder custody, where each holder has their share
        // PGP-encrypted to them instead (`npm run -s keys -- --holder NAME | gpg --decrypt`).
        unsealKeys: init.unsealKeys,
        encryptedUnsealKeys: init.encryptedShares,
        // The initial root token is revoked by the bootstrap: no output holds a working one.
        adminToken: admin.adminToken,
        adminTokenAccessor: admin.accessor,
        // As the server reports them (not the settings, which cannot change an initialised server).
        // Not secret, though derived from the unseal step's secret input.
        keyShares: pulumi.unsecret(init.sealState.apply((s) => s.shares ?? null)),
        keyThreshold: pulumi.unsecret(init.sealState.apply((s) => s.threshold ?? null)),
        sealed: pulumi.unsecret(init.sealState.apply((s) => s.sealed ?? null)),
        placeholders: store.placeholders,
    };
}

export = vaultStack;
