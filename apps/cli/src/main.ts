import { run } from "./program";

// `signalbeam …`: the exit code is the command's (see errors.ts), written only after stdout drains.
const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => new Date(),
});
process.exitCode = code;
