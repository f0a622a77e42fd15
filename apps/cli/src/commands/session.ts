import { createSignalBeamClient } from "@signalbeam/client";
import { Command } from "commander";
import { CliError, describeFailure, EXIT } from "../errors";
import { printFields, printJson } from "../output";
import { readConfig, writeConfig } from "../profiles";
import type { Run } from "./rollouts";

/** `login` checks the server and key before saving them; `whoami` says who a command would act as. */
export function sessionCommands(run: Run): Command[] {
  // --url, --api-key and --profile are the program's own flags: here they say what to save.
  const login = new Command("login").description(
    'check a server (--url) and API key (--api-key), and save them as a profile (--profile, default "default"; file mode 0600)',
  );
  run(login, async (context) => {
    const given = login.optsWithGlobals<{ url?: string; apiKey?: string; profile?: string }>();
    const flags = { ...given, profile: given.profile ?? "default" };
    const url = (flags.url ?? context.io.env.SIGNALBEAM_URL)?.replace(/\/+$/, "");
    const apiKey = flags.apiKey ?? context.io.env.SIGNALBEAM_API_KEY;
    if (!url || !/^https?:\/\/\S+$/.test(url))
      throw new CliError("give the server's URL: signalbeam login --url https://… --api-key sbk_…", EXIT.usage);
    if (!apiKey)
      throw new CliError("give an API key: signalbeam login --url … --api-key sbk_… (an admin creates one)", EXIT.usage);
    const me = await createSignalBeamClient({ url, token: apiKey })
      .auth.me.query()
      .catch((error: unknown) => {
        throw describeFailure(error, url);
      });
    const config = readConfig(context.io.env);
    config.profiles[flags.profile] = { url, apiKey };
    config.current = flags.profile;
    const file = writeConfig(context.io.env, config);
    if (context.json) return printJson(context.io, { profile: flags.profile, url, user: me });
    context.io.stdout.write(
      `signed in to ${url} as ${me.username} (${me.role}); saved as profile "${flags.profile}" in ${file}\n`,
    );
  });

  const whoami = new Command("whoami").description("the server, profile and account commands act as");
  run(whoami, async (context) => {
    const connection = context.connection();
    const me = await context.client().auth.me.query();
    if (context.json) return printJson(context.io, { profile: connection.profile, url: connection.url, user: me });
    printFields(context.io, [
      ["server", connection.url],
      ["profile", connection.profile],
      ["user", `${me.username} (${me.role}, by ${me.via === "apiKey" ? "API key" : "session"})`],
    ]);
  });
  return [login, whoami];
}
