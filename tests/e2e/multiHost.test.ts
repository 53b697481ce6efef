import { provision } from "../../cli/operations";
import { nodeNames } from "../../core/names";
import { vaultApi } from "../../core/vault/client";
import { SecondEngine } from "../support/secondEngine";
import { FIXED_SECRET_PATHS } from "../../core/secretPaths";
import { TestStack, preflight, serverImage, waitFor } from "./harness";

// A Raft cluster across two Docker engines: a second dockerd on this machine (its own socket,
// data root and bridge, started and stopped here) runs node 2; nodes 0 and 1 run on the first.
// The nodes reach each other through ports published on the second engine's bridge address.

let engine: SecondEngine;
let ts: TestStack;

beforeAll(async () => {
    preflight();
    engine = await SecondEngine.start();
    engine.loadImage(serverImage());
    ts = await TestStack.create("multi", 3);
    await ts.set("devPlaceholders", "true");
    await ts.set("storage", "raft");
    await ts.set("nodes", "3");
    await ts.set("allowInsecureBind", "true");
    for (const i of [0, 1, 2]) await ts.stack.setConfig(`vault-stack:nodeHosts[${i}].address`, { value: engine.gateway }, true);
    await ts.stack.setConfig("vault-stack:nodeHosts[2].docker", { value: engine.host }, true);
}, 600_000);

afterAll(async () => {
    if (ts !== undefined) expect(await ts.cleanup()).toEqual([]);
    if (engine !== undefined) await engine.stop();
});

test("a 3-node cluster with node 2 on a second Docker engine comes up: three voters, every node serves the secrets", async () => {
    const t0 = Date.now();
    await ts.capture(() => provision(ts.stack, ts.sink));
    console.log(`cold up of 3 nodes on two engines: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    const o = await ts.outputs();
    const addresses = o.nodeAddresses as string[];
    // Every node is reached at its own address: the second engine's bridge address here.
    expect(addresses).toEqual([0, 1, 2].map((i) => `http://${engine.gateway}:${ts.port + i}`));
    expect(o.address).toBe(addresses[0]);
    // Node 2's container runs on the second engine, not on the first.
    expect(engine.docker(["ps", "--format", "{{.Names}}"]).split("\n")).toContain(nodeNames(ts.name, 2).container);
    expect(
        ts
            .dockerObjects()
            .filter((x) => x.startsWith("container"))
            .sort(),
    ).toEqual([0, 1].map((i) => `container ${nodeNames(ts.name, i).container}`).sort());
    const admin = o.adminToken as string;
    await waitFor("three voters", 90, async () => {
        const r = await vaultApi(addresses[0]!, "GET", "/v1/sys/storage/raft/configuration", { token: admin });
        const servers = (r.json.data as { config: { servers: { voter: boolean }[] } }).config.servers;
        return servers.length === 3 && servers.every((s) => s.voter);
    });
    const app = o.appToken as string;
    const read = async (a: string): Promise<unknown[]> => {
        const out: unknown[] = [];
        for (const p of FIXED_SECRET_PATHS) {
            const r = await vaultApi(a, "GET", `/v1/secret/data/${p}`, { token: app });
            expect(r.status).toBe(200);
            out.push((r.json.data as { data: unknown }).data);
        }
        return out;
    };
    const first = await read(addresses[0]!);
    for (const a of addresses.slice(1)) expect(await read(a)).toEqual(first);
    // The next update is clean.
    await ts.capture(() => ts.stack.preview({ expectNoChanges: true, refresh: true, onOutput: ts.sink, color: "never" }));
});
