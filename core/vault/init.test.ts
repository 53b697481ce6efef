import { fakeShare, useFakeVault } from "../../tests/unit/fakeVault";
import { adoptionNeeded, rootTokenRefused } from "../messages";
import { InitRecord, InitRequest, initOrAdopt, parseInitOutput, previousRecord } from "./init";

// Init or adopt against an in-process fake server: never a second init, never a token echoed.

const fake = useFakeVault();
const SHARES = [1, 2, 3, 4, 5].map(fakeShare);

/** Run initOrAdopt against the fake; returns the parsed record and what was said. */
async function run(req: Partial<InitRequest> = {}): Promise<{ record: InitRecord; text: string; said: string[] }> {
    const said: string[] = [];
    const text = await initOrAdopt({ address: fake().address, shares: 5, threshold: 3, adoptKeys: [], adoptToken: "", ...req }, (m) => void said.push(m));
    return { record: JSON.parse(text) as InitRecord, text, said };
}

/** Run initOrAdopt expecting it to fail; returns the error and what was said. */
async function failure(req: Partial<InitRequest>): Promise<{ error: Error; said: string[] }> {
    const said: string[] = [];
    const error = (await initOrAdopt(
        { address: fake().address, shares: 5, threshold: 3, adoptKeys: [], adoptToken: "", ...req },
        (m) => void said.push(m),
    ).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    return { error, said };
}

describe("initOrAdopt: an uninitialised server", () => {
    test("checks sys/init, then initialises once with the configured shares and threshold", async () => {
        fake().state.initialized = false;
        const { record, said } = await run({ shares: 4, threshold: 2 });
        expect(fake().lines()).toEqual(["GET /v1/sys/init", "PUT /v1/sys/init"]);
        expect(fake().calls[1]!.body).toEqual({ secret_shares: 4, secret_threshold: 2 });
        expect(record).toEqual({ unseal_keys_b64: SHARES.slice(0, 4), root_token: "fake-root", source: "init", shares: 4, threshold: 2 });
        expect(said).toEqual(["initialised with 4 key shares, threshold 2"]);
    });

    test("key-holder custody: the holders' PGP keys go to Vault as pgp_keys, and the record names the holders in share order", async () => {
        fake().state.initialized = false;
        const { record, said } = await run({
            shares: 3,
            threshold: 2,
            holders: { names: ["alice", "bob", "carol"], keys: ["fake-pk-1", "fake-pk-2", "fake-pk-3"] },
        });
        expect(fake().calls[1]!.body).toEqual({ secret_shares: 3, secret_threshold: 2, pgp_keys: ["fake-pk-1", "fake-pk-2", "fake-pk-3"] });
        expect(record.key_holders).toEqual(["alice", "bob", "carol"]);
        expect(parseInitOutput(JSON.stringify(record)).holders).toEqual(["alice", "bob", "carol"]);
        expect(said).toEqual(["initialised with 3 key shares, threshold 2; each share is encrypted to its key holder (alice, bob, carol)"]);
    });

    test("a record naming more holders than shares is damaged", () => {
        expect(() => parseInitOutput(JSON.stringify({ unseal_keys_b64: ["a"], root_token: "fake-root", key_holders: ["alice", "bob"] }))).toThrow(
            "the init step's output names 2 key holders for 1 shares; its record in the state is damaged",
        );
    });

    test("a refused init fails with the server's reason", async () => {
        fake().state.initialized = false;
        fake().script("PUT /v1/sys/init", [{ status: 400, json: { errors: ["invalid shares"] } }]);
        expect((await failure({})).error.message).toBe("PUT /v1/sys/init answered HTTP 400: invalid shares");
    });

    test("an unreadable sys/init fails before anything is changed", async () => {
        fake().script("GET /v1/sys/init", [{ status: 500, json: { errors: ["storage down"] } }]);
        expect((await failure({})).error.message).toBe("GET /v1/sys/init answered HTTP 500: storage down");
        expect(fake().lines()).toEqual(["GET /v1/sys/init"]);
    });
});

describe("initOrAdopt: an initialised server", () => {
    test("without handed-in keys it stops with the adoption commands and never initialises", async () => {
        const { error } = await failure({});
        expect(error.message).toBe(adoptionNeeded(fake().address));
        expect(fake().lines()).toEqual(["GET /v1/sys/init"]);
    });

    test("with a token but no keys it stops the same way", async () => {
        expect((await failure({ adoptToken: "fake-root" })).error.message).toBe(adoptionNeeded(fake().address));
        expect(fake().calls.filter((c) => c.method !== "GET")).toEqual([]);
    });

    test("with keys but no token it unseals, makes a short-lived root token from the keys (generate-root) and records it", async () => {
        const keys = [SHARES[0]!, SHARES[2]!, SHARES[4]!];
        const { record, said, text } = await run({ adoptKeys: keys, containerName: "vault-t" });
        expect(record).toEqual({ unseal_keys_b64: keys, root_token: fake().state.generatedRoot, source: "adopted", shares: 5, threshold: 3 });
        expect(fake().lines()).toEqual([
            "GET /v1/sys/init",
            "GET /v1/sys/seal-status",
            ...Array(3).fill("POST /v1/sys/unseal"),
            "GET /v1/sys/health",
            "GET /v1/sys/generate-root/attempt",
            "PUT /v1/sys/generate-root/attempt",
            ...Array(3).fill("PUT /v1/sys/generate-root/update"),
        ]);
        expect(
            fake()
                .calls.filter((c) => c.path.endsWith("/update"))
                .map((c) => (c.body as { key: string }).key),
        ).toEqual(keys);
        expect(said.slice(3)).toEqual([
            "root token generation 1/3",
            "root token generation 2/3",
            "root token generation 3/3",
            "made a short-lived root token from the handed-in keys (generate-root); the admin bootstrap revokes it",
            "adopted the initialised server with the handed-in keys",
        ]);
        expect(said.join("\n")).not.toContain(fake().state.generatedRoot);
        expect(text).toContain(fake().state.generatedRoot);
    });

    test("the record this resource printed before is returned as is, with no API call", async () => {
        const previous = JSON.stringify({ unseal_keys_b64: ["fake-old-1"], root_token: "fake-old-root", source: "init" });
        const { text, said } = await run({ previousStdout: `${previous}\n` });
        expect(text).toBe(previous);
        expect(said).toEqual(["already initialised by this stack: keeping the keys it holds"]);
        expect(fake().calls).toEqual([]);
    });

    test.each(["", "not json", "{}", '{"unseal_keys_b64":[],"root_token":"x"}'])(
        "a previous output that is no complete record (%p) is not trusted",
        async (prev) => {
            expect((await failure({ previousStdout: prev })).error.message).toBe(adoptionNeeded(fake().address));
            expect(fake().lines()).toEqual(["GET /v1/sys/init"]);
        },
    );

    test("adoption unseals with the handed-in keys, waits for active, checks the token, and records both", async () => {
        const keys = [SHARES[1]!, SHARES[3]!, SHARES[4]!];
        const { record, said } = await run({ adoptKeys: keys, adoptToken: "fake-root", containerName: "vault-t" });
        expect(record).toEqual({ unseal_keys_b64: keys, root_token: "fake-root", source: "adopted", shares: 5, threshold: 3 });
        expect(fake().lines()).toEqual([
            "GET /v1/sys/init",
            "GET /v1/sys/seal-status",
            ...Array(3).fill("POST /v1/sys/unseal"),
            "GET /v1/sys/health",
            "GET /v1/auth/token/lookup-self",
        ]);
        expect(fake().calls.at(-1)!.token).toBe("fake-root");
        expect(
            fake()
                .calls.filter((c) => c.path !== "/v1/auth/token/lookup-self")
                .every((c) => c.token === undefined),
        ).toBe(true);
        expect(said).toEqual(["unseal progress 1/3", "unseal progress 2/3", "unseal progress 3/3", "adopted the initialised server with the handed-in keys"]);
    });

    test("adoption of an unsealed server sends no key and keeps its shares and threshold", async () => {
        Object.assign(fake().state, { sealed: false, t: 2, n: 3 });
        const { record } = await run({ adoptKeys: ["fake-a", "fake-b"], adoptToken: "fake-root" });
        expect(record).toMatchObject({ source: "adopted", shares: 3, threshold: 2 });
        expect(fake().lines()).not.toContain("POST /v1/sys/unseal");
    });

    test("a wrong root token is refused, and never echoed", async () => {
        const { error, said } = await failure({ adoptKeys: SHARES.slice(0, 3), adoptToken: "fake-wrong-root" });
        expect(error.message).toBe(rootTokenRefused(403));
        expect([error.message, ...said].join("\n")).not.toContain("fake-wrong-root");
        expect(fake().calls.at(-1)).toMatchObject({ path: "/v1/auth/token/lookup-self", token: "fake-wrong-root" });
    });
});

describe("parseInitOutput and previousRecord", () => {
    const record = { unseal_keys_b64: ["fake-k1", "fake-k2"], root_token: "fake-root", source: "adopted" };

    test("reads keys, root token and source; anything but 'adopted' is 'init'", () => {
        expect(parseInitOutput(JSON.stringify(record))).toEqual({ unsealKeys: ["fake-k1", "fake-k2"], rootToken: "fake-root", source: "adopted" });
        expect(parseInitOutput(JSON.stringify({ ...record, source: undefined })).source).toBe("init");
    });

    test.each<[string, string, string]>([
        ["not JSON", "fake-root-token-in-text", "the init step printed 23 characters that are not JSON; its record in the state is damaged"],
        ["no keys", JSON.stringify({ ...record, unseal_keys_b64: [] }), "the init step's output has no unseal keys; its record in the state is damaged"],
        ["an empty key", JSON.stringify({ ...record, unseal_keys_b64: ["fake-k1", ""] }), "the init step's output has no unseal keys"],
        ["a key that is no string", JSON.stringify({ ...record, unseal_keys_b64: [1] }), "the init step's output has no unseal keys"],
        ["no root token", JSON.stringify({ ...record, root_token: "" }), "the init step's output has no root token; its record in the state is damaged"],
    ])("refuses %s without quoting the output", (_name, stdout, message) => {
        expect(() => parseInitOutput(stdout)).toThrow(message);
        expect(() => parseInitOutput(stdout)).not.toThrow(/fake-/);
    });

    test("previousRecord keeps a complete record (trimmed) and drops anything else", () => {
        const text = JSON.stringify(record);
        expect(previousRecord(` ${text}\n`)).toBe(text);
        expect(previousRecord(undefined)).toBeUndefined();
        expect(previousRecord("[1]")).toBeUndefined();
        expect(previousRecord('{"root_token":"x"}')).toBeUndefined();
    });
});
