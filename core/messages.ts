import { MANAGED_FILTER, NS } from "./names";

// The one place where a setting is named, a fix command is spelled and an operator-facing error
// is worded. Every message says what is wrong, the value (never a secret one), what is allowed
// and the command that fixes it.

/** A setting as the operator types it: `vault-stack:key`. */
export const setting = (key: string): string => `\`${NS}:${key}\``;

/** The command that sets a plain setting. */
export const fixSet = (key: string, value: string | number): string => `\`pulumi config set ${NS}:${key} ${value}\``;

/** The command that stores a secret setting encrypted. */
export const fixSetSecret = (key: string): string => `\`pulumi config set --secret ${NS}:${key} <value>\``;

/** The command that stores one secret value below a map setting. */
export const fixSetSecretPath = (path: string): string => `\`pulumi config set --secret --path '${NS}:${path}' <value>\``;

/** The command that removes a setting. */
export const fixRm = (key: string): string => `\`pulumi config rm ${NS}:${key}\``;

/** One problem with a setting: `key` (value) what is allowed: how to fix it. The value is left out for secrets. */
export function problem(key: string, value: string | undefined, allowed: string, fix: string): string {
    return `${setting(key)}${value === undefined ? "" : ` (${value})`} ${allowed}: ${fix}`;
}

/** A setting outside the table: probably a typo. */
export const unknownSetting = (key: string, known: readonly string[]): string =>
    problem(key, undefined, `is not a setting of this program (known: ${known.join(", ")})`, `remove it with ${fixRm(key)}`);

/** Text shown in a stored secret the operator has not supplied yet (dev stacks only). */
export const placeholderText = (prefix: string, key: string): string => `${prefix}: not a real value; set it with pulumi config set --secret ${NS}:${key}`;

/** Where to read the keys the stack holds. */
export const SHOW_KEYS = "`pulumi stack output --show-secrets unsealKeys`";

/** Replace anything that looks like key or token material in a server's error text. */
export const redact = (text: string): string => text.replace(/[A-Za-z0-9+/=]{20,}/g, "<redacted>");

/** The server rejected an unseal key: its position, never its value. */
export const keyRejected = (position: number, of: number | undefined, status: number, reason: string): string =>
    `unseal key ${position}${of === undefined ? "" : ` of ${of}`} was rejected (HTTP ${status}: ${redact(reason) || "no reason given"}); ` +
    `progress was reset: check the keys (${SHOW_KEYS}) and start again`;

/** Not enough keys were given. */
export const stillSealed = (progress: number, threshold: number, given: number): string =>
    `still sealed (${progress}/${threshold}): ${threshold} valid keys are needed (${given} given, each from a different share)`;

/** The server is not initialised, so there is nothing to unseal. */
export const notInitialised = (address: string): string =>
    `the server at ${address} is not initialised: run \`npm run up\` (or \`pulumi up\`), which initialises it once`;

/** An initialised server, but no keys in this stack: adopt it with the kept keys. */
export const adoptionNeeded = (address: string): string =>
    `the server at ${address} is already initialised, but this stack holds no unseal keys for it. ` +
    "It will NOT be initialised again (that would need its data wiped). Hand in the keys you kept (step 6 of the playbook): " +
    `\`pulumi config set --secret ${NS}:adoptUnsealKeys '<key1>,<key2>,<key3>'\`, then \`pulumi up\` again; the update makes a short-lived root token from them ` +
    `(a root token you made yourself may be handed in with ${fixSetSecret("adoptRootToken")}; see docs/operations.md, "Adopting a server").`;

/** The handed-in root token does not work on the server. */
export const rootTokenRefused = (status: number): string =>
    `the handed-in root token was refused (HTTP ${status}): check ${setting("adoptRootToken")} (${fixSetSecret("adoptRootToken")})`;

/** The address does not start with a scheme. */
export const badAddress = (address: string): string =>
    `VAULT_ADDR (${address || "unset"}) must start with http:// or https://; with tls_disable = 1 it is http://127.0.0.1:8200`;

/** https:// against the plain listener. */
export const wrongScheme = (address: string): string =>
    `${address} answered plain HTTP to an HTTPS request: with tls_disable = 1 the address is http://, not https://`;

