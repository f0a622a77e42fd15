import { Writable } from "node:stream";
import { run } from "../../src/program";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json(): any;
}

class Capture extends Writable {
  text = "";
  isTTY = false;
  override _write(chunk: Buffer, _encoding: string, callback: () => void) {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs `signalbeam …` in this process, as a pipe would see it (no TTY, so no colour), with its own environment. */
export async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await run(args, { stdout, stderr, env, now: () => new Date() });
  return {
    code,
    stdout: stdout.text,
    stderr: stderr.text,
    json: () => JSON.parse(stdout.text),
  };
}
