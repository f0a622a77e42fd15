// Bundles the command line into one plain Node file (dist/signalbeam.mjs), like the agent: copy it
// anywhere with Node 20 and run `node signalbeam.mjs …`.
import { build } from "esbuild";

await build({
  entryPoints: { signalbeam: "src/main.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  logLevel: "warning",
});
