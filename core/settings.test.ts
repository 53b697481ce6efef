import * as fs from "fs";
import * as path from "path";
import { DOC_BEGIN, DOC_END, renderSettingsDoc } from "./settingsDoc";
import { SETTINGS, projectConfig } from "./settings";

// The settings table is the one source: Pulumi.yaml's typed config block and the README's
// settings list must say exactly what it says.

const ROOT = path.resolve(__dirname, "..");
const yaml = require("js-yaml") as { load(text: string): unknown };

/** The cells of a Markdown table's data rows, trimmed (prettier pads them). */
function tableCells(markdown: string): string[][] {
    return markdown
        .split("\n")
        .filter((l) => l.startsWith("|") && !/^\|\s*-/.test(l))
        .slice(1)
        .map((l) =>
            l
                .slice(1, -1)
                .split(/(?<!\\)\|/)
                .map((c) => c.trim()),
        );
}

test("Pulumi.yaml's config block is the table's plain settings with their types, defaults and descriptions", () => {
    const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { name: string; config: Record<string, unknown> };
    expect(project.name).toBe("vault-stack");
    expect(project.config).toEqual(projectConfig());
});

test("the README's settings list is the table, row by row", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const begin = readme.indexOf(DOC_BEGIN);
    const end = readme.indexOf(DOC_END);
    expect(begin).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(begin);
    const inReadme = tableCells(readme.slice(begin, end));
    expect(inReadme).toEqual(tableCells(renderSettingsDoc()));
    expect(inReadme).toHaveLength(SETTINGS.length);
});

test("every key of the table appears once", () => {
    const keys = SETTINGS.map((s) => s.key);
    expect(new Set(keys).size).toBe(keys.length);
});
