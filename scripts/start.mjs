// `npm start`: install what is missing, build, then run the server (which migrates the embedded
// database, loads the demo fleet on first start and serves http://localhost:5002).
import { spawn } from "node:child_process";
import { ensureDependencies, root, run } from "./lib/ensure-dependencies.mjs";

ensureDependencies();
console.log("› building…");
run("npx", ["turbo", "run", "build", "--output-logs=errors-only"]);

const server = spawn(process.execPath, ["--import", "tsx", "apps/server/src/main.ts"], { cwd: root, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
