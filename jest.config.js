/** Two projects: fast unit tests (mocks, pure functions) and the end-to-end suite (real engine, Docker, server). */
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }];
module.exports = {
    projects: [
        {
            displayName: "unit",
            testEnvironment: "node",
            testMatch: ["<rootDir>/tests/unit/**/*.test.ts", "<rootDir>/core/**/*.test.ts", "<rootDir>/components/**/*.test.ts"],
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
