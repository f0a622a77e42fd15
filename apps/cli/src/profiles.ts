import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CliError, EXIT } from "./errors";

/**
 * Where `signalbeam login` keeps servers and keys: one JSON file in the user's config directory
 * ($SIGNALBEAM_CONFIG_DIR, else $XDG_CONFIG_HOME/signalbeam, else ~/.config/signalbeam), mode 0600
 * (it holds API keys), one entry per profile. Flags beat the environment, which beats the profile.
 */
export interface Profile {
  url: string;
  apiKey?: string | undefined;
}

export interface ConfigFile {
  /** The profile used when none is named. */
  current?: string;
  profiles: Record<string, Profile>;
}

export function configDirectory(env: NodeJS.ProcessEnv): string {
  if (env.SIGNALBEAM_CONFIG_DIR) return env.SIGNALBEAM_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), ".config");
  return path.join(base, "signalbeam");
}

export function configPath(env: NodeJS.ProcessEnv): string {
  return path.join(configDirectory(env), "config.json");
}

export function readConfig(env: NodeJS.ProcessEnv): ConfigFile {
  const file = configPath(env);
  if (!existsSync(file)) return { profiles: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as ConfigFile;
    return { ...parsed, profiles: parsed.profiles ?? {} };
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message} — fix or delete it, then log in again`, EXIT.usage);
  }
}

/** Written to a temporary file with mode 0600 first, then renamed: never readable by others, never half-written. */
export function writeConfig(env: NodeJS.ProcessEnv, config: ConfigFile): string {
  const file = configPath(env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
  return file;
}

export interface Connection {
  url: string;
  apiKey: string | undefined;
  profile: string;
}

/** The server and key a command uses: --url/--api-key, then SIGNALBEAM_URL/SIGNALBEAM_API_KEY, then the profile. */
export function resolveConnection(
  flags: { url?: string | undefined; apiKey?: string | undefined; profile?: string | undefined },
  env: NodeJS.ProcessEnv,
): Connection {
  const config = readConfig(env);
  const name = flags.profile ?? env.SIGNALBEAM_PROFILE ?? config.current ?? "default";
  const stored = config.profiles[name];
  if (flags.profile && !stored && !flags.url && !env.SIGNALBEAM_URL)
    throw new CliError(
      `no profile "${flags.profile}" — create it with \`signalbeam login --profile ${flags.profile} --url …\``,
      EXIT.usage,
    );
  const url = flags.url ?? env.SIGNALBEAM_URL ?? stored?.url;
  if (!url)
    throw new CliError(
      "no server configured: run `signalbeam login --url <server> --api-key <key>`, or set SIGNALBEAM_URL and SIGNALBEAM_API_KEY",
      EXIT.auth,
    );
  return { url: url.replace(/\/+$/, ""), apiKey: flags.apiKey ?? env.SIGNALBEAM_API_KEY ?? stored?.apiKey, profile: name };
}
