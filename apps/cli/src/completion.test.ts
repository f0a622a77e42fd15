import { spawnSync } from "node:child_process";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { completionScript } from "./completion";
import { buildProgram } from "./program";

const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
const program = buildProgram({ stdout: sink, stderr: sink, env: {}, now: () => new Date() }, () => {});

describe("shell completion", () => {
  it.each(["bash", "zsh", "fish"])("%s: completes every command and the create flags, from the command tree", (shell) => {
    const script = completionScript(shell, program);
    for (const word of ["rollouts", "watch", "create", "bundles", "publish", "--fail-on", "--waves", "--canary-label", "--json"])
      expect(script).toContain(shell === "fish" ? word.replace(/^--/, "-l ") : word);
  });

  it("writes a bash script bash accepts", () => {
    const check = spawnSync("bash", ["-n"], { input: completionScript("bash", program), encoding: "utf8" });
    expect(check.status, check.stderr).toBe(0);
  });

  it("refuses an unknown shell", () => expect(() => completionScript("powershell", program)).toThrow(/bash, zsh, fish/));
});
