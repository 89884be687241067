// Lint: typescript-eslint's recommended rules plus Pulumi's (Outputs never in template strings).
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/**", "bin/**", ".cache/**", ".tools/**", ".local/**", "**/*.js", "**/*.mjs"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
    {
        // Tests and the tooling they share (mocks, the control plane's pulumi/kubectl JSON) read
        // loosely typed engine payloads.
        files: ["tests/**/*.ts", "tooling/mocks/**/*.ts", "tooling/controlPlane.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
);
