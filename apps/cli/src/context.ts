import { createSignalBeamClient, type SignalBeamClient } from "@signalbeam/client";
import type { Command } from "commander";
import { CliError, EXIT } from "./errors";
import type { Io } from "./output";
import { type Connection, resolveConnection } from "./profiles";

/** What every command gets: where to write, whether to answer in JSON, and a client for the chosen server. */
export interface CommandContext {
  io: Io;
  json: boolean;
  /** The server and credential (resolved on first use, so `--help` and `completion` need none). */
  connection(): Connection;
  client(): SignalBeamClient;
}

export interface GlobalFlags {
  url?: string;
  apiKey?: string;
  profile?: string;
  json?: boolean;
}

export function contextOf(command: Command, io: Io, state: { url?: string }): CommandContext {
  const flags = command.optsWithGlobals<GlobalFlags>();
  let connection: Connection | undefined;
  let client: SignalBeamClient | undefined;
  const resolve = () => {
    connection ??= resolveConnection(flags, io.env);
    state.url = connection.url;
    return connection;
  };
  return {
    io,
    json: Boolean(flags.json),
    connection: resolve,
    client() {
      const { url, apiKey } = resolve();
      if (!apiKey)
        throw new CliError(
          "no API key: run `signalbeam login --url <server> --api-key <key>`, or set SIGNALBEAM_API_KEY",
          EXIT.auth,
        );
      client ??= createSignalBeamClient({ url, token: apiKey });
      return client;
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every page of a paged list (bundles, groups), read 100 at a time. */
async function everyPage<T>(read: (page: number) => Promise<{ data: T[]; totalPages: number }>): Promise<T[]> {
  const all: T[] = [];
  for (let page = 1; ; page++) {
    const answer = await read(page);
    all.push(...answer.data);
    if (page >= answer.totalPages) return all;
  }
}

/** A bundle named by id or by name (case-insensitive); not found → exit 4 with the names that exist. */
export async function resolveBundle(context: CommandContext, nameOrId: string): Promise<{ id: string; name: string }> {
  const bundles = await everyPage((page) => context.client().bundles.list.query({ page, pageSize: 100 }));
  const found = UUID.test(nameOrId)
    ? bundles.find((bundle) => bundle.id === nameOrId.toLowerCase())
    : bundles.find((bundle) => bundle.name.toLowerCase() === nameOrId.toLowerCase());
  if (!found)
    throw new CliError(
      `no bundle "${nameOrId}"${bundles.length ? ` — there are: ${bundles.map((bundle) => bundle.name).join(", ")}` : ""}`,
      EXIT.notFound,
    );
  return found;
}

/** A device group named by id or by name (case-insensitive). */
export async function resolveGroup(context: CommandContext, nameOrId: string): Promise<{ id: string; name: string }> {
  const groups = await everyPage((page) => context.client().groups.list.query({ page, pageSize: 100 }));
  const found = UUID.test(nameOrId)
    ? groups.find((group) => group.id === nameOrId.toLowerCase())
    : groups.find((group) => group.name.toLowerCase() === nameOrId.toLowerCase());
  if (!found)
    throw new CliError(
      `no group "${nameOrId}"${groups.length ? ` — there are: ${groups.map((group) => group.name).join(", ")}` : ""}`,
      EXIT.notFound,
    );
  return found;
}

/** A rollout id argument must be a UUID: say so before asking the server. */
export function rolloutIdArgument(text: string): string {
  if (!UUID.test(text)) throw new CliError(`a rollout id is a UUID like 3f0c…-…, got "${text}"`, EXIT.usage);
  return text.toLowerCase();
}
