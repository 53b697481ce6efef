import { ComponentRun, inventory, runComponent } from "../tests/unit/componentMocks";
import { FAKE_INIT, MockOptions, UNSEALED, modeOf } from "../tests/unit/mocks";
import type * as module from "./vaultInit";

// VaultInit on its own under mocks: the one-time init command, and the unseal (update) or status
// (preview) step, whose answer the mocked invoke is told to give: unsealed, sealed, uninitialised
// or unreachable.

type Run = ComponentRun<module.VaultInit>;

/** Build a VaultInit (3 shares, threshold 2) under mocks; adoption inputs given as secrets. */
function vaultInit(opts: MockOptions & { adopt?: boolean; protect?: boolean; holders?: boolean } = {}): Promise<Run> {
    return runComponent((pulumi) => {
        const { VaultInit } = require("./vaultInit") as typeof module;
        return (o) =>
            new VaultInit(
                "vi",
                {
                    address: pulumi.output("http://127.0.0.1:18200"),
                    keyShares: 3,
                    keyThreshold: 2,
                    containerId: pulumi.output("cid-1"),
                    containerName: "vault-t",
                    protect: opts.protect ?? true,
                    recordFile: "/tmp/vault-stack-unit/vault-t.rec",
                    ...(opts.holders ? { keyHolders: HOLDERS } : {}),
                    ...(opts.adopt ? { adoptUnsealKeys: pulumi.secret("fake-a,fake-b"), adoptRootToken: pulumi.secret("fake-adopt-root") } : {}),
                },
                o,
            );
    }, opts);
}

/** The unseal or status step: the component's one `command:local:run` invoke. */
function step(run: Run): (typeof run.invokes)[number] {
    const runs = run.invokes.filter((i) => i.token === "command:local:run");
    expect(runs).toHaveLength(1);
    return runs[0]!;
}

/** Three obviously fake holders (the keys only need to look like base64 here). */
const HOLDERS = [
    { name: "alice", pgpKey: "mQENBfakeAlice" },
    { name: "bob", pgpKey: "mQENBfakeBob" },
    { name: "carol", pgpKey: "mQENBfakeCarol" },
];

/** An init record of key-holder custody: the shares as Vault encrypted them, by holder. */
const HELD_INIT = {
    unseal_keys_b64: ["fake-pgp-msg-1", "fake-pgp-msg-2", "fake-pgp-msg-3"],
    root_token: "fake-root-token",
    source: "init",
    key_holders: ["alice", "bob", "carol"],
};

const SECRET_VALUES = [...FAKE_INIT.unseal_keys_b64, FAKE_INIT.root_token, "fake-a", "fake-adopt-root"];

