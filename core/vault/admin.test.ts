import { useFakeVault } from "../../tests/unit/fakeVault";
import { adminTokenLapsed, generateRootInProgress, rootTokenRetired } from "../messages";
import { AdminSpec, bootstrapAdmin, decodeRootToken, generateRoot, parseAdminRecord, renderAdminPolicy, renewAdmin, sameSpec } from "./admin";

// The admin identity against an in-process fake server: the exact policy, the bootstrap's calls
// in order (root token revoked last), renewal, and the generate-root flow with its OTP decoding.

const fake = useFakeVault();
const SPEC: AdminSpec = { kvMount: "secret", appPolicy: "svc-read", appRole: "vault-stack-app", auditPath: "file" };

/** Collect what the code says. */
function sayings(): { say: (m: string) => void; said: string[] } {
    const said: string[] = [];
    return { say: (m) => void said.push(m), said };
}

describe("renderAdminPolicy", () => {
    test("covers exactly the stack's paths, with no wildcard outside the KV mount's own paths", () => {
        const hcl = renderAdminPolicy(SPEC);
        const paths = [...hcl.matchAll(/^path "([^"]+)"/gm)].map((m) => m[1]);
        expect(paths).toEqual([
            "sys/mounts/secret",
            "sys/mounts/secret/tune",
            "sys/mounts",
            "sys/internal/ui/mounts/secret/*",
            "secret/data/*",
            "secret/metadata/*",
            "sys/audit",
            "sys/audit/file",
            "sys/policies/acl/svc-read",
            "sys/policy/svc-read",
            "auth/token/roles/vault-stack-app",
            "auth/token/create/vault-stack-app",
            "auth/token/create",
            "auth/token/lookup-accessor",
            "auth/token/revoke-accessor",
            "auth/token/lookup",
        ]);
        expect(hcl).toContain('path "auth/token/roles/vault-stack-app" {\n  capabilities = ["read"]\n}');
        expect(hcl).toContain('path "sys/mounts" {\n  capabilities = ["read"]\n}');
        expect(hcl).not.toMatch(/sys\/raw|sys\/auth|vault-stack-admin|"root"/);
        expect(hcl.match(/"sudo"/g)).toHaveLength(2);
        expect(hcl).not.toContain("sys/storage/raft");
    });

    test("a Raft stack's admin also reads the peers, removes a dead one and takes and restores snapshots; a file stack's does not", () => {
        const raft = renderAdminPolicy({ ...SPEC, raft: true });
        const paths = [...raft.matchAll(/^path "([^"]+)"/gm)].map((m) => m[1]);
        expect(paths.filter((p) => p!.startsWith("sys/storage/"))).toEqual([
            "sys/storage/raft/configuration",
            "sys/storage/raft/autopilot/state",
            "sys/storage/raft/remove-peer",
            "sys/storage/raft/snapshot",
            "sys/storage/raft/snapshot-force",
        ]);
        expect(renderAdminPolicy(SPEC)).not.toContain("sys/storage");
        expect(sameSpec(SPEC, { ...SPEC, raft: true })).toBe(false);
        expect(sameSpec(SPEC, { ...SPEC, raft: false })).toBe(true);
    });
});

