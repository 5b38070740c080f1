import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // The CRE SDK test kit imports `bun:test`; its API is close enough to vitest's to run under it.
    alias: { "bun:test": "vitest" },
  },
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "contracts/out/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    server: {
      deps: {
        // The SDK's dist/ uses extensionless ESM imports that Node's resolver rejects; vite resolves them.
        inline: ["@chainlink/cre-sdk"],
      },
    },
  },
});
