/**
 * The tRPC foundation, in three parts: context, initialization, procedures.
 * Feature routers import only the procedures at the bottom of this file.
 */
import type { Database, Kysely } from "@signalbeam/db";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import type { OpenApiMeta } from "trpc-to-openapi";
import { ZodError } from "zod";
import { DomainError, InputValidationError, toTRPCError } from "./shared/errors";
import { type Clock, type Logger, silentLogger, systemClock } from "./shared/logger";
import type { RolloutEvents } from "./shared/rolloutEvents";
import { assertDevice, assertOperator, type Principal, resolvePrincipal } from "./shared/principal";

// ─── 1. Context ────────────────────────────────────────────────────────────────────────────────

export interface Context {
  db: Kysely<Database>;
  principal: Principal;
  clock: Clock;
  log: Logger;
  /** Change notices for live views; optional so in-process callers need not care. */
  events?: RolloutEvents;
}

export interface ContextDependencies {
  db: Kysely<Database>;
  clock?: Clock;
  log?: Logger;
  events?: RolloutEvents;
}

/** Builds a per-request context from the Authorization header (HTTP adapters call this). */
export function createContextFactory(deps: ContextDependencies) {
  return async ({ req }: { req: { headers: Record<string, string | string[] | undefined> } }): Promise<Context> => {
    const authorization = req.headers.authorization;
    return {
      db: deps.db,
      clock: deps.clock ?? systemClock,
      log: deps.log ?? silentLogger,
      events: deps.events,
      principal: await resolvePrincipal(deps.db, Array.isArray(authorization) ? authorization[0] : authorization),
    };
  };
}

// ─── 2. Initialization ─────────────────────────────────────────────────────────────────────────

/** `successStatus` sets the REST status of a successful call (201 on create, 204 on cancel). */
export type Meta = OpenApiMeta<{ successStatus?: 200 | 201 | 204 }>;

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: superjson,
    isDev: false,
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      const details = cause instanceof DomainError ? cause.details : {};
      const fields = cause instanceof InputValidationError ? cause.fields : undefined;
      // Internal errors keep their message in the logs, never in the response.
      const message = error.code === "INTERNAL_SERVER_ERROR" ? "Internal server error" : shape.message;
      const { stack: _stack, ...data } = shape.data;
      // Details sit at the top level: REST bodies read `{message, code, ...details}`, tRPC clients `error.shape`.
      return { ...shape, message, ...details, ...(fields ? { fields } : {}), data };
    },
  });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

// ─── 3. Procedures ─────────────────────────────────────────────────────────────────────────────

const describeIssuePath = (path: readonly PropertyKey[]) => (path.length ? path.map(String).join(".") : "(input)");

/**
 * The one place errors are translated: zod failures become 400s whose message names each field,
 * DomainErrors and database constraint races get their codes, anything else is a logged 500.
 */
const errorBoundary = t.middleware(async ({ ctx, next, path }) => {
  const result = await next();
  if (result.ok) return result;
  const error = result.error;
  if (error.cause instanceof ZodError && error.code === "BAD_REQUEST") {
    const fields = error.cause.issues.map((issue) => ({ path: describeIssuePath(issue.path), message: issue.message }));
    const message = fields.map((field) => `${field.path}: ${field.message}`).join("; ");
    throw new TRPCError({ code: "BAD_REQUEST", message, cause: new InputValidationError(message, fields) });
  }
  const mapped = toTRPCError(error.cause);
  if (mapped) throw mapped;
  if (error.code === "INTERNAL_SERVER_ERROR") ctx.log.error({ err: error.cause ?? error, path }, "procedure failed");
  return result;
});

export const publicProcedure = t.procedure.use(errorBoundary);

/** Managers, the dashboard and internal tools. */
export const operatorProcedure = publicProcedure.use(({ ctx, next }) => {
  assertOperator(ctx.principal);
  return next();
});

/** Edge agents, authenticated by their device token; `ctx.principal.deviceId` is always set. */
export const deviceProcedure = publicProcedure.use(({ ctx, next }) => {
  const principal = ctx.principal;
  assertDevice(principal);
  return next({ ctx: { principal } });
});
