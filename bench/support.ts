import { execFileSync } from "child_process";
import { performance } from "perf_hooks";
import * as path from "path";
import { ScratchStack, serverImage, trySh } from "../tests/support/stack";

// The benchmark's own helpers: timing, the program's scratch stacks and the baseline script.

/** Runs per row. */
export const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Extra-path counts, one set of rows each. */
export const SIZES = (process.env.BENCH_SIZES ?? "0,50,500").split(",").map(Number);
/** The plain docker+curl script the program is compared with. */
export const BASELINE = path.join(__dirname, "baseline.sh");

/** One row of the table: the program's and the baseline's times in seconds. */
export interface Row {
    readonly name: string;
    readonly program: number[];
    readonly baseline: number[];
}

/** Median of the times. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Seconds with two decimals. */
export const fmt = (s: number): string => s.toFixed(2);

/** Seconds one call takes. */
export async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
    const t0 = performance.now();
    await fn();
    return (performance.now() - t0) / 1000;
}

export function extraSecretsOf(n: number): string {
    const m: Record<string, unknown> = {};
    for (let i = 1; i <= n; i++) m[`extra/p${i}`] = { fields: { value: `fake-bench-${i}` }, appCanRead: false };
    return JSON.stringify(m);
}

/** A scratch stack of the program with fake secrets and `extra` extra paths. */
export async function programStack(extra: number): Promise<ScratchStack> {
    const ts = await ScratchStack.create("bench");
    for (const k of ["openrouterApiKey", "telegramBotToken", "telegramChatId", "githubToken"]) await ts.set(k, `fake-bench-${k}`, true);
    if (extra > 0) await ts.set("extraSecrets", extraSecretsOf(extra), true);
    return ts;
}

/** Seconds one run of the baseline script takes. */
export async function baselineRun(mode: "cold" | "check", name: string, port: number, extra: number): Promise<number> {
    return timed(() => execFileSync("bash", [BASELINE, mode, name, serverImage(), String(port), String(extra)], { stdio: "inherit" }));
}

/** The container's memory use as Docker reports it. */
export function containerMemory(name: string): string {
    return trySh("docker", ["stats", "--no-stream", "--format", "{{.MemUsage}}", name])?.trim() ?? "n/a";
}
