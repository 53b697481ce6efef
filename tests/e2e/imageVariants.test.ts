import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TestStack, preflight, serverImage, sh, trySh } from "./harness";

// The start command against images laid out unlike the locally built one: the official 1.x
// images have no /vault/data (a fresh volume there belongs to root), and images that start as a
// non-root user (Vault 2.x) cannot chown. Each variant is made from the suite's server image.

const VARIANTS = {
    /** Starts as root, no /vault/data in the image: the fresh data volume is root-owned. */
    rootNoData: "vault-stack-e2e/root-no-data:1",
    /** Starts as the vault user, /vault/data present and owned by it. */
    nonRoot: "vault-stack-e2e/non-root:1",
    /** Starts as the vault user, no /vault/data: the fresh volume is root-owned and not writable. */
    nonRootNoData: "vault-stack-e2e/non-root-no-data:1",
};

const stacks: TestStack[] = [];
let work: string;

/** A fresh stack on a variant image with placeholder secrets. */
async function stackOn(image: string): Promise<TestStack> {
    const ts = await TestStack.create("img");
    stacks.push(ts);
    await ts.set("devPlaceholders", "true");
    await ts.set("image", image);
    return ts;
}

beforeAll(() => {
    preflight();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "vault-stack-variants-"));
    // One export without /vault/data, imported with the image's start settings; the non-root
    // variants only add a USER line (a build with no RUN step, so nothing runs or is pulled).
    const noData = path.join(work, "no-data.tar");
    const cid = sh("docker", ["create", serverImage()]).trim();
    try {
        sh("docker", ["export", "-o", noData, cid]);
    } finally {
        sh("docker", ["rm", "-f", cid]);
    }
    sh("tar", ["--delete", "--wildcards", "-f", noData, "vault/data*"]);
    const config = ['ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]', 'CMD ["server"]', "ENV PATH=/usr/local/bin:/bin:/sbin"];
    sh("docker", ["import", ...config.flatMap((c) => ["--change", c]), noData, VARIANTS.rootNoData]);
    const asVault = (from: string, tag: string): void => {
        sh("docker", ["build", "-q", "-t", tag, "-"], { input: `FROM ${from}\nUSER vault\n` });
    };
    asVault(serverImage(), VARIANTS.nonRoot);
    asVault(VARIANTS.rootNoData, VARIANTS.nonRootNoData);
    // The variants are what they claim.
    const hasData = (image: string): boolean => trySh("docker", ["run", "--rm", "--entrypoint", "/bin/sh", image, "-c", "test -e /vault/data"]) !== undefined;
    expect([hasData(VARIANTS.rootNoData), hasData(VARIANTS.nonRoot), hasData(VARIANTS.nonRootNoData)]).toEqual([false, true, false]);
});

afterAll(async () => {
    for (const ts of stacks) expect(await ts.cleanup()).toEqual([]);
    for (const image of Object.values(VARIANTS)) trySh("docker", ["rmi", "-f", image]);
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
});

test("official layout (root, no /vault/data): the root-owned fresh volume is chowned and the server runs as vault; then a non-root image takes over the volume", async () => {
    const ts = await stackOn(VARIANTS.rootNoData);
    expect((await ts.up()).summary.result).toBe("succeeded");
    expect(sh("docker", ["exec", ts.containerName, "stat", "-c", "%U", "/vault/data"]).trim()).toBe("vault");
    expect(sh("docker", ["inspect", "--format", "{{json .Config.Env}}", ts.containerName])).toContain("SKIP_SETCAP=true");
    expect((await ts.api("GET", "/v1/sys/seal-status")).json).toMatchObject({ initialized: true, sealed: false });

    // An image whose default user is not root: no chown, and it starts on the same volume.
    await ts.set("image", VARIANTS.nonRoot);
    expect((await ts.up()).summary.result).toBe("succeeded");
    expect(sh("docker", ["inspect", "--format", "{{.Config.User}}", ts.containerName]).trim()).toBe("vault");
    expect(sh("docker", ["exec", ts.containerName, "id", "-un"]).trim()).toBe("vault");
    expect((await ts.api("GET", "/v1/sys/seal-status")).json).toMatchObject({ initialized: true, sealed: false });
});

test("non-root image on a root-owned fresh volume: stops with a message naming the user, not a chown loop", async () => {
    const ts = await stackOn(VARIANTS.nonRootNoData);
    const uid = sh("docker", ["run", "--rm", "--entrypoint", "id", VARIANTS.nonRootNoData, "-u"]).trim();
    (ts.stack.workspace as unknown as { envVars: Record<string, string> }).envVars.VAULT_WAIT_SECONDS = "15";
    const err = await ts.up().catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const expected = `vault-stack: the server runs as vault (uid ${uid}), not root, and cannot write /vault/data`;
    const logs = sh("sh", ["-c", `docker logs ${ts.containerName} 2>&1`]);
    expect(`${String(err)}\n${logs}`).toContain(expected);
    expect(logs).not.toMatch(/chown: .*Operation not permitted/);
});
