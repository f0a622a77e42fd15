#!/usr/bin/env node
// `npx signalbeam` in this repository runs the TypeScript sources through tsx (a development
// dependency here), so it is never a stale build. Elsewhere, run the bundle:
// `npm run build -w @signalbeam/cli`, then `node apps/cli/dist/signalbeam.mjs …` (one file, Node 20).
const { register } = await import("tsx/esm/api");
register();
await import("../src/main.ts");
