import * as fs from "fs";
import * as path from "path";
import { backupCommand, restoreCommand } from "../cli/backup";
import { RUNS, extraSecretsOf, fmt, median, timed } from "./support";
import { ScratchStack, preflight } from "../tests/support/stack";

// The cluster and backup rows of docs/performance.md: cold up and no-op preview of 3 Raft nodes
// against 1, and backup and restore (time and size) with 500 extra paths, file and Raft storage.
// Medians of BENCH_RUNS runs (default 3) for the up and preview rows; one run of each backup row.

/** A fresh stack of the benchmark: fake credentials, `nodes` nodes, file or Raft storage, extra paths. */
async function stack(storage: "file" | "raft", nodes: number, extra = 0): Promise<ScratchStack> {
    const ts = await ScratchStack.create("benchc", nodes);
    for (const k of ["openrouterApiKey", "telegramBotToken", "telegramChatId", "githubToken"]) await ts.set(k, `fake-bench-${k}`, true);
    await ts.set("storage", storage);
    await ts.set("nodes", String(nodes));
    if (extra > 0) await ts.set("extraSecrets", extraSecretsOf(extra), true);
    return ts;
}

async function main(): Promise<void> {
    preflight();
    const lines: string[] = [];
    const rows: Record<string, { cold: number[]; preview: number[] }> = {};
    for (const [name, storage, nodes] of [
        ["1 node (raft)", "raft", 1],
        ["3 nodes (raft)", "raft", 3],
    ] as const) {
        rows[name] = { cold: [], preview: [] };
        for (let i = 0; i < RUNS; i++) {
            const ts = await stack(storage, nodes);
            try {
                rows[name]!.cold.push(await timed(() => ts.up()));
                rows[name]!.preview.push(await timed(() => ts.stack.preview({ onOutput: ts.sink, color: "never" })));
            } finally {
                await ts.cleanup();
            }
            process.stderr.write(`bench: ${name} run ${i + 1}/${RUNS}: cold ${fmt(rows[name]!.cold[i]!)}s\n`);
        }
    }
    const one = rows["1 node (raft)"]!;
    const three = rows["3 nodes (raft)"]!;
    lines.push("| row | 1 node median (s) | 3 nodes median (s) | 3 / 1 | target |", "| --- | ---: | ---: | ---: | --- |");
    lines.push(`| cold up | ${fmt(median(one.cold))} | ${fmt(median(three.cold))} | ${(median(three.cold) / median(one.cold)).toFixed(2)}x | at most 2x |`);
    lines.push(
        `| no-op preview | ${fmt(median(one.preview))} | ${fmt(median(three.preview))} | ${(median(three.preview) / median(one.preview)).toFixed(2)}x | at most 1.5x |`,
    );
    lines.push("", "| storage, 500 extra paths | backup (s) | backup size (bytes) | restore (s) |", "| --- | ---: | ---: | ---: |");
    for (const storage of ["file", "raft"] as const) {
        const ts = await stack(storage, 1, 500);
        try {
            await ts.up();
            const outDir = path.join(ts.dir, "backups");
            const quiet = { outDir, say: (): void => undefined, print: (): void => undefined, onOutput: ts.sink };
            let file = "";
            const b = await timed(async () => {
                file = await backupCommand(ts.stack, quiet);
            });
            const r = await timed(() => restoreCommand(ts.stack, file, quiet));
            lines.push(`| ${storage} | ${fmt(b)} | ${fs.statSync(file).size} | ${fmt(r)} |`);
        } finally {
            await ts.cleanup();
        }
        process.stderr.write(`bench: backup/restore ${storage} done\n`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
});
