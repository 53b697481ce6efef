// Lint: typescript-eslint with type information, Pulumi's Output rules and no floating promises.
const tseslint = require("typescript-eslint");
const pulumiPlugin = require("@pulumi/eslint-plugin");

module.exports = tseslint.config(
    { ignores: ["node_modules/", "bin/", "coverage/", ".pulumi-state/", "eslint.config.js", "jest.config.js", "toolchain/"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
        plugins: { "@pulumi": pulumiPlugin },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-require-imports": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        },
    },
    {
        files: ["scripts/**/*.js"],
        languageOptions: {
            globals: { process: "readonly", fetch: "readonly", AbortSignal: "readonly", Buffer: "readonly", require: "readonly", setTimeout: "readonly" },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
