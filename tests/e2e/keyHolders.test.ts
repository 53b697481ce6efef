import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { holderShare } from "../../cli/holders";
import { unsealStack } from "../../cli/operations";
import { initRecordFile } from "../../core/names";
import { TestStack, filesUnder, findLeaks, preflight, readKv, sh, waitFor } from "./harness";

// Key-holder custody with 5 real PGP keys made by GnuPG, threshold 3: init encrypts each share to
// its holder, the update stops at the sealed server naming the holders, three holders decrypt
// their shares with gpg and unseal (which finishes the first update), a restart seals it again
// and three other holders unseal it. The state, with its secrets decrypted, holds no plaintext key.

const HOLDERS = ["holder1", "holder2", "holder3", "holder4", "holder5"];
let ts: TestStack;
let gnupgHome: string;
/** Every plaintext share, decrypted by its holder's gpg (for unsealing and for the leak scan). */
const plainKeys: Record<string, string> = {};
let recordText = "";

const gpg = (args: string[], input?: string): string =>
    sh("gpg", ["--homedir", gnupgHome, "--batch", "--quiet", ...args], input === undefined ? {} : { input });

/** What a holder does: their armored share from `npm run -s keys -- --holder NAME`, through `gpg --decrypt`. */
async function decryptShare(name: string): Promise<string> {
    const armored = await holderShare(ts.stack, name);
    expect(armored.startsWith("-----BEGIN PGP MESSAGE-----\n")).toBe(true);
    const key = gpg(["--decrypt"], armored).trim();
    plainKeys[name] = key;
    ts.secrets.add(key);
    return key;
}

beforeAll(async () => {
    preflight();
    // A short path: gpg-agent's socket lives in it.
    gnupgHome = fs.mkdtempSync(path.join(os.tmpdir(), "gpg-"));
    fs.chmodSync(gnupgHome, 0o700);
    const params = HOLDERS.map(
        (h) =>
            `Key-Type: RSA\nKey-Length: 2048\nSubkey-Type: RSA\nSubkey-Length: 2048\nName-Real: ${h}\nName-Email: ${h}@example.invalid\nExpire-Date: 0\n%no-protection\n%commit\n`,
    ).join("");
    gpg(["--gen-key"], params);
    ts = await TestStack.create("holders");
    await ts.set("devPlaceholders", "true");
    for (const [i, h] of HOLDERS.entries()) {
        await ts.stack.setConfig(`vault-stack:keyHolders[${i}].name`, { value: h }, true);
        // As an operator would: `gpg --armor --export` (the program takes the armored form too).
        await ts.stack.setConfig(`vault-stack:keyHolders[${i}].pgpKey`, { value: gpg(["--armor", "--export", `${h}@example.invalid`]) }, true);
    }
});

afterAll(async () => {
    if (ts !== undefined) expect(await ts.cleanup()).toEqual([]);
    sh("gpgconf", ["--homedir", gnupgHome, "--kill", "gpg-agent"]);
    fs.rmSync(gnupgHome, { recursive: true, force: true });
});

test("1. the first up initialises with shares encrypted to the holders, and stops at the sealed server naming them", async () => {
    const r = ts.cliUp();
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(
        `is sealed (unseal progress 0/3) and its unseal keys are held by 5 key holders (${HOLDERS.join(", ")}): 3 of them must unseal it`,
    );
    expect(r.output).toContain(`npm run -s keys -- --stack ${ts.name} --holder <name> | gpg --decrypt`);
    expect((await ts.api("GET", "/v1/sys/seal-status")).json).toMatchObject({ initialized: true, sealed: true, n: 5, t: 3 });
    // It stopped before any Vault resource: the state holds the Docker side and the init only.
    const types = ts.stateWithSecrets().resources.map((r) => r.type);
    expect(types).toContain("command:local:Command");
    expect(types.filter((t) => t.startsWith("vault:"))).toEqual([]);
    // The state holds the encrypted shares: the init record has done its job.
    const file = initRecordFile(ts.name);
    recordText = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    expect(recordText).toBe("");
    // Another up while sealed stops the same way, and never initialises again.
    const again = ts.cliUp();
    expect(again.status).not.toBe(0);
    expect(again.output).toContain("3 of them must unseal it");
    expect((sh("sh", ["-c", `docker logs ${ts.containerName} 2>&1`]).match(/security barrier initialized/g) ?? []).length).toBe(1);
});

