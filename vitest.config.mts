import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Three files at once on 2 cores: the integration files mostly wait on compressed simulated time (the whole suite
    // used 1.05 of 2 cores with 3 workers), so a third worker cuts wall time from 11.6 to 8.1 min.
    maxWorkers: 3,
    reporters: ["default", "json"],
    outputFile: { json: ".local/test-results.json" },
  },
});
