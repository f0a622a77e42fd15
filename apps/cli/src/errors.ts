import { TRPCClientError } from "@signalbeam/client";

/** The exit codes `signalbeam` documents (README, "Command line"). */
export const EXIT = {
  ok: 0,
  /** A watched rollout ended in (or reached) a state named by --fail-on. */
  rolloutFailed: 1,
  /** Bad flags or arguments, or input the server refused as invalid. */
  usage: 2,
  /** No credential, or one the server refused or that lacks the role. */
  auth: 3,
  notFound: 4,
  /** Nothing answered at the URL (down, wrong address, network). */
  unreachable: 5,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

interface ServerErrorData {
  httpStatus?: number;
  code?: string;
  /** zod's flattened issues, when the input was refused. */
  zodError?: { fieldErrors?: Record<string, string[] | undefined>; formErrors?: string[] } | null;
}

/**
 * Any failure → one line that says what happened and what to do, and its exit code. The server's
 * own message is kept (it names the field); transport failures name the URL.
 */
export function describeFailure(error: unknown, url: string | undefined): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as ServerErrorData;
    const status = data.httpStatus;
    if (status === undefined) return unreachable(url, error.cause ?? error);
    const message = error.message;
    if (status === 401)
      return new CliError(`not signed in: ${message} — run \`signalbeam login --url <server> --api-key <key>\``, EXIT.auth);
    if (status === 403) return new CliError(`not allowed: ${message}`, EXIT.auth);
    if (status === 404) return new CliError(`not found: ${message}`, EXIT.notFound);
    if (status === 400 || status === 409 || status === 422) return new CliError(`refused: ${message}`, EXIT.usage);
    if (status === 429) return new CliError(`too many requests: ${message}`, EXIT.usage);
    return new CliError(`the server failed (${status}): ${message}`, EXIT.unreachable);
  }
  if (isTransportError(error)) return unreachable(url, error);
  return new CliError(error instanceof Error ? error.message : String(error), EXIT.usage);
}

function unreachable(url: string | undefined, cause: unknown): CliError {
  const reason = transportReason(cause);
  return new CliError(
    `cannot reach the server at ${url ?? "(no URL)"}${reason ? ` (${reason})` : ""} — is it running, and is the URL right? (signalbeam login --url …)`,
    EXIT.unreachable,
  );
}

function isTransportError(error: unknown): boolean {
  return error instanceof TypeError && /fetch failed/i.test(error.message);
}

function transportReason(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
