import { closedAddress, useFakeVault } from "../../tests/unit/fakeVault";
import { badAddress, noAnswer, nothingAnswers, wrongScheme } from "../messages";
import { VaultConnectionError, apiErrors, checkAddress, explainConnectError, vaultApi } from "./client";

// The one HTTP client against an in-process fake server: what it sends, how it reads answers,
// and how each way of not reaching the server is worded for the operator.

const fake = useFakeVault();

describe("vaultApi: requests and answers", () => {
    test("sends the method, path, JSON body and token header, and parses a JSON answer", async () => {
        const r = await vaultApi(fake().address, "POST", "/v1/sys/unseal", { token: "fake-token", body: { key: "nope" } });
        expect(r).toEqual({ status: 400, json: { errors: ["invalid key"] } });
        expect(fake().calls).toEqual([
            { method: "POST", path: "/v1/sys/unseal", query: "", token: "fake-token", contentType: "application/json", body: { key: "nope" } },
        ]);
    });

    test("sends no token header and no body when none is given; keeps the query", async () => {
        await vaultApi(fake().address, "GET", "/v1/sys/health?standbyok=true");
        expect(fake().calls).toEqual([{ method: "GET", path: "/v1/sys/health", query: "standbyok=true", contentType: "application/json" }]);
    });

    test("a trailing slash in the address is dropped", async () => {
        await vaultApi(`${fake().address}//`, "GET", "/v1/sys/init");
        expect(fake().lines()).toEqual(["GET /v1/sys/init"]);
    });

    test.each([
        ["an empty body", { status: 204, text: "" }, 204],
        ["a body that is not JSON", { status: 502, text: "<html>Bad Gateway</html>" }, 502],
    ])("%s reads as {} with its status", async (_name, answer, status) => {
        fake().script("GET /v1/sys/health", [answer]);
        expect(await vaultApi(fake().address, "GET", "/v1/sys/health")).toEqual({ status, json: {} });
    });

    test("apiErrors joins the server's error list; none reads as empty", () => {
        expect(apiErrors({ status: 400, json: { errors: ["one", "two"] } })).toBe("one; two");
        expect(apiErrors({ status: 500, json: {} })).toBe("");
    });
});

describe("vaultApi: not reaching the server", () => {
    test("nothing listening: the exact message naming the container check", async () => {
        const address = await closedAddress();
        const err = await vaultApi(address, "GET", "/v1/sys/health").catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VaultConnectionError);
        expect((err as Error).message).toBe(nothingAnswers(address, "ECONNREFUSED"));
    });

    test("https:// against the plain listener says to use http://", async () => {
        const https = `https://127.0.0.1:${fake().port}`;
        await expect(vaultApi(https, "GET", "/v1/sys/health")).rejects.toThrow(new VaultConnectionError(wrongScheme(https)));
    });

    test.each(["127.0.0.1:8200", "", "ftp://127.0.0.1:8200"])("an address without http(s):// (%p) is refused before any request", async (address) => {
        await expect(vaultApi(address, "GET", "/v1/sys/health")).rejects.toThrow(badAddress(address));
        expect(() => checkAddress(address)).toThrow(badAddress(address));
        expect(fake().calls).toEqual([]);
    });

    test("a server slower than the timeout is given up on, with the container hint", async () => {
        fake().script("GET /v1/sys/health", [{ status: 200, json: {}, delayMs: 2000 }]);
        const err = (await vaultApi(fake().address, "GET", "/v1/sys/health", { timeoutMs: 100 }).catch((e: unknown) => e)) as Error;
        // The abort's wording comes from the runtime (a DOMException, named differently across realms): check around it.
        const [before, after] = noAnswer(fake().address, "<code>").split("<code>") as [string, string];
        expect(err).toBeInstanceOf(VaultConnectionError);
        expect(err.message.startsWith(before)).toBe(true);
        expect(err.message.endsWith(after)).toBe(true);
        expect(err.message.slice(before.length, -after.length)).toMatch(/aborted due to timeout$/);
    });

    test("timeoutMs null waits as long as the server takes", async () => {
        fake().script("GET /v1/sys/health", [{ status: 200, json: { ok: true }, delayMs: 300 }]);
        expect(await vaultApi(fake().address, "GET", "/v1/sys/health", { timeoutMs: null })).toEqual({ status: 200, json: { ok: true } });
    });

    test.each<[string, unknown, string]>([
        ["a reset connection", Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } }), nothingAnswers("http://h:1", "ECONNRESET")],
        [
            "a refused name with several addresses (AggregateError)",
            Object.assign(new TypeError("fetch failed"), { cause: { errors: [{ code: "ECONNREFUSED" }, { code: "ECONNREFUSED" }] } }),
            nothingAnswers("http://h:1", "ECONNREFUSED"),
        ],
        ["an unknown name", Object.assign(new TypeError("fetch failed"), { cause: { code: "ENOTFOUND" } }), noAnswer("http://h:1", "ENOTFOUND")],
        ["a plain string", "boom", noAnswer("http://h:1", "boom")],
    ])("explainConnectError: %s", (_name, err, message) => {
        expect(explainConnectError("http://h:1", err)).toBe(message);
    });
});
