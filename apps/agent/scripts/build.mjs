// Bundles the agent and the fleet simulator into plain Node entries (dist/*.mjs), so a device
// runs `node dist/signalbeam-agent.mjs` without TypeScript tooling.
import { build } from "esbuild";

await build({
  entryPoints: { "signalbeam-agent": "src/main.ts", "signalbeam-fleet": "src/fleet/main.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // ssh2 (dockerode's optional ssh transport) carries native addons: leave it to node_modules.
  external: ["ssh2", "cpu-features"],
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  logLevel: "warning",
});
