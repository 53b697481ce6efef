import * as fs from "fs";
import * as path from "path";
import { armorMessage, dearmor, fixHolder, isPgpPublicKey, parseKeyHolders } from "./keyHolders";
import { setting } from "./messages";

// Key holders as the operator sets them: a real public key made by GnuPG (the fixture; its private
// key was thrown away), in armored and in base64 form; and the problems each gets a message for.

const ARMORED = fs.readFileSync(path.join(__dirname, "..", "tests", "fixtures", "fake-holder.pub.asc"), "utf8");
const B64 = dearmor(ARMORED);

const collect = (raw: unknown): { holders: ReturnType<typeof parseKeyHolders>; errors: string[] } => {
    const errors: string[] = [];
    const holders = parseKeyHolders(typeof raw === "string" ? raw : JSON.stringify(raw), errors);
    return { holders, errors };
};

describe("dearmor and isPgpPublicKey", () => {
    test("the armored key yields its binary key, a public-key packet, without the CRC line", () => {
        expect(B64.startsWith("mQEN")).toBe(true);
        expect(isPgpPublicKey(B64)).toBe(true);
        const crcLine = ARMORED.trim().split("\n").slice(-2)[0]!;
        expect(crcLine).toMatch(/^=[A-Za-z0-9+/]{4}$/);
        expect(B64.endsWith(crcLine.slice(1))).toBe(false);
        expect(Buffer.from(B64, "base64").toString("base64")).toBe(B64);
        // `gpg --export | base64` wraps lines: white space is dropped.
        expect(dearmor(B64.replace(/(.{76})/g, "$1\n"))).toBe(B64);
    });

    test.each([
        ["not base64", "not a key!"],
        ["a PGP message, not a key", armorMessage(Buffer.from("fake").toString("base64"))],
        ["too short", "mQEN"],
        ["bytes without a packet header", Buffer.alloc(32, 1).toString("base64")],
    ])("refuses %s", (_name, text) => {
        expect(isPgpPublicKey(dearmor(text))).toBe(false);
    });
});

describe("armorMessage", () => {
    test("wraps at 64 columns and ends with OpenPGP's CRC-24 (check value of '123456789' is 0x21CF02)", () => {
        const armored = armorMessage(Buffer.from("123456789").toString("base64"));
        expect(armored.split("\n")).toEqual(["-----BEGIN PGP MESSAGE-----", "", "MTIzNDU2Nzg5", "=Ic8C", "-----END PGP MESSAGE-----", ""]);
        const long = armorMessage(Buffer.alloc(100, 7).toString("base64"));
        expect(long.split("\n")[2]).toHaveLength(64);
    });
});

describe("parseKeyHolders", () => {
    test("absent: keys in the state, no holders", () => {
        expect(collect(undefined as unknown as string)).toEqual({ holders: [], errors: [] });
        const errors: string[] = [];
        expect(parseKeyHolders(undefined, errors)).toEqual([]);
        expect(errors).toEqual([]);
    });

    test("armored and base64 keys are both taken, as base64 of the binary key, in order", () => {
        const { holders, errors } = collect([
            { name: "alice", pgpKey: ARMORED },
            { name: "bob@example.invalid", pgpKey: B64 },
        ]);
        expect(errors).toEqual([]);
        expect(holders).toEqual([
            { name: "alice", pgpKey: B64 },
            { name: "bob@example.invalid", pgpKey: B64 },
        ]);
    });

    test("every problem is named with the entry, the value (public, shortened) and the commands that fix it", () => {
        const { holders, errors } = collect([
            { name: "alice", pgpKey: B64 },
            { name: "alice", pgpKey: B64 },
            { pgpKey: B64 },
            { name: "carol", pgpKey: "bm90IGEga2V5IGF0IGFsbA==" },
        ]);
        expect(holders).toHaveLength(1);
        expect(errors).toEqual([
            `${setting("keyHolders[1]")}.name (alice) names a holder twice: each share goes to a different holder: set it with ${fixHolder(1)}`,
            `${setting("keyHolders[2]")}.name (missing) must be 1 to 64 letters, digits, '.', '_', '@' or '-': set it with ${fixHolder(2)}`,
            `${setting("keyHolders[3]")}.pgpKey of carol (bm90IGEga2V5...) is not a PGP public key (base64 of \`gpg --export\`, or its --armor form): set it with ${fixHolder(3)}`,
        ]);
        expect(fixHolder(3)).toContain("pulumi config set --path 'vault-stack:keyHolders[3].pgpKey'");
    });

    test.each([
        ["a plain string", "alice"],
        ["an empty list", "[]"],
        ["a map", '{"alice":"x"}'],
    ])("%s is refused as a whole", (_n, raw) => {
        const { errors } = collect(raw);
        expect(errors).toEqual([`${setting("keyHolders")} must be a list of { name, pgpKey }, one per unseal key share: set each with ${fixHolder(0)}`]);
    });
});
