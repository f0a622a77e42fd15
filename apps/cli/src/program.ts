import { Command, CommanderError } from "commander";
import { catalogCommands } from "./commands/catalog";
import { rolloutCommands, type Run } from "./commands/rollouts";
import { sessionCommands } from "./commands/session";
import { completionScript, SHELLS } from "./completion";
import { contextOf } from "./context";
import { describeFailure, EXIT } from "./errors";
import type { Io } from "./output";

export const CLI_VERSION = "0.1.0";

/** The whole command tree, writing to `io` (so tests and completion read the same tree). */
export function buildProgram(io: Io, settle: (code: number) => void, state: { url?: string } = {}): Command {
  const program = new Command("signalbeam")
    .description("SignalBeam Edge from the terminal and CI: roll bundle versions out to edge fleets, and follow them")
    .option("--url <url>", "the server (else SIGNALBEAM_URL, else the profile's)")
    .option("--api-key <key>", "an API key (else SIGNALBEAM_API_KEY, else the profile's)")
    .option("--profile <name>", "a profile saved by `signalbeam login` (else SIGNALBEAM_PROFILE, else the current one)")
    .option("--json", "answer in JSON, the API's own shapes (for scripts)")
    .addHelpText("before", `signalbeam ${CLI_VERSION} (signalbeam --version)\n`)
    .showHelpAfterError("(add --help for usage)")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok · 1 a watched rollout failed or paused (--fail-on) · 2 usage or refused input · 3 auth · 4 not found · 5 server unreachable",
    );

  // Every command's action: run it with a context, and turn any failure into one line and its exit code.
  const run: Run = (command, action) => {
    command.action(async () => {
      const context = contextOf(command, io, state);
      try {
        settle((await action(context)) ?? EXIT.ok);
      } catch (error) {
        const failure = describeFailure(error, state.url);
        io.stderr.write(`signalbeam: ${failure.message}\n`);
        settle(failure.exitCode);
      }
    });
  };

  for (const command of sessionCommands(run)) program.addCommand(command);
  program.addCommand(rolloutCommands(run));
  for (const command of catalogCommands(run)) program.addCommand(command);
  const completion = new Command("completion")
    .description(`print a shell completion script (${SHELLS.join(", ")}), e.g. signalbeam completion bash >> ~/.bashrc`)
    .argument("<shell>", SHELLS.join(" | "));
  run(completion, async () => {
    io.stdout.write(completionScript(completion.args[0]!, program));
  });
  program.addCommand(completion);

  // Every level: usage errors exit 2, help and version exit 0, all written to `io`.
  const configure = (command: Command) => {
    command.exitOverride().configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
    command.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/** Runs one command line; resolves with the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  // Not commander's .version(): its --version is global and would swallow `rollouts create --version 1.3.0`.
  if (argv.length === 1 && ["--version", "-V"].includes(argv[0]!)) {
    io.stdout.write(`${CLI_VERSION}\n`);
    return EXIT.ok;
  }
  let code: number = EXIT.ok;
  const program = buildProgram(io, (settled) => (code = settled));
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help, --version, and a bare group such as `signalbeam rollouts` (which prints its help).
      if (["commander.helpDisplayed", "commander.version", "commander.help"].includes(error.code)) return EXIT.ok;
      return EXIT.usage;
    }
    throw error;
  }
  return code;
}
