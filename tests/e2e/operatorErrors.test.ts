import * as net from "net";
import { ensureImage, ensurePortFree } from "../../cli/operations";
import { TestStack, preflight, trySh } from "./harness";

// The operator's errors that need the real Docker engine: a taken port and an image that cannot
// be had offline, each refused before anything is created, with the command that fixes it.

let ts: TestStack;
let squatter: net.Server;

beforeAll(async () => {
    preflight();
    ts = await TestStack.create("err");
    squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(ts.port, "127.0.0.1", r));
});

afterAll(async () => {
    if (squatter?.listening) squatter.close();
    if (ts === undefined) return;
    expect(await ts.cleanup()).toEqual([]);
});

test("port already taken by another process", async () => {
    await expect(ensurePortFree(ts.stack)).rejects.toThrow(`port ${ts.port} on 127.0.0.1 (setting \`vault-stack:port\`) is already taken by another process`);
    await expect(ensurePortFree(ts.stack)).rejects.toThrow(`\`pulumi config set vault-stack:port ${ts.port + 1}\``);
});

test("port already taken, plain `pulumi up`: stops before the container exists, naming the port and the fix", async () => {
    await ts.set("devPlaceholders", "true");
    const r = ts.cliUp();
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`port ${ts.port} on 127.0.0.1 (setting \`vault-stack:port\`) is already taken by another process`);
    expect(r.output).toContain(`\`pulumi config set vault-stack:port ${ts.port + 1}\``);
    // No container, not even one in state Created.
    expect(trySh("docker", ["inspect", ts.containerName])).toBeUndefined();
    expect(ts.dockerObjects().filter((o) => o.startsWith("container "))).toEqual([]);
});

test("image not available offline", async () => {
    // The port is free again before the first stack is torn down (its teardown updates it).
    await new Promise<void>((r) => squatter.close(() => r()));
    expect(await ts.cleanup()).toEqual([]);
    ts = await TestStack.create("err");
    await ts.set("image", "vault-stack/not-built-anywhere:0.0.1");
    await expect(ensureImage(ts.stack)).rejects.toThrow(
        "the image vault-stack/not-built-anywhere:0.0.1 (setting `vault-stack:image`) is not on this Docker host and could not be pulled",
    );
    expect(ts.dockerObjects()).toEqual([]);
});
