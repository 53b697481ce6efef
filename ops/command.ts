import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** The project root. */
const ROOT = path.resolve(__dirname, "..");

/** Where tsc puts the compiled adapter (tsconfig.ops.json). */
export const OPS_MAIN = path.join(ROOT, "bin", "ops", "ops", "main.js");

/** What the command resources may ask the adapter to do. */
export type OpsMode = "init" | "unseal" | "status" | "read" | "hostcheck" | "bootstrap" | "renew";

/** Newest modification time of the TypeScript sources below a folder. */
function newestSource(dir: string): number {
    return fs.readdirSync(dir, { withFileTypes: true }).reduce((t, e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return Math.max(t, newestSource(p));
        return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? Math.max(t, fs.statSync(p).mtimeMs) : t;
    }, 0);
}

/**
 * Compile the adapter when it is missing or older than its sources (`npm run build` does the
 * same), so a plain `pulumi up` after an edit never runs stale code.
 */
export function ensureOpsBuilt(): void {
    const built = fs.existsSync(OPS_MAIN) ? fs.statSync(OPS_MAIN).mtimeMs : 0;
    if (built >= Math.max(newestSource(path.join(ROOT, "core")), newestSource(path.join(ROOT, "ops")))) {
        return;
    }
    const tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
    execFileSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.ops.json")], { stdio: ["ignore", "ignore", "inherit"] });
    // tsc leaves an unchanged file's time alone; mark the build as current.
    const now = new Date();
    fs.utimesSync(OPS_MAIN, now, now);
}

/** The shell-free command line that runs the adapter in a mode; no secret is ever part of it. */
export function opsCommand(mode: OpsMode): string {
    ensureOpsBuilt();
    return `"${process.execPath}" "${OPS_MAIN}" ${mode}`;
}