describe("bootstrapAdmin", () => {
    const created = { status: 200, json: { auth: { client_token: "fake-admin-token", accessor: "fake-admin-accessor" } } };

    test("with the root token: policy, role, orphan periodic admin token, checked, then the root token revoked last", async () => {
        fake().state.sealed = false;
        fake().script("PUT /v1/sys/policies/acl/vault-stack-admin", [{ status: 204 }]);
        fake().script("POST /v1/auth/token/roles/vault-stack-app", [{ status: 204 }]);
        fake().script("POST /v1/auth/token/create", [created]);
        fake().script("GET /v1/auth/token/lookup-self", [
            { status: 200, json: { data: { policies: ["root"] } } },
            { status: 200, json: { data: {} } },
        ]);
        fake().script("POST /v1/auth/token/revoke-self", [{ status: 204 }]);
        const { say, said } = sayings();
        const record = await bootstrapAdmin(fake().address, "fake-root", { ...SPEC, appTokenPeriod: "720h" }, say);
        expect(record).toEqual({ admin_token: "fake-admin-token", accessor: "fake-admin-accessor", spec: { ...SPEC, appTokenPeriod: "720h" } });
        expect(fake().lines()).toEqual([
            "GET /v1/auth/token/lookup-self",
            "PUT /v1/sys/policies/acl/vault-stack-admin",
            "POST /v1/auth/token/roles/vault-stack-app",
            "POST /v1/auth/token/create",
            "GET /v1/auth/token/lookup-self",
            "POST /v1/auth/token/revoke-self",
        ]);
        const [, policy, role, create, check, revoke] = fake().calls;
        expect(policy!.body).toEqual({ policy: renderAdminPolicy({ ...SPEC, appTokenPeriod: "720h" }) });
        expect(role!.body).toEqual({ allowed_policies: ["svc-read"], orphan: true, renewable: true, token_period: "720h" });
        expect(create!.body).toEqual({ policies: ["vault-stack-admin"], no_parent: true, period: "720h", renewable: true, display_name: "vault-stack-admin" });
        expect(check!.token).toBe("fake-admin-token");
        expect(revoke!.token).toBe("fake-root");
        expect(said.join("\n")).not.toMatch(/fake-root|fake-admin-token/);
    });

    test("a previous admin token is revoked by accessor before the root token", async () => {
        fake().script("POST /v1/auth/token/create", [created]);
        fake().script("GET /v1/auth/token/lookup-self", [
            { status: 200, json: { data: { policies: ["root"] } } },
            { status: 200, json: { data: {} } },
        ]);
        fake().script("POST /v1/auth/token/revoke-accessor", [{ status: 204 }]);
        fake().script("POST /v1/auth/token/revoke-self", [{ status: 204 }]);
        fake().script("PUT /v1/sys/policies/acl/vault-stack-admin", [{ status: 204 }]);
        fake().script("POST /v1/auth/token/roles/vault-stack-app", [{ status: 204 }]);
        await bootstrapAdmin(fake().address, "fake-root", SPEC, sayings().say, { previousAccessor: "fake-old-accessor" });
        expect(fake().lines().slice(-2)).toEqual(["POST /v1/auth/token/revoke-accessor", "POST /v1/auth/token/revoke-self"]);
        expect(fake().calls.at(-2)!.body).toEqual({ accessor: "fake-old-accessor" });
    });

    test.each([
        ["a revoked root token", { status: 403, json: { errors: ["permission denied"] } }, 403],
        ["a token that is not root", { status: 200, json: { data: { policies: ["default"] } } }, 403],
    ])("%s stops before any change, naming generate-root", async (_name, answer, status) => {
        fake().script("GET /v1/auth/token/lookup-self", [answer]);
        await expect(bootstrapAdmin(fake().address, "fake-revoked-root", SPEC, sayings().say)).rejects.toThrow(
            new Error(rootTokenRetired(status, "the admin identity has to be created")),
        );
        expect(fake().lines()).toEqual(["GET /v1/auth/token/lookup-self"]);
        expect(rootTokenRetired(403, "x")).toContain("`npm run generate-root`");
    });
});

describe("renewAdmin", () => {
    const record = { admin_token: "fake-admin-token", accessor: "fake-accessor", spec: SPEC };

    test("renews itself by the period and reports the TTL", async () => {
        fake().script("POST /v1/auth/token/renew-self", [{ status: 200, json: { auth: { lease_duration: 2592000 } } }]);
        expect(await renewAdmin(fake().address, record)).toEqual({ ttl: 2592000 });
        expect(fake().calls[0]).toMatchObject({ token: "fake-admin-token", body: { increment: "720h" } });
    });

    test("a revoked or lapsed token is named by its accessor, never its value, with the way out", async () => {
        fake().script("POST /v1/auth/token/renew-self", [{ status: 403, json: { errors: ["permission denied"] } }]);
        const err = (await renewAdmin(fake().address, record).catch((e: unknown) => e)) as Error;
        expect(err.message).toBe(adminTokenLapsed("fake-accessor", 403));
        expect(err.message).toContain("`npm run generate-root`");
        expect(err.message).not.toContain("fake-admin-token");
    });
});

