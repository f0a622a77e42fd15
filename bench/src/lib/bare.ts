import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "bareServer.ts");

/** Starts the bare node:http baseline answering `status`, `headers` and `body` to everything. */
export async function startBareServer(port: number, status: number, headers: Record<string, string>, body: Buffer) {
  const bodyFile = path.join(os.tmpdir(), `signalbeam-bench-body-${port}`);
  writeFileSync(bodyFile, body);
  const child = fork(script, [String(port), String(status), JSON.stringify(headers), bodyFile], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
