// Bundles the server into one plain Node entry (dist/signalbeam-server.mjs): production and the
// benchmark run it without a TypeScript loader, which keeps ~80 MB of RSS (tsx's loader thread,
// transpiled sources and their maps) out of a process whose memory is a target (bench B5).
// The workspace's own packages are bundled; npm dependencies stay in node_modules, where their
// data files (swagger-ui's assets, PGlite's wasm) and optional native parts expect to be.
import { build } from "esbuild";

const npmPackagesStayExternal = {
  name: "npm-packages-external",
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@signalbeam/") ? undefined : { path: args.path, external: true },
    );
  },
};

await build({
  entryPoints: { "signalbeam-server": "src/main.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  plugins: [npmPackagesStayExternal],
  logLevel: "warning",
});