/** Nothing accepts connections at the address. */
export const nothingAnswers = (address: string, code: string): string =>
    `nothing answers at ${address} (${code}): is the container running? \`docker ps -a --filter ${MANAGED_FILTER}\`; if it is gone, \`npm run up\` recreates it`;

/** Any other connection failure. */
export const noAnswer = (address: string, code: string): string =>
    `no answer from ${address} (${code}): is the container running? Check it with \`docker ps -a --filter ${MANAGED_FILTER}\` and its log with \`docker logs <name>\``;

/** The Docker engine does not answer. */
export const NO_DOCKER = "no Docker engine answers (is dockerd running?): `npm run setup` starts it, or `sudo systemctl start docker`";

/** The API port is taken by something other than this stack's container. */
export const portTaken = (port: number, bind: string): string =>
    `port ${port} on ${bind} (setting ${setting("port")}) is already taken by another process: free it (\`ss -ltnp 'sport = :${port}'\` shows who), or pick another: ${fixSet("port", port + 1)}`;

/** The command that re-issues the admin token from a threshold of unseal keys. */
export const GENERATE_ROOT = "`npm run generate-root`";

/** The admin token no longer works (revoked out of band, or unrenewed past its period). */
export const adminTokenLapsed = (accessor: string, status: number): string =>
    `the admin token of this stack (accessor ${accessor || "unknown"}) was refused (HTTP ${status}): it was revoked or it lapsed unrenewed. ` +
    `The initial root token was retired after bootstrap, so re-issue the admin token from a threshold of unseal keys: ${GENERATE_ROOT} ` +
    "(keys from the state, or typed by their holders with `-- --type-keys`), then `npm run up`";

/** The bootstrap needs a working root token and has none. */
export const rootTokenRetired = (status: number, why: string): string =>
    `${why}, which needs a root token, and the root token this stack holds was refused (HTTP ${status}; it is retired after bootstrap): ` +
    `run ${GENERATE_ROOT}, which makes a short-lived one from a threshold of unseal keys, runs the bootstrap with it and revokes it`;

/** A generate-root attempt is already running on the server. */
export const generateRootInProgress = (progress: number, required: number): string =>
    `a root token generation is already in progress on the server (${progress}/${required}), started by someone else: ` +
    "finish it, or cancel it with `vault operator generate-root -cancel`, then run the command again";

/** A sealed server whose shares are held by key holders: the update stops before any Vault resource. */
export const holdersNeeded = (address: string, progress: number, threshold: number, holders: readonly string[], stack: string): string =>
    `the server at ${address} is sealed (unseal progress ${progress}/${threshold}) and its unseal keys are held by ${holders.length} key holders ` +
    `(${holders.join(", ")}): ${threshold} of them must unseal it; nothing on the Vault side was changed. Each holder runs ` +
    `\`npm run -s keys -- --stack ${stack} --holder <name> | gpg --decrypt\` and types the key it prints into \`npm run unseal -- --stack ${stack}\` ` +
    "(not echoed). The unseal that completes the threshold finishes the update by itself when the stack was never configured; otherwise run `npm run up` again";

/** `keyHolders` no longer matches the holders the server was initialised for. */
export const custodyChanged = (have: string, want: string): string =>
    `${setting("keyHolders")} (${want || "none"}) differs from the holders this server's shares were made for at init (${have || "none: the keys are in the state"}). ` +
    "The shares stay as init made them, and this program never initialises again: re-encrypting them to other holders is Vault's rekey " +
    '(`vault operator rekey -init -pgp-keys ...`, see docs/operations.md, "Key custody"), then a new stack adopts the server; or set keyHolders back';

/** The settings name another storage than the stack's data volume holds. */
export const storageSwitch = (volume: string, have: string, want: string): string =>
    `${setting("storage")} (${want}) differs from the storage this stack's data volume ${volume} holds (${have}); nothing was changed. ` +
    `Switching storage in place is refused: the ${have} data would be read as an empty server. To move, take a backup (\`npm run backup\`), ` +
    `then copy the data into a new stack with ${fixSet("storage", want)} with Vault's \`vault operator migrate\` (docs/operations.md, "Changing storage"); ` +
    `or go back with ${fixSet("storage", have)}`;