describe("VaultInit: the init command", () => {
    let run: Run;
    beforeAll(async () => {
        run = await vaultInit();
    });

    test("its resources are the init command and the init record's key, its children", () => {
        expect(inventory(run)).toEqual([
            "command:local:Command vi-init",
            "random:index/randomPassword:RandomPassword vi-init-record-key",
            "vault-stack:vault:VaultInit vi",
        ]);
        expect(run.options("vi-init-record-key").parent).toBe(run.result);
        expect(run.options("vi-init").parent).toBe(run.result);
    });

    test("runs the compiled adapter's init mode, configured through plain environment", () => {
        const init = run.one("command:local:Command").inputs;
        expect(init.create).toMatch(/bin\/ops\/ops\/main\.js" init$/);
        expect(init.update).toBe(init.create);
        expect(init).toMatchObject({ logging: "stderr", addPreviousOutputInEnv: true });
        expect(init.environment).toEqual({
            VAULT_ADDR: "http://127.0.0.1:18200",
            KEY_SHARES: "3",
            KEY_THRESHOLD: "2",
            CONTAINER_NAME: "vault-t",
            INIT_RECORD_FILE: "/tmp/vault-stack-unit/vault-t.rec",
            INIT_RECORD_KEY: "fake-password-vi-init-record-key",
        });
    });

    test("runs once: every input that could run it again is ignored; its stdout (the keys) is secret; it is protected", () => {
        expect(run.options("vi-init")).toMatchObject({
            ignoreChanges: ["create", "update", "environment", "interpreter", "dir", "logging"],
            additionalSecretOutputs: ["stdout", "environment"],
            protect: true,
        });
    });

    test("keys and root token come from its record, as secrets; the record says this stack initialised the server", async () => {
        expect(await run.value(run.result.unsealKeys)).toEqual(FAKE_INIT.unseal_keys_b64);
        expect(await run.value(run.result.rootToken)).toBe(FAKE_INIT.root_token);
        expect(await run.pulumi.isSecret(run.result.unsealKeys)).toBe(true);
        expect(await run.pulumi.isSecret(run.result.rootToken)).toBe(true);
        expect(await run.value(run.result.adopted)).toBe(false);
    });
});

describe("VaultInit: adoption and protection", () => {
    test("handed-in keys and root token reach the init step as secret environment only", async () => {
        const run = await vaultInit({ adopt: true });
        const init = run.one("command:local:Command");
        expect(init.inputs.environment).toMatchObject({ ADOPT_UNSEAL_KEYS: "fake-a,fake-b", ADOPT_ROOT_TOKEN: "fake-adopt-root" });
        expect(init.secretInputs).toEqual(["environment"]);
        expect(JSON.stringify([init.inputs.create, init.inputs.update])).not.toContain("fake-");
    });

    test("a record of an adopted server says so", async () => {
        const run = await vaultInit({ initRecord: { ...FAKE_INIT, source: "adopted" } });
        expect(await run.value(run.result.adopted)).toBe(true);
        expect(await run.pulumi.isSecret(run.result.adopted)).toBe(false);
    });

    test("protect false leaves the record unprotected", async () => {
        expect((await vaultInit({ protect: false })).options("vi-init").protect).toBe(false);
    });
});

describe("VaultInit: the unseal step of an update", () => {
    let run: Run;
    beforeAll(async () => {
        run = await vaultInit({ adopt: true });
    });

    test("runs the adapter's unseal mode with the container's address, ID and name", () => {
        const s = step(run);
        expect(modeOf(s.inputs.command)).toBe("unseal");
        expect(s.inputs.environment).toEqual({
            VAULT_ADDR: "http://127.0.0.1:18200",
            CONTAINER_ID: "cid-1",
            CONTAINER_NAME: "vault-t",
            STACK_NAME: "unit",
            INIT_RECORD_FILE: "/tmp/vault-stack-unit/vault-t.rec",
            INIT_RECORD_KEY: "fake-password-vi-init-record-key",
        });
        expect(s.inputs.logging).toBe("stderr");
    });

    test("feeds the keys through stdin, as a secret, never through argv or the environment", async () => {
        const s = step(run);
        expect(JSON.parse(s.inputs.stdin as string)).toEqual(FAKE_INIT.unseal_keys_b64);
        const clear = JSON.stringify([s.inputs.command, s.inputs.environment]);
        for (const v of SECRET_VALUES) expect(clear).not.toContain(v);
        // The mocks see invoke arguments unwrapped; an invoke's result is secret when an argument was.
        expect(await run.pulumi.isSecret(run.result.sealState)).toBe(true);
    });
});

describe("VaultInit: key-holder custody", () => {
    test("the holders' public keys reach the init step, in share order, as plain environment", async () => {
        const run = await vaultInit({ holders: true, initRecord: HELD_INIT });
        const env = run.one("command:local:Command").inputs.environment as Record<string, string>;
        expect(JSON.parse(env.KEY_HOLDERS!)).toEqual(HOLDERS);
    });

    test("no plaintext key in the outputs: unsealKeys is empty, each holder's encrypted share is listed by name", async () => {
        const run = await vaultInit({ holders: true, initRecord: HELD_INIT });
        expect(await run.value(run.result.unsealKeys)).toEqual([]);
        expect(await run.value(run.result.encryptedShares)).toEqual({ alice: "fake-pgp-msg-1", bob: "fake-pgp-msg-2", carol: "fake-pgp-msg-3" });
        expect(await run.pulumi.isSecret(run.result.encryptedShares)).toBe(false);
    });

    test("the unseal step gets the holders and their encrypted shares, never a key, on secret stdin", async () => {
        const run = await vaultInit({ holders: true, initRecord: HELD_INIT });
        const s = step(run);
        expect(JSON.parse(s.inputs.stdin as string)).toEqual({ holders: ["alice", "bob", "carol"], shares: HELD_INIT.unseal_keys_b64 });
        // The mocks see invoke arguments unwrapped; an invoke's result is secret when an argument was.
        expect(await run.pulumi.isSecret(run.result.sealState)).toBe(true);
    });

    test("the mode follows the state's record: a record without holders keeps its keys, whatever the setting says", async () => {
        const run = await vaultInit({ holders: true });
        expect(await run.value(run.result.unsealKeys)).toEqual(FAKE_INIT.unseal_keys_b64);
        expect(await run.value(run.result.encryptedShares)).toBeUndefined();
    });

    test("without holders there is no KEY_HOLDERS and no encrypted shares", async () => {
        const run = await vaultInit();
        expect(run.one("command:local:Command").inputs.environment).not.toHaveProperty("KEY_HOLDERS");
        expect(await run.value(run.result.encryptedShares)).toBeUndefined();
    });
});

describe("VaultInit: the step of a preview", () => {
    test("only reads the status: no keys, and a plain result", async () => {
        const run = await vaultInit({ dryRun: true });
        const s = step(run);
        expect(modeOf(s.inputs.command)).toBe("status");
        expect(s.inputs.stdin).toBeUndefined();
        expect(JSON.stringify(s.inputs)).not.toContain("fake-key");
        expect(await run.pulumi.isSecret(run.result.sealState)).toBe(false);
    });
});

describe("VaultInit: sealState reports what the step saw", () => {
    const sealed = { reachable: true, initialized: true, sealed: true, shares: 3, threshold: 2, progress: 1 };
    test.each<[string, boolean, unknown, string, object]>([
        ["update: unsealed now", false, UNSEALED, "unseal", UNSEALED],
        [
            "update: already unsealed",
            false,
            { ...UNSEALED, unsealedNow: false, shares: 3, threshold: 2 },
            "unseal",
            { ...UNSEALED, unsealedNow: false, shares: 3, threshold: 2 },
        ],
        ["preview: unsealed", true, { reachable: true, initialized: true, sealed: false }, "status", { reachable: true, initialized: true, sealed: false }],
        ["preview: SEALED", true, sealed, "status", sealed],
        [
            "preview: UNINITIALISED",
            true,
            { reachable: true, initialized: false, sealed: true },
            "status",
            { reachable: true, initialized: false, sealed: true },
        ],
        ["preview: unreachable", true, { reachable: false }, "status", { reachable: false }],
        ["unreadable output", false, "vault-ops: something else", "unseal", {}],
    ])("%s", async (_name, dryRun, answer, mode, state) => {
        const seen: string[] = [];
        const run = await vaultInit({
            dryRun,
            runAnswer: (m) => {
                seen.push(m);
                return answer;
            },
        });
        expect(seen).toEqual([mode]);
        expect(await run.value(run.result.sealState)).toEqual(state);
    });
});
