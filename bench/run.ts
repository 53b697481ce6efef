import { execFileSync } from "child_process";
import { BASELINE, RUNS, Row, SIZES, baselineRun, containerMemory, fmt, median, programStack, timed } from "./support";
import { freePort, preflight, serverImage, trySh } from "../tests/support/stack";

// The benchmark: cold up, no-op up and preview, and scale with 50 and 500 extra paths, each
// against a plain docker+curl script doing the same work, in the same invocation. Medians of
// BENCH_RUNS runs (default 3), with min and max.

async function main(): Promise<void> {
    preflight();
    const rows: Row[] = [];
    const memory: string[] = [];
    for (const extra of SIZES) {
        const label = extra === 0 ? "" : ` +${extra} paths`;
        const cold: Row = { name: `cold up${label}`, program: [], baseline: [] };
        const noopUp: Row = { name: `no-op up${label}`, program: [], baseline: [] };
        const noopPreview: Row = { name: `no-op preview${label}`, program: [], baseline: [] };
        for (let i = 0; i < RUNS; i++) {
            const ts = await programStack(extra);
            try {
                cold.program.push(await timed(() => ts.up()));
                if (i === 0) {
                    for (let j = 0; j < RUNS; j++) {
                        if (extra === 0) noopUp.program.push(await timed(() => ts.up()));
                        noopPreview.program.push(await timed(() => ts.stack.preview({ onOutput: ts.sink, color: "never" })));
                    }
                    memory.push(`${extra} extra paths: container ${containerMemory(ts.containerName)}`);
                }
            } finally {
                await ts.cleanup();
            }
            const name = `vault-baseline-${process.pid}-${extra}-${i}`;
            const port = await freePort();
            try {
                cold.baseline.push(await baselineRun("cold", name, port, extra));
                if (i === 0) {
                    for (let j = 0; j < RUNS; j++) {
                        const t = await baselineRun("check", name, port, extra);
                        if (extra === 0) noopUp.baseline.push(t);
                        noopPreview.baseline.push(t);
                    }
                }
            } finally {
                execFileSync("bash", [BASELINE, "clean", name, serverImage(), String(port)]);
            }
            process.stderr.write(`bench: ${cold.name} run ${i + 1}/${RUNS}: program ${fmt(cold.program[i]!)}s, baseline ${fmt(cold.baseline[i]!)}s\n`);
        }
        rows.push(cold);
        if (extra === 0) rows.push(noopUp);
        rows.push(noopPreview);
    }
    const lines = [
        `| row | program median (s) | min | max | baseline median (s) | program / baseline |`,
        `| --- | ---: | ---: | ---: | ---: | ---: |`,
        ...rows.map(
            (r) =>
                `| ${r.name} | ${fmt(median(r.program))} | ${fmt(Math.min(...r.program))} | ${fmt(Math.max(...r.program))} | ${fmt(median(r.baseline))} | ${(median(r.program) / median(r.baseline)).toFixed(1)}x |`,
        ),
    ];
    const peakMiB = (process.resourceUsage().maxRSS / 1024).toFixed(0);
    const machine = `${execFileSync("nproc", { encoding: "utf8" }).trim()} cores; pulumi ${trySh("pulumi", ["version"])?.trim()}; image ${serverImage()}; ${RUNS} runs per row`;
    process.stdout.write(`\n${lines.join("\n")}\n\nPeak RSS of the program process (Automation API host running the program inline): ${peakMiB} MiB\n`);
    process.stdout.write(`Container memory after the no-op runs: ${memory.join("; ")}\n${machine}\n`);
    const noop0 = rows.find((r) => r.name === "no-op preview")!;
    const noop500 = rows.find((r) => r.name === "no-op preview +500 paths");
    if (noop500) process.stdout.write(`no-op preview +500 / no-op preview: ${(median(noop500.program) / median(noop0.program)).toFixed(1)}x (target <= 3x)\n`);
    const cold0 = rows.find((r) => r.name === "cold up")!;
    process.stdout.write(`cold up / baseline: ${(median(cold0.program) / median(cold0.baseline)).toFixed(1)}x (target <= 4x)\n`);
}

main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
});