test("2. three holders decrypt their shares with gpg and unseal; that finishes the first update with no other step", async () => {
    const keys = [await decryptShare("holder1"), await decryptShare("holder3"), await decryptShare("holder5")];
    // A decrypted share is a working unseal key (hex), not the encrypted text.
    expect(keys.every((k) => /^[0-9a-f]{60,}$/.test(k))).toBe(true);
    await ts.capture(() => unsealStack(ts.stack, undefined, ts.sink, async (i) => keys[i]));
    const o = await ts.outputs();
    expect(o.unsealKeys).toEqual([]);
    expect(Object.keys(o.encryptedUnsealKeys as Record<string, string>)).toEqual(HOLDERS);
    expect(typeof o.adminTokenAccessor).toBe("string");
    [o.adminToken, o.appToken].forEach((t) => ts.secrets.add(t as string));
    const root = ts.initialRootToken();
    ts.secrets.add(root);
    expect((await ts.api("GET", "/v1/auth/token/lookup-self", root)).status).toBe(403);
    expect((await readKv(ts, o.appToken as string, "openrouter")).status).toBe(200);
    expect((await ts.api("GET", "/v1/sys/seal-status")).json).toMatchObject({ sealed: false });
});

test("3. after a restart the update stops again; three other holders unseal; the next up is clean", async () => {
    sh("docker", ["restart", ts.containerName]);
    await waitFor("the restarted server", 60, async () => (await ts.api("GET", "/v1/sys/seal-status")).status === 200);
    const r = ts.cliUp();
    expect(r.status).not.toBe(0);
    expect(r.output).toContain("is sealed (unseal progress 0/3)");
    const keys = [await decryptShare("holder2"), await decryptShare("holder4"), await decryptShare("holder1")];
    await ts.capture(() => unsealStack(ts.stack, undefined, ts.sink, async (i) => keys[i]));
    await ts.capture(() => ts.stack.up({ refresh: true, expectNoChanges: true, onOutput: ts.sink, color: "never" }));
    const o = await ts.outputs();
    expect((await readKv(ts, o.appToken as string, "telegram")).status).toBe(200);
});

test("4. no plaintext share anywhere: the state (decrypted too), its history, the stack file, the record, every output and log", async () => {
    await decryptShare("holder4");
    await decryptShare("holder5");
    expect(Object.keys(plainKeys).sort()).toEqual(HOLDERS);
    const texts: Record<string, string> = {};
    for (const f of filesUnder(path.join(ts.dir, "state"))) texts[f] = fs.readFileSync(f, "utf8");
    texts["state with its secrets decrypted"] = JSON.stringify(ts.stateWithSecrets());
    texts["stack file"] = fs.readFileSync(path.join(ts.workDir, `Pulumi.${ts.name}.yaml`), "utf8");
    texts["init record"] = recordText;
    texts["outputs"] = JSON.stringify(await ts.outputs());
    texts["engine output"] = ts.log.join("\n");
    texts["container"] = sh("docker", ["inspect", ts.containerName]);
    // The plaintext keys are nowhere, even where secrets are shown decrypted; the tokens are only
    // in the decrypted state and its outputs.
    const keyLeaks = findLeaks(Object.values(plainKeys), texts);
    expect(keyLeaks).toEqual([]);
    const { ["state with its secrets decrypted"]: _s, outputs: _o, ...plainTexts } = texts;
    expect(findLeaks(ts.secrets, plainTexts)).toEqual([]);
    // The scan can fail: a planted key is found.
    expect(findLeaks([plainKeys.holder1!], { planted: `x${plainKeys.holder1}x` })).toHaveLength(1);
});