describe("generateRoot", () => {
    // Vault's encoding: base64 (no padding) of the token's bytes XOR the OTP's.
    const OTP = "fakeOtpFakeOtpFakeOtpFakeOtp";
    const TOKEN = "fake-root-token-for-tests-12";
    const ENCODED = Buffer.from([...Buffer.from(TOKEN)].map((b, i) => b ^ OTP.charCodeAt(i)))
        .toString("base64")
        .replace(/=+$/, "");

    test("decodeRootToken inverts Vault's encoding; lengths must match", () => {
        expect(decodeRootToken(ENCODED, OTP)).toBe(TOKEN);
        expect(() => decodeRootToken(ENCODED, OTP.slice(1))).toThrow("the encoded root token has 28 bytes, the one-time password 27: they must match");
    });

    test("starts an attempt, feeds keys with the nonce until complete, decodes the token", async () => {
        fake().script("GET /v1/sys/generate-root/attempt", [{ status: 200, json: { started: false } }]);
        fake().script("PUT /v1/sys/generate-root/attempt", [{ status: 200, json: { nonce: "fake-nonce", otp: OTP, required: 2 } }]);
        fake().script("PUT /v1/sys/generate-root/update", [
            { status: 200, json: { complete: false, progress: 1 } },
            { status: 200, json: { complete: true, progress: 2, encoded_token: ENCODED } },
        ]);
        const { say, said } = sayings();
        expect(await generateRoot(fake().address, async (i) => ` fake-key-${i}\n`, say)).toBe(TOKEN);
        expect(
            fake()
                .calls.filter((c) => c.path.endsWith("/update"))
                .map((c) => c.body),
        ).toEqual([
            { key: "fake-key-0", nonce: "fake-nonce" },
            { key: "fake-key-1", nonce: "fake-nonce" },
        ]);
        expect(said).toEqual(["root token generation 1/2", "root token generation 2/2"]);
    });

    test("an attempt already in progress is left alone", async () => {
        fake().script("GET /v1/sys/generate-root/attempt", [{ status: 200, json: { started: true, progress: 1, required: 3 } }]);
        await expect(generateRoot(fake().address, async () => "k", sayings().say)).rejects.toThrow(new Error(generateRootInProgress(1, 3)));
        expect(fake().lines()).toEqual(["GET /v1/sys/generate-root/attempt"]);
    });

    test("too few keys cancel the attempt it started; a rejected key is named by position only", async () => {
        fake().script("GET /v1/sys/generate-root/attempt", [{ status: 200, json: { started: false } }]);
        fake().script("PUT /v1/sys/generate-root/attempt", [{ status: 200, json: { nonce: "n", otp: OTP, required: 3 } }]);
        fake().script("PUT /v1/sys/generate-root/update", [
            { status: 200, json: { complete: false, progress: 1 } },
            { status: 400, json: { errors: ["fake-bad-key is invalid"] } },
        ]);
        const err = (await generateRoot(fake().address, async (i) => (i === 0 ? "k" : "fake-bad-key"), sayings().say).catch((e: unknown) => e)) as Error;
        expect(err.message).toBe("unseal key 2 was rejected for root token generation (HTTP 400); check the keys and start again");
        expect(fake().lines().at(-1)).toBe("DELETE /v1/sys/generate-root/attempt");
    });
});

test("parseAdminRecord and sameSpec", () => {
    const r = { admin_token: "fake-t", accessor: "a", spec: SPEC };
    expect(parseAdminRecord(`${JSON.stringify(r)}\n`)).toEqual(r);
    for (const bad of [undefined, "", "x", "{}", JSON.stringify({ ...r, admin_token: "" })]) expect(parseAdminRecord(bad)).toBeUndefined();
    expect(sameSpec(SPEC, { ...SPEC })).toBe(true);
    expect(sameSpec(SPEC, { ...SPEC, appPolicy: "other-read" })).toBe(false);
    expect(sameSpec(SPEC, { ...SPEC, appTokenPeriod: "24h" })).toBe(false);
});
