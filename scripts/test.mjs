// `npm test`: install what is missing, then every suite (unit and integration, on embedded PGlite
// and on the PostgreSQL server when it answers; SIGNALBEAM_REQUIRE_POSTGRES=1 makes it required).
import { ensureDependencies, run } from "./lib/ensure-dependencies.mjs";

ensureDependencies();
run("npx", ["vitest", "run", "--config", "scripts/vitest.config.ts", ...process.argv.slice(2)]);
