import { placeholderText } from "./messages";

/** The playbook's five KV paths under `secret/`, each with exactly its fields (step 10). */
export const SECRET_FIELDS = {
    openrouter: ["api_key"],
    telegram: ["bot_token", "chat_id"],
    github: ["token"],
    database: ["host", "port", "name", "user", "password"],
    cockpit: ["jwt_secret", "admin_password"],
} as const;

/** The five fixed path names, in the playbook's order. */
export const FIXED_SECRET_PATHS = Object.keys(SECRET_FIELDS) as (keyof typeof SECRET_FIELDS)[];

/** Allowed extra path: 1 to 8 segments of letters, digits, '-' or '_', separated by '/'. */
export const EXTRA_PATH_RE = /^[A-Za-z0-9_-]{1,64}(\/[A-Za-z0-9_-]{1,64}){0,7}$/;

/** The part of a secret's resource name that comes from its KV path ('/' becomes '-'). */
export function resourceSuffix(path: string): string {
    return path.replace(/\//g, "-");
}

/** Paths whose fields this program may generate, so an adopted server's stored values are read first. */
export const GENERATED_PATHS = ["database", "cockpit"];

/** Marker stored instead of a credential the operator has not supplied (dev stacks only). */
export const PLACEHOLDER_PREFIX = "DEV-PLACEHOLDER";

/** The placeholder text for a credential that was not supplied, naming the command that sets it. */
export function placeholderFor(configKey: string): string {
    return placeholderText(PLACEHOLDER_PREFIX, configKey);
}
