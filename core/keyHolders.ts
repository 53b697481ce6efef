import { NS } from "./names";
import { setting } from "./messages";
import { jsonList } from "./settings";

// Key-holder custody: one holder per unseal key share, each with a PGP public key. Vault encrypts
// each share to its holder's key at init (`pgp_keys`), so no plaintext share ever leaves the server.

/** One key holder: a name and a PGP public key as base64 of the binary key (what Vault's `pgp_keys` takes). */
export interface KeyHolder {
    readonly name: string;
    readonly pgpKey: string;
}

/** A holder's name: how the operator and the outputs refer to them. */
export const HOLDER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

/** The commands that set holder `i`. */
export const fixHolder = (i: number): string =>
    `\`pulumi config set --path '${NS}:keyHolders[${i}].name' <name>\` and ` +
    `\`pulumi config set --path '${NS}:keyHolders[${i}].pgpKey' "$(gpg --export <their key id> | base64 -w0)"\``;

/**
 * The binary key inside an ASCII-armored block (`gpg --armor --export`), as base64; or the text
 * itself, without white space, when it is not armored.
 */
export function dearmor(text: string): string {
    const t = text.trim();
    if (!t.startsWith("-----BEGIN PGP")) return t.replace(/\s+/g, "");
    const lines = t.split(/\r?\n/).map((l) => l.trim());
    const end = lines.findIndex((l) => l.startsWith("-----END PGP"));
    const body = lines.slice(1, end < 0 ? lines.length : end);
    // Armor headers ("Comment: ...") end at the first blank line, when there are any.
    const blank = body.indexOf("");
    const data = body.slice(blank >= 0 && body.slice(0, blank).every((l) => l.includes(":")) ? blank + 1 : 0);
    // The last line "=XXXX" is the armor's CRC-24, not key data.
    return data.filter((l) => l !== "" && !/^=[A-Za-z0-9+/]{4}$/.test(l)).join("");
}

/** Whether base64 text decodes to an OpenPGP public-key packet (tag 6, old or new packet format). */
export function isPgpPublicKey(b64: string): boolean {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return false;
    const bytes = Buffer.from(b64, "base64");
    if (bytes.length < 16) return false;
    const first = bytes[0]!;
    if ((first & 0x80) === 0) return false;
    const tag = (first & 0x40) !== 0 ? first & 0x3f : (first >> 2) & 0x0f;
    return tag === 6;
}

/** Parse `keyHolders` (JSON text of a list of { name, pgpKey }); every problem goes to `errors`. */
export function parseKeyHolders(raw: string | undefined, errors: string[]): KeyHolder[] {
    if (raw === undefined) return [];
    const parsed = jsonList(raw);
    if (parsed === undefined || parsed.length === 0) {
        errors.push(`${setting("keyHolders")} must be a list of { name, pgpKey }, one per unseal key share: set each with ${fixHolder(0)}`);
        return [];
    }
    const holders: KeyHolder[] = [];
    const seen = new Set<string>();
    parsed.forEach((entry: unknown, i) => {
        const where = setting(`keyHolders[${i}]`);
        const e = (typeof entry === "object" && entry !== null ? entry : {}) as { name?: unknown; pgpKey?: unknown };
        const name = typeof e.name === "string" ? e.name.trim() : "";
        if (!HOLDER_NAME_RE.test(name)) {
            errors.push(`${where}.name (${name || "missing"}) must be 1 to 64 letters, digits, '.', '_', '@' or '-': set it with ${fixHolder(i)}`);
            return;
        }
        if (seen.has(name)) {
            errors.push(`${where}.name (${name}) names a holder twice: each share goes to a different holder: set it with ${fixHolder(i)}`);
            return;
        }
        seen.add(name);
        const key = typeof e.pgpKey === "string" ? dearmor(e.pgpKey) : "";
        if (!isPgpPublicKey(key)) {
            const shown = key === "" ? "missing" : `${key.slice(0, 12)}...`;
            errors.push(
                `${where}.pgpKey of ${name} (${shown}) is not a PGP public key (base64 of \`gpg --export\`, or its --armor form): set it with ${fixHolder(i)}`,
            );
            return;
        }
        holders.push({ name, pgpKey: key });
    });
    return holders;
}

/** OpenPGP's CRC-24 of the armor checksum line (RFC 4880, 6.1). */
function crc24(data: Buffer): number {
    let crc = 0xb704ce;
    for (const byte of data) {
        crc ^= byte << 16;
        for (let i = 0; i < 8; i++) {
            crc <<= 1;
            if (crc & 0x1000000) crc ^= 0x1864cfb;
        }
    }
    return crc & 0xffffff;
}

/** A share as Vault encrypted it (base64 of a binary PGP message), ASCII-armored for `gpg --decrypt`. */
export function armorMessage(b64: string): string {
    const data = Buffer.from(b64, "base64");
    const body = data.toString("base64").match(/.{1,64}/g) ?? [];
    const crc = Buffer.from([crc24(data) >> 16, (crc24(data) >> 8) & 0xff, crc24(data) & 0xff]).toString("base64");
    return ["-----BEGIN PGP MESSAGE-----", "", ...body, `=${crc}`, "-----END PGP MESSAGE-----", ""].join("\n");
}