/** The command that takes a backup of a stack. */
export const backupCommand = (stack: string): string => `\`npm run backup -- --stack ${stack}\``;

/** A file handed to restore is not a backup of this program, or is damaged. */
export const notABackup = (file: string, why: string): string =>
    `${file} is not a usable backup of this program: ${why}. Restore from another backup file (\`ls -l backups/\`), or take a new one with \`npm run backup\``;

/** Backup and restore need the cluster_id, which only an unsealed server reports; nothing was stopped. */
export const needsUnsealed = (what: "back up" | "restore into", stack: string, address: string, state: string): string =>
    `cannot ${what} the stack ${stack}: its server at ${address} is ${state}, and its cluster_id (which every backup records and every restore checks) is only known unsealed. ` +
    `Nothing was stopped or changed. Unseal it first (\`npm run up -- --stack ${stack}\`, or \`npm run unseal -- --stack ${stack}\`), then run the command again`;

/** The backup's storage is not the stack's. */
export const storageMismatch = (file: string, theirs: string, ours: string, stack: string): string =>
    `${file} holds a backup of ${theirs} storage, but the stack ${stack} uses ${ours} storage (setting ${setting("storage")}): ` +
    `a payload of one cannot be restored into the other. Restore it into a stack with ${theirs} storage, or take a backup of this one with ${backupCommand(stack)}`;

/** The backup is of another cluster: only with --force. */
export const otherCluster = (file: string, theirs: string, theirStack: string, ours: string, stack: string): string =>
    `${file} was taken of cluster ${theirs} (stack ${theirStack}), but the server of stack ${stack} is cluster ${ours}: restoring it replaces this cluster's data with another's, ` +
    `which then opens only with the unseal keys of the cluster it came from, and nothing was changed. If that is what you want, run \`npm run restore -- ${file} --stack ${stack} --force\``;

/** After a restore the state's keys do not unseal the server (a backup of another cluster restored with --force). */
export const restoredKeysRefused = (stack: string, safety: string, reason: string): string =>
    `the restored data does not open with the unseal keys of the stack ${stack} (${reason}): it came from another cluster, whose keys unseal it ` +
    `(\`npm run unseal -- --stack ${stack}\` with those keys). To go back, restore the safety copy: \`npm run restore -- ${safety} --stack ${stack} --force\``;

/** The admin token of the state is unknown to the restored data (the backup predates its re-issue). */
export const adminTokenNotRestored = (stack: string, accessor: string, status: number): string =>
    `the data is restored, but it does not know the admin token of the stack ${stack} (accessor ${accessor || "unknown"}, HTTP ${status}): the backup predates its re-issue. ` +
    `Re-issue it from a threshold of unseal keys: \`npm run generate-root -- --stack ${stack}\` (keys from the state, or \`-- --type-keys\`), then \`npm run up -- --stack ${stack}\``;

/** Under key-holder custody the restarted server stays sealed. */
export const holdersUnsealAfter = (what: string, stack: string, threshold: number): string =>
    `${what}; the server was restarted and is sealed: its unseal keys are with the key holders, so ${threshold} of them must run \`npm run unseal -- --stack ${stack}\``;

/** A restore into a stack without a server needs the original keys handed in. */
export const restoreNeedsKeys = (stack: string): string =>
    `the stack ${stack} has no server yet, so the restore makes one from the backup and adopts it, which needs the unseal keys of the cluster the backup came from: ` +
    `${fixSetSecret("adoptUnsealKeys")} (3 or more, separated by commas; add --stack ${stack}), then run the restore again`;

/** A restore into a stack without a server finds a data volume that already holds data. */
export const volumeNotEmpty = (stack: string, volume: string): string =>
    `the stack ${stack} has no server, but its data volume ${volume} already holds data: a restore never overwrites data it cannot back up first. ` +
    `Run \`npm run up -- --stack ${stack}\` to adopt that data, or remove the volume (\`docker volume rm ${volume}\`) if it is not needed, then run the restore again`;
