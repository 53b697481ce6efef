/**
 * toolchain/versions.env names the plugin versions the setup builds; package.json names the npm SDKs.
 * Each SDK asks the engine for exactly its own version of the plugin, so the two must agree
 * (scripts/setup.sh checks the same before it builds anything).
 */
import { readFileSync } from "fs";
import * as path from "path";

const root = path.resolve(__dirname, "../..");

/** KEY=VALUE lines of a shell env file; comments and blank lines skipped. */
function readEnvFile(file: string): Map<string, string> {
    const values = new Map<string, string>();
    for (const line of readFileSync(file, "utf8").split("\n")) {
        const [, key, value] = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()) ?? [];
        if (key !== undefined && value !== undefined) values.set(key, value.replace(/^(["'])(.*)\1$/, "$2"));
    }
    return values;
}

const env = readEnvFile(path.join(root, "toolchain/versions.env"));
const dependencies: Record<string, string> = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).dependencies ?? {};

describe("toolchain/versions.env and package.json", () => {
    test.each([
        ["DOCKER_PLUGIN_VERSION", "@pulumi/docker"],
        ["VAULT_PLUGIN_VERSION", "@pulumi/vault"],
        ["RANDOM_PLUGIN_VERSION", "@pulumi/random"],
        ["COMMAND_PLUGIN_VERSION", "@pulumi/command"],
        ["PULUMI_SDK_NPM_VERSION", "@pulumi/pulumi"],
    ])("%s equals the %s dependency", (key, dependency) => {
        const version = env.get(key);
        expect(version).toMatch(/^\d+\.\d+\.\d+$/);
        expect(dependencies[dependency]).toBe(version);
    });
});
