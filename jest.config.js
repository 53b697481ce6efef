/** Two projects: fast unit tests (mocks, pure functions) and the end-to-end suite (real engine, Docker, server). */
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }];
module.exports = {
    projects: [
        {
            displayName: "unit",
            testEnvironment: "node",
            testMatch: ["<rootDir>/tests/unit/**/*.test.ts", "<rootDir>/core/**/*.test.ts", "<rootDir>/components/**/*.test.ts"],
            // Some cases start the compiled ops adapter or a program under mocks: seconds on a
            // loaded 2-core machine, where jest's 5 s default made them flaky.
            testTimeout: 30000,
            transform: { "^.+\\.ts$": tsJest },
        },
        {
            displayName: "e2e",
            testEnvironment: "node",
            testMatch: ["<rootDir>/tests/e2e/**/*.test.ts"],
            transform: { "^.+\\.ts$": tsJest },
            testTimeout: 900000,
        },
    ],
};
