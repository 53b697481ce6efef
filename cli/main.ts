import * as automation from "@pulumi/pulumi/automation";
import { NS } from "../core/names";
import { ensureDocker } from "../core/docker";
import { destroyStack, unsealStack, ensureImage, ensurePortFree, previewDrift, provision } from "./operations";
import { note, openStack } from "./workspace";
import { backupCommand, fromOperator, restoreCommand } from "./backup";
import { generateRootCommand } from "./generateRoot";
import { heldShares, holderShare } from "./holders";
import { verifyCommand } from "./verify";

const USAGE = `usage: npm run <command> [-- --stack NAME]
  up        provision, initialise, unseal and configure (the whole playbook)
  preview   show what an update would change, with a refresh when the server is unsealed
  destroy   remove the container and network; data and logs volumes are kept
  unseal    unseal after a restart, keys typed without echo or read from stdin
            (the stack's own address; another only with -- --address URL)
  verify    the playbook's verification, exits non-zero when a check fails
  keys      print where the unseal keys and tokens are and how to read them
            (-- --holder NAME: that key holder's encrypted share, for gpg --decrypt)
  generate-root  re-issue the admin token with a short-lived root token made from unseal keys
            (the state's, or typed by their holders with -- --type-keys); the root token is revoked
  backup    a consistent copy of the server's data in backups/<stack>-<UTC time>.vsnap (-- --out DIR)
  restore   -- FILE [--force]: restore a backup (a safety copy of the current data first); into a
            stack with no server, with the original keys in adoptUnsealKeys`;

async function up(stack: automation.Stack): Promise<void> {
    ensureDocker();
    await ensurePortFree(stack);
    await ensureImage(stack);
    const res = await provision(stack);
    const o = res.outputs;
    const holders = o.encryptedUnsealKeys?.value as Record<string, string> | undefined | null;
    if (holders !== undefined && holders !== null) {
        note(`
Vault is initialised and unsealed at ${o.address?.value}. Its unseal keys are held by ${Object.keys(holders).length} key holders
(${Object.keys(holders).join(", ")}), each share encrypted to its holder's PGP key; the state holds no plaintext key.
After a restart, a threshold of holders runs \`npm run -s keys -- --holder <name> | gpg --decrypt\` and \`npm run unseal\`.`);
    } else {
        note(`
Vault is initialised and unsealed at ${o.address?.value} (UI: ${o.uiUrl?.value}).
The unseal keys, admin token and app token are in the stack's encrypted state, never on screen
(the initial root token is revoked; \`npm run generate-root\` makes a short-lived one when needed):
  npm run keys   says how to read them (pulumi stack output --show-secrets unsealKeys).
Give each key to a different person (playbook step 6), then delete any local copy.`);
    }
    const placeholders = (o.placeholders?.value ?? []) as string[];
    if (placeholders.length > 0) {
        note(
            `Dev placeholders stored for: ${placeholders.join(", ")}. Set real values with \`pulumi config set --secret ${NS}:<key> <value>\`, then \`npm run up\`.`,
        );
    }
}

async function preview(stack: automation.Stack): Promise<void> {
    await previewDrift(stack);
}

async function destroy(stack: automation.Stack): Promise<void> {
    await destroyStack(stack);
    note("Destroyed. The data and logs volumes were kept; `npm run up` with the same keys brings the server back.");
}

async function keys(stack: automation.Stack, holder: string | undefined): Promise<void> {
    if (holder !== undefined) {
        process.stdout.write(await holderShare(stack, holder));
        return;
    }
    const shares = await heldShares(stack);
    if (shares !== undefined) {
        note(`The stack ${stack.name} keeps no unseal key: each of its ${Object.keys(shares).length} key holders has a share
encrypted by Vault to their PGP key (${Object.keys(shares).join(", ")}). A holder decrypts theirs with
  npm run -s keys -- --stack ${stack.name} --holder <name> | gpg --decrypt
and types the key it prints into \`npm run unseal -- --stack ${stack.name}\` (not echoed). The tokens:
  adminToken  pulumi stack output --show-secrets adminToken --stack ${stack.name}  (this program's own, scoped identity)
  appToken    pulumi stack output --show-secrets appToken --stack ${stack.name}
No root token is kept: \`npm run generate-root -- --type-keys\` makes a short-lived one from keys the holders type.`);
        return;
    }
    note(`The stack ${stack.name} keeps these as encrypted secrets in its state:
  unsealKeys  pulumi stack output --show-secrets unsealKeys --stack ${stack.name}
  adminToken  pulumi stack output --show-secrets adminToken --stack ${stack.name}  (this program's own, scoped identity)
  appToken    pulumi stack output --show-secrets appToken --stack ${stack.name}
(with PULUMI_BACKEND_URL=file://.pulumi-state and PULUMI_CONFIG_PASSPHRASE_FILE=.passphrase for the local default).
Distribute the keys outside this host and never store them in a file here.
No root token is kept: the initial one is revoked after bootstrap. \`npm run generate-root\` makes a
short-lived one from a threshold of keys to re-issue a lapsed admin token, and revokes it.`);
}

async function main(argv: string[]): Promise<void> {
    const cmd = argv[0];
    const flag = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
    // Words that are neither a flag nor a flag's value: restore's FILE.
    const valued = new Set(["--stack", "--holder", "--address", "--out"]);
    const positional = argv.slice(1).filter((a, i, all) => !a.startsWith("--") && !(i > 0 && valued.has(all[i - 1]!)));
    const out = flag("--out");
    const outDir = out === undefined ? undefined : fromOperator(out);
    const stackName = flag("--stack") ?? process.env.PULUMI_STACK ?? "dev";
    const commands: Record<string, (s: automation.Stack) => Promise<void> | void> = {
        up,
        preview,
        destroy,
        keys: (s) => keys(s, flag("--holder")),
        unseal: (s) => unsealStack(s, flag("--address")),
        verify: (s) => verifyCommand(s),
        "generate-root": (s) => generateRootCommand(s, argv.includes("--type-keys") ? "typed" : "state"),
        backup: async (s) => void (await backupCommand(s, { outDir })),
        restore: (s) => restoreCommand(s, positional[0] === undefined ? undefined : fromOperator(positional[0]), { outDir, force: argv.includes("--force") }),
    };
    const run = cmd === undefined ? undefined : commands[cmd];
    if (run === undefined) {
        note(USAGE);
        process.exitCode = 2;
        return;
    }
    const stack = await openStack({ stackName });
    await run(stack);
}

main(process.argv.slice(2)).catch((err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    note(`\nerror: ${msg}`);
    process.exitCode = 1;
});
