import { closedAddress, fakeShare, useFakeVault } from "../../tests/unit/fakeVault";
import { keyRejected, notInitialised, nothingAnswers, stillSealed } from "../messages";
import { ANY_STATE_HEALTH, sealStatus, unseal, unsealStandby, unsealWith, waitForActive, waitForApi } from "./seal";

// Seal status, the two waits and the unseal loop against an in-process fake server.

const fake = useFakeVault();
const KEYS = [1, 2, 3, 4, 5].map(fakeShare);

/** Collect what the code says to the operator. */
function sayings(): { say: (m: string) => void; said: string[] } {
    const said: string[] = [];
    return { say: (m) => void said.push(m), said };
}

test("sealStatus returns the server's seal-status answer", async () => {
    expect(await sealStatus(fake().address)).toEqual({ type: "shamir", initialized: true, sealed: true, t: 3, n: 5, progress: 0 });
    expect(fake().lines()).toEqual(["GET /v1/sys/seal-status"]);
});

describe("waitForApi", () => {
    test.each([
        ["sealed", { initialized: true, sealed: true }],
        ["uninitialised", { initialized: false, sealed: true }],
    ])("returns once the server answers, %s or not, asking health to answer 200 in any state", async (_name, state) => {
        Object.assign(fake().state, state);
        await waitForApi(fake().address, 2);
        expect(fake().calls.map((c) => `${c.path}?${c.query}`)).toEqual([ANY_STATE_HEALTH]);
    });

    test("keeps asking while the server answers an error", async () => {
        fake().script("GET /v1/sys/health", [{ status: 500 }, { status: 500 }]);
        await waitForApi(fake().address, 5);
        expect(fake().lines()).toEqual(Array(3).fill("GET /v1/sys/health"));
    });

    test("gives up after the deadline with the last HTTP status and the hint", async () => {
        fake().script("GET /v1/sys/health", [{ status: 500 }], true);
        await expect(waitForApi(fake().address, 0.3, () => " Its log: `docker logs vault-t`.")).rejects.toThrow(
            new Error("Vault did not answer within 0.3s: HTTP 500. Its log: `docker logs vault-t`."),
        );
    });

    test("gives up with the connection message when nothing listens", async () => {
        const address = await closedAddress();
        await expect(waitForApi(address, 0.3)).rejects.toThrow(new Error(`Vault did not answer within 0.3s: ${nothingAnswers(address, "ECONNREFUSED")}.`));
    });
});

describe("waitForActive", () => {
    test("waits through 503 (still setting up) until the active 200", async () => {
        fake().state.sealed = false;
        fake().script("GET /v1/sys/health", [{ status: 503 }, { status: 503 }]);
        await waitForActive(fake().address, 5);
        expect(fake().calls.map((c) => `${c.path}${c.query}`)).toEqual(Array(3).fill("/v1/sys/health"));
    });

    test("gives up naming the container's log", async () => {
        await expect(waitForActive(fake().address, 0.3, "vault-t")).rejects.toThrow(
            new Error("the server is unsealed but not active after 0.3s (HTTP 503): check `docker logs vault-t`"),
        );
    });
});

