// Named fault-injection points for the crash windows no outside test can hit: off unless the
// environment variable names the point. A test switches one on for one update.

/** The environment variable that names the active fault point. */
export const FAULT_ENV = "VAULT_STACK_FAULT";

/** Where a crash can be injected around the one-time init. */
export type FaultPoint = "before-init-request" | "after-init-response" | "after-record-written" | "after-command-returns";

/** Every fault point, in the order they are passed. */
export const FAULT_POINTS: readonly FaultPoint[] = ["before-init-request", "after-init-response", "after-record-written", "after-command-returns"];

/** Whether the named point is switched on. */
export function faultOn(point: FaultPoint): boolean {
    return process.env[FAULT_ENV] === point;
}

/** At a switched-on point: say so, then kill `pid` (this process by default) with SIGKILL, as a crash would. */
export function crashAt(point: FaultPoint, say: (m: string) => void, pid: number = process.pid): void {
    if (!faultOn(point)) return;
    say(`fault injection: ${point}: killing process ${pid}`);
    process.kill(pid, "SIGKILL");
}

/** The nearest ancestor process whose command name is `name` (Linux /proc), or undefined. */
export function ancestorNamed(name: string, from: number = process.ppid): number | undefined {
    const fs = require("fs") as typeof import("fs");
    for (let pid = from, hops = 0; pid > 1 && hops < 32; hops++) {
        let stat: string;
        try {
            stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        } catch {
            return undefined;
        }
        // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        if (comm === name) return pid;
        pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    }
    return undefined;
}
