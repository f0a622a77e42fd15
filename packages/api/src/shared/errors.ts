import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { DatabaseUnavailableError } from "@signalbeam/db";

/**
 * The one error vocabulary of the domain. Handlers throw DomainError; `toTRPCError` is the only
 * place that maps it (and database errors) to tRPC codes, which map to HTTP statuses.
 */
export type DomainErrorCode =
  "BAD_REQUEST" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "CONFLICT" | "UNPROCESSABLE" | "TOO_MANY_REQUESTS";

const trpcCodeOf: Record<DomainErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  UNPROCESSABLE: "UNPROCESSABLE_CONTENT",
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
};

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Extra fields for the error body, e.g. `{ unknownDeviceIds: [...] }`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const notFound = (what: string, id: string) => new DomainError("NOT_FOUND", `${what} ${id} not found`);

/** A validation failure that is not a ZodError, so REST answers carry our field-naming message. */
export class InputValidationError extends Error {
  constructor(
    message: string,
    readonly fields: { path: string; message: string }[],
  ) {
    super(message);
    this.name = "InputValidationError";
  }
}

interface PgError {
  code?: unknown;
  detail?: unknown;
  constraint?: unknown;
}

const isPgError = (error: unknown): error is PgError =>
  typeof error === "object" && error !== null && typeof (error as PgError).code === "string";

/**
 * The database cannot be reached right now (restarting, failing over, refusing connections, or the
 * connection broke mid-request): a 503 the client may retry, never a 500 and never a crash.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    // 08: connection exception; 57P01-03: the server is shutting down, crashed, or not yet up; 53300: out of connections.
    if (/^08/.test(code) || code === "57P01" || code === "57P02" || code === "57P03" || code === "53300") return true;
    if (["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND"].includes(code))
      return true;
  }
  return (
    typeof message === "string" &&
    /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/.test(message)
  );
}

/** SQLSTATEs worth retrying the whole transaction for: serialization failure and deadlock. */
export const isRetryableTransactionError = (error: unknown): boolean =>
  isPgError(error) && (error.code === "40001" || error.code === "40P01");

/** Maps anything a procedure threw to the TRPCError the client sees; internals never leak. */
export function toTRPCError(error: unknown): TRPCError | undefined {
  // Input that only the database could judge (a policy wave left empty by these targets).
  if (error instanceof InputValidationError) return new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: error });
  if (error instanceof DomainError) {
    return new TRPCError({ code: trpcCodeOf[error.code], message: error.message, cause: error });
  }
  if (isDatabaseUnavailable(error))
    return new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: "the database is unavailable; try again shortly",
      cause: asError(error),
    });
  if (isPgError(error)) {
    // Text PostgreSQL cannot store (a NUL character) is the client's input, not a server fault.
    if (error.code === "22021" || error.code === "22P05")
      return new TRPCError({
        code: "BAD_REQUEST",
        message: "text must not contain NUL (\\u0000) characters",
        cause: asError(error),
      });
    // Races the handlers could not rule out up front (two creates of the same id at once).
    if (error.code === "23505") return new TRPCError({ code: "CONFLICT", message: "already exists", cause: asError(error) });
    if (error.code === "23503")
      return new TRPCError({
        code: "UNPROCESSABLE_CONTENT",
        message: "refers to something that does not exist",
        cause: asError(error),
      });
  }
  return undefined;
}

const asError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));
