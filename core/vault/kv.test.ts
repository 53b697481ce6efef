import { useFakeVault } from "../../tests/unit/fakeVault";
import { readKvPaths } from "./kv";

// Reading KV v2 paths against an in-process fake server.

const fake = useFakeVault();

test("reads each path's data with the token; a missing path reads as null", async () => {
    fake().state.kv = { database: { password: "fake-db" }, "team/app": { k: "fake-v" } };
    expect(await readKvPaths(fake().address, "fake-root", "secret", ["database", "cockpit", "team/app"])).toEqual({
        database: { password: "fake-db" },
        cockpit: null,
        "team/app": { k: "fake-v" },
    });
    expect(fake().calls.map((c) => [c.method, c.path, c.token])).toEqual([
        ["GET", "/v1/secret/data/database", "fake-root"],
        ["GET", "/v1/secret/data/cockpit", "fake-root"],
        ["GET", "/v1/secret/data/team/app", "fake-root"],
    ]);
});

test("no paths, no request", async () => {
    expect(await readKvPaths(fake().address, "fake-root", "secret", [])).toEqual({});
    expect(fake().calls).toEqual([]);
});

test("a refused read fails with the path and the server's reason, and stops there", async () => {
    await expect(readKvPaths(fake().address, "fake-wrong", "secret", ["database", "cockpit"])).rejects.toThrow(
        new Error("reading secret/database answered HTTP 403: permission denied"),
    );
    expect(fake().lines()).toEqual(["GET /v1/secret/data/database"]);
});

test("a 200 without data is an error, not an empty path", async () => {
    fake().script("GET /v1/secret/data/database", [{ status: 200, json: { data: null } }]);
    await expect(readKvPaths(fake().address, "fake-root", "secret", ["database"])).rejects.toThrow(new Error("reading secret/database answered HTTP 200: "));
});
