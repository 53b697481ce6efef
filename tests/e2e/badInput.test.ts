import { TestStack, preflight, trySh } from "./harness";

// Scenario 9: invalid settings fail the update with their clear message before anything is
// created, and never echo a secret value.

const FAKE = {
    openrouterApiKey: "fake-bad-input-openrouter",
    telegramBotToken: "fake-bad-input-tg",
    telegramChatId: "fake-bad-input-chat",
    githubToken: "fake-bad-input-gh",
};

let ts: TestStack;

beforeAll(async () => {
    preflight();
    ts = await TestStack.create("bad");
});

afterAll(async () => {
    if (ts === undefined) return;
    expect(await ts.cleanup()).toEqual([]);
});

test.each<[string, Record<string, string>, string[], string]>([
    ["threshold above shares", { keyShares: "5", keyThreshold: "6" }, [], "`vault-stack:keyThreshold` (6) is larger than `vault-stack:keyShares` (5)"],
    ["threshold 1 with 5 shares", { keyShares: "5", keyThreshold: "1" }, [], "`vault-stack:keyThreshold` (1) must be at least 2"],
    ["0 shares", { keyShares: "0" }, [], "`vault-stack:keyShares` (0) must be a whole number from 1 to 255"],
    ["256 shares", { keyShares: "256" }, [], "`vault-stack:keyShares` (256) must be a whole number from 1 to 255"],
    ["malformed TTL", { appTokenTtl: "a month" }, [], "`vault-stack:appTokenTtl` (a month) is not a Go duration"],
    ["TTL over the maximum", { appTokenTtl: "800h" }, [], "`vault-stack:appTokenTtl` (800h) is longer than Vault's maximum token TTL of 768h"],
    [
        "missing secret value",
        {},
        ["githubToken"],
        "`vault-stack:githubToken` is missing: set it with `pulumi config set --secret vault-stack:githubToken <value>`",
    ],
    ["an even node count", { storage: "raft", nodes: "2" }, [], "`vault-stack:nodes` (2) must be 1, 3 or 5: a Raft cluster needs an odd count"],
    ["three nodes on file storage", { nodes: "3" }, [], "`vault-stack:nodes` (3) needs `vault-stack:storage` raft: file storage serves one server only"],
    ["an unknown storage", { storage: "consul" }, [], "`vault-stack:storage` (consul) must be file or raft"],
    ["non-loopback bind without TLS", { bindAddress: "0.0.0.0" }, [], "`vault-stack:bindAddress` (0.0.0.0) publishes Vault beyond this host while TLS is off"],
])("%s fails with its message and creates nothing", async (_name, plain, omit, message) => {
    for (const [k, v] of Object.entries(FAKE)) {
        if (omit.includes(k)) await ts.unset(k).catch(() => undefined);
        else await ts.set(k, v, true);
    }
    for (const [k, v] of Object.entries(plain)) await ts.set(k, v);
    try {
        await expect(ts.up()).rejects.toThrow(message);
    } finally {
        for (const k of Object.keys(plain)) await ts.unset(k);
    }
    expect(trySh("docker", ["inspect", ts.containerName])).toBeUndefined();
    expect(ts.dockerObjects()).toEqual([]);
    expect(await ts.outputs()).toEqual({});
});

test("a secret stored in plain text is refused without echoing it", async () => {
    for (const [k, v] of Object.entries(FAKE)) await ts.set(k, v, true);
    await ts.set("githubToken", "fake-plaintext-github-token-value");
    await expect(ts.up()).rejects.toThrow("`vault-stack:githubToken` is stored in plain text in the stack file");
    expect(ts.log.join("\n")).not.toContain("fake-plaintext-github-token-value");
    expect(ts.dockerObjects()).toEqual([]);
});

test("the failed updates never printed a secret value", () => {
    const text = ts.log.join("\n");
    expect(text).toContain("is larger than");
    for (const v of Object.values(FAKE)) expect(text).not.toContain(v);
});
