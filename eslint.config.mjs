// Type-aware lint: the rules that catch real bugs in async AWS code (floating promises, misused
// promises, unsafe any, non-exhaustive switches). Layout is prettier's job, not eslint's.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "cdktf.out/",
      ".gen/",
      "dist/",
      "bench/tmp/",
      "coverage/",
      "**/*.js",
      "**/*.mjs",
      "templates/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Interfaces are implemented by async fakes and stubs that need no await.
      "@typescript-eslint/require-await": "off",
      // Guard rails and the sandbox walk untyped JSON and stringify its leaves on purpose.
      "@typescript-eslint/no-base-to-string": "off",
    },
  },
  {
    // Tests read JSON documents (synthesized stacks, fixtures) whose shape is asserted, not typed.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/unbound-method": "off",
      "@typescript-eslint/no-require-imports": "off",
    },
  },
);
