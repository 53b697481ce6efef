import { fixSetSecretPath, setting } from "./messages";
import { EXTRA_PATH_RE, FIXED_SECRET_PATHS, resourceSuffix } from "./secretPaths";

/** One extra KV path from `extraSecrets`: its fields (secret values) and whether the app token may read it. */
export interface ExtraSecret {
    readonly fields: Readonly<Record<string, string>>;
    readonly appCanRead: boolean;
}

/** Parse the `extraSecrets` map (JSON text); every problem goes to `errors`, never a value. */
export function parseExtraSecrets(raw: string | undefined, errors: string[]): Record<string, ExtraSecret> {
    if (raw === undefined) {
        return {};
    }
    const fix = fixSetSecretPath("extraSecrets.myapp.fields.api_key");
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        errors.push(`${setting("extraSecrets")} is not a map of paths: set it with ${fix}`);
        return {};
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        errors.push(`${setting("extraSecrets")} must be a map of path to { fields, appCanRead }: set it with ${fix}`);
        return {};
    }
    const result: Record<string, ExtraSecret> = {};
    // Each path's resource name must be its own, or two paths would be one resource.
    const bySuffix = new Map<string, string>();
    for (const [path, entry] of Object.entries(parsed as Record<string, unknown>)) {
        const where = setting(`extraSecrets.${path}`);
        if (!EXTRA_PATH_RE.test(path)) {
            errors.push(
                `${where}: the path "${path}" is not allowed: use 1 to 8 segments of letters, digits, '-' or '_' separated by '/', e.g. ${fix.replace("myapp", "team/app")}`,
            );
            continue;
        }
        const top = path.split("/")[0]!;
        if ((FIXED_SECRET_PATHS as readonly string[]).includes(top)) {
            errors.push(`${where}: the path "${path}" collides with the playbook's secret/${top}; choose another path`);
            continue;
        }
        const other = bySuffix.get(resourceSuffix(path));
        if (other !== undefined) {
            errors.push(
                `${where} and ${setting(`extraSecrets.${other}`)} would be the same resource (vault-${resourceSuffix(path)}): rename one of them, e.g. with '_' instead of '-'`,
            );
            continue;
        }
        bySuffix.set(resourceSuffix(path), path);
        const e = (entry ?? {}) as { fields?: unknown; appCanRead?: unknown };
        const fields = e.fields;
        if (typeof fields !== "object" || fields === null || Array.isArray(fields) || Object.keys(fields).length === 0) {
            errors.push(`${where} has no fields: set at least one with ${fix.replace("myapp", path)}`);
            continue;
        }
        const clean: Record<string, string> = {};
        for (const [field, value] of Object.entries(fields as Record<string, unknown>)) {
            if (field.trim() === "") {
                errors.push(`${where} has an empty field name: every field needs a name`);
            } else if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
                errors.push(`${where}.fields.${field} must be a string value`);
            } else {
                clean[field] = String(value);
            }
        }
        if (e.appCanRead !== undefined && typeof e.appCanRead !== "boolean") {
            errors.push(`${where}.appCanRead must be true or false`);
        }
        result[path] = { fields: clean, appCanRead: e.appCanRead === true };
    }
    return result;
}
