import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", ".emulator/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    // The resources' typed tables and the stack that uses them: no `any` lets a field drift.
    files: ["providers/**/*.ts", "stack/**/*.ts", "rules/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "error" },
  },
);
