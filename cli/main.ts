import * as automation from "@pulumi/pulumi/automation";
import { NS } from "../core/names";
import { ensureDocker } from "../core/docker";
import { destroyStack, ensureImage, ensurePortFree, previewDrift, provision } from "./operations";
import { note, openStack } from "./workspace";
import { unsealCommand } from "./unseal";
import { verifyCommand } from "./verify";

const USAGE = `usage: npm run <command> [-- --stack NAME]
  up        provision, initialise, unseal and configure (the whole playbook)
  preview   show what an update would change, with a refresh when the server is unsealed
  destroy   remove the container and network; data and logs volumes are kept
  unseal    unseal after a restart, keys typed without echo or read from stdin
            (the stack's own address; another only with -- --address URL)
  verify    the playbook's verification, exits non-zero when a check fails
  keys      print where the unseal keys and root token are and how to read them`;

async function up(stack: automation.Stack): Promise<void> {
    ensureDocker();
    await ensurePortFree(stack);
    await ensureImage(stack);
    const res = await provision(stack);
    const o = res.outputs;
    note(`
Vault is initialised and unsealed at ${o.address?.value} (UI: ${o.uiUrl?.value}).
The unseal keys, root token and app token are in the stack's encrypted state, never on screen:
  npm run keys   says how to read them (pulumi stack output --show-secrets unsealKeys).
Give each key to a different person (playbook step 6), then delete any local copy.`);
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

function keys(stack: automation.Stack): void {
    note(`The stack ${stack.name} keeps these as encrypted secrets in its state:
  unsealKeys  pulumi stack output --show-secrets unsealKeys --stack ${stack.name}
  rootToken   pulumi stack output --show-secrets rootToken --stack ${stack.name}
  appToken    pulumi stack output --show-secrets appToken --stack ${stack.name}
(with PULUMI_BACKEND_URL=file://.pulumi-state and PULUMI_CONFIG_PASSPHRASE_FILE=.passphrase for the local default).
Distribute the keys outside this host and never store them in a file here.`);
}

async function main(argv: string[]): Promise<void> {
    const cmd = argv[0];
    const flag = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
    const stackName = flag("--stack") ?? process.env.PULUMI_STACK ?? "dev";
    const commands: Record<string, (s: automation.Stack) => Promise<void> | void> = {
        up,
        preview,
        destroy,
        keys,
        unseal: (s) => unsealCommand(s, flag("--address")),
        verify: (s) => verifyCommand(s),
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
