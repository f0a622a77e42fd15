import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  test: {
    root,
    // Integration files start their own servers and databases; two at a time suit a 2-core machine.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          root,
          include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "db/src/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "components",
          root,
          include: ["apps/web/src/**/*.test.tsx"],
          environment: "happy-dom",
        },
      },
      {
        test: {
          name: "integration",
          root,
          include: ["apps/*/test/**/*.test.ts", "packages/*/test/**/*.test.ts", "bench/test/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
