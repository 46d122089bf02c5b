/**
 * `npm run test:interop`: real vendor messages (Mendelson AS2, IBM Sterling B2Bi) that must stay
 * outside the repository (GPL data). The folder comes from AS2_INTEROP_DIR
 * (default ../shared/fixtures/as2-interop beside the clone).
 */
/** @type {import('jest').Config} */
module.exports = {
  rootDir: "../..",
  testEnvironment: "node",
  roots: ["<rootDir>/sandbox/interop"],
  testMatch: ["**/*.interop.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  testTimeout: 60000,
};
