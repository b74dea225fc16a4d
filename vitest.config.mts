import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Pulumi's closure serializer require()s every builtin; trace_events throws inside worker
    // threads, so dynamic providers only serialize under process forks.
    pool: "forks",
    globalSetup: ["test/harness/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