describe("unseal", () => {
    test("an uninitialised server has nothing to unseal", async () => {
        fake().state.initialized = false;
        await expect(unsealWith(fake().address, KEYS, sayings().say)).rejects.toThrow(new Error(notInitialised(fake().address)));
        expect(fake().lines()).toEqual(["GET /v1/sys/seal-status"]);
    });

    test("an unsealed server is left alone: no key is sent", async () => {
        fake().state.sealed = false;
        const { say, said } = sayings();
        const r = await unsealWith(fake().address, KEYS, say);
        expect(r).toEqual({ status: expect.objectContaining({ initialized: true, sealed: false }), unsealedNow: false });
        expect(fake().lines()).toEqual(["GET /v1/sys/seal-status"]);
        expect(said).toEqual([]);
    });

    test("feeds keys up to the threshold and reports progress, never a key", async () => {
        const { say, said } = sayings();
        const r = await unsealWith(fake().address, KEYS, say);
        expect(r.unsealedNow).toBe(true);
        expect(r.status).toMatchObject({ sealed: false, t: 3, n: 5 });
        expect(said).toEqual(["unseal progress 1/3", "unseal progress 2/3", "unseal progress 3/3"]);
        expect(
            fake()
                .calls.filter((c) => c.path === "/v1/sys/unseal")
                .map((c) => c.body),
        ).toEqual(KEYS.slice(0, 3).map((key) => ({ key })));
        expect(fake().state.sealed).toBe(false);
    });

    test("keys are trimmed; a key source is asked with its index and the threshold", async () => {
        const asked: [number, number][] = [];
        await unseal(
            fake().address,
            async (i, t) => {
                asked.push([i, t]);
                return ` ${KEYS[i]}\n`;
            },
            sayings().say,
        );
        expect(asked).toEqual([
            [0, 3],
            [1, 3],
            [2, 3],
        ]);
    });

    test("a rejected key is named by its position, not its value", async () => {
        const keys = [KEYS[0]!, "fake-bad-key-value", KEYS[2]!];
        const err = (await unsealWith(fake().address, keys, sayings().say).catch((e: unknown) => e)) as Error;
        expect(err.message).toBe(keyRejected(2, 3, 400, "invalid key"));
        expect(err.message).toContain("unseal key 2 of 3 was rejected (HTTP 400: invalid key)");
        expect(err.message).not.toContain("fake-bad-key-value");
    });

    test("key material in the server's reason is redacted", async () => {
        fake().state.rejectReason = (key) => `Error unsealing: key ${key} does not match`;
        const wrong = "ZmFrZS13cm9uZy1rZXktbWF0ZXJpYWwtMTIzNDU2Nzg5MA==";
        const err = (await unsealWith(fake().address, [wrong], sayings().say).catch((e: unknown) => e)) as Error;
        expect(err.message).toBe(keyRejected(1, 1, 400, `Error unsealing: key ${wrong} does not match`));
        expect(err.message).toContain("(HTTP 400: Error unsealing: key <redacted> does not match)");
        expect(err.message).not.toContain(wrong);
    });

    test("running out of keys says how many are needed", async () => {
        const { say, said } = sayings();
        await expect(unsealWith(fake().address, KEYS.slice(0, 2), say)).rejects.toThrow(new Error(stillSealed(2, 3, 2)));
        expect(said).toEqual(["unseal progress 1/3", "unseal progress 2/3"]);
        expect(fake().state.sealed).toBe(true);
    });
});

describe("unsealStandby (a Raft node joining the cluster)", () => {
    test("feeds the threshold of keys, then waits while the join completes (sealed, progress 0) until it reports unsealed", async () => {
        const joining = { type: "shamir", initialized: true, sealed: true, t: 3, n: 5 };
        fake().script("POST /v1/sys/unseal", [
            { status: 200, json: { ...joining, progress: 1 } },
            { status: 200, json: { ...joining, progress: 2 } },
            { status: 200, json: { ...joining, progress: 0 } },
        ]);
        fake().script("GET /v1/sys/seal-status", [
            { status: 200, json: { ...joining, progress: 0 } },
            { status: 200, json: { ...joining, progress: 0 } },
            { status: 200, json: { ...joining, sealed: false, progress: 0 } },
        ]);
        const { say, said } = sayings();
        expect(await unsealStandby(fake().address, KEYS, say, 10)).toEqual({ address: fake().address, sealed: false });
        // Three keys only (not five), and no key in what was said.
        expect(
            fake()
                .lines()
                .filter((l) => l === "POST /v1/sys/unseal"),
        ).toHaveLength(3);
        expect(said).toEqual([`unsealed the standby ${fake().address}`]);
    });

    test("a node that never learns the cluster is initialised is reported, not fatal", async () => {
        fake().state.initialized = false;
        const r = await unsealStandby(fake().address, KEYS, () => undefined, 0.5);
        expect(r).toMatchObject({ sealed: true, problem: "it has not joined the cluster within 0.5s (its retry_join reaches no unsealed peer)" });
        expect(fake().lines()).not.toContain("POST /v1/sys/unseal");
    });

    test("a rejected key is named by position, never by value", async () => {
        fake().script("POST /v1/sys/unseal", [{ status: 400, json: { errors: ["invalid key"] } }]);
        const r = await unsealStandby(fake().address, KEYS, () => undefined, 2);
        expect(r.problem).toBe(keyRejected(1, 5, 400, "invalid key"));
        for (const k of KEYS) expect(r.problem).not.toContain(k);
    });
});
