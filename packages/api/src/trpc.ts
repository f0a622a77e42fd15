/**
 * The tRPC foundation, in three parts: context, initialization, procedures.
 * Feature routers import only the procedures at the bottom of this file.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import type { OpenApiMeta } from "trpc-to-openapi";
import { ZodError } from "zod";
import { DomainError, InputValidationError, toTRPCError } from "./shared/errors";
import { readCookie } from "./auth/sessionCookie";
import { resolvePrincipal } from "./auth/credentials";
import type { Deps } from "./deps";
import { type Access, assertAccess, type DevicePrincipal, type Principal, type UserPrincipal } from "./auth/principal";
import type { Role } from "./auth/roles";
import { SESSION_COOKIE } from "./auth/sessionCookie";

// ─── 1. Context ────────────────────────────────────────────────────────────────────────────────

/** The HTTP side of a call, when there is one: what login and logout need beyond the input. */
export interface HttpExchange {
  clientAddress: string;
  /** Whether the client reached us over HTTPS (decides the cookie's Secure flag). */
  secure: boolean;
  setHeader(name: string, value: string | string[]): void;
}

/** What a procedure gets: the process's dependencies, plus who is calling and over what. */
export interface Context extends Deps {
  principal: Principal;
  http?: HttpExchange;
}

type Headers = Record<string, string | string[] | undefined>;
interface HttpRequestLike {
  headers: Headers;
  method?: string;
  ip?: string;
  secure?: boolean;
  socket?: { remoteAddress?: string };
}
interface HttpResponseLike {
  setHeader(name: string, value: string | string[]): unknown;
  getHeader?(name: string): unknown;
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** Builds a per-request context: the caller is resolved from the Authorization header or session cookie. */
export function createContextFactory(deps: Deps) {
  return async ({ req, res }: { req: HttpRequestLike; res?: HttpResponseLike }): Promise<Context> => {
    const principal = await resolvePrincipal(
      deps.db,
      {
        authorization: single(req.headers.authorization),
        sessionCookie: readCookie(single(req.headers.cookie), SESSION_COOKIE),
        csrfHeader: single(req.headers["x-csrf-token"]),
        method: req.method ?? "GET",
      },
      deps.clock,
      { agent: deps.agentCache, operators: deps.operatorCache },
    );
    return {
      ...deps,
      principal,
      http: res && {
        clientAddress: req.ip ?? req.socket?.remoteAddress ?? "unknown",
        secure: req.secure ?? false,
        setHeader: (name, value) => {
          // Several Set-Cookie headers may accumulate; never overwrite one with another.
          const previous = res.getHeader?.(name);
          if (name.toLowerCase() === "set-cookie" && previous !== undefined)
            res.setHeader(name, [...(Array.isArray(previous) ? previous : [String(previous)]), ...[value].flat()]);
          else res.setHeader(name, value);
        },
      },
    };
  };
}

// ─── 2. Initialization ─────────────────────────────────────────────────────────────────────────

/** `successStatus` sets the REST status of a successful call (201 on create, 204 on cancel). */
export type Meta = OpenApiMeta<{ successStatus?: 200 | 201 | 204; access?: Access }>;

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

const baseProcedure = t.procedure.use(errorBoundary);

/**
 * Each procedure kind declares its access level in meta — the one place it is written: the
 * middleware below enforces it, the OpenAPI document and the authorization test read it.
 */
const withRole = (role: Role) =>
  baseProcedure.meta({ access: role }).use(({ ctx, next }) => {
    assertAccess(ctx.principal, role);
    return next({ ctx: { principal: ctx.principal as UserPrincipal } });
  });

/** Anyone: login, logout. */
export const publicProcedure = baseProcedure.meta({ access: "public" });
/** Any signed-in operator account: every read. */
export const viewerProcedure = withRole("viewer");
/** Create, cancel and retry rollouts; manage devices, groups and bundles. */
export const operatorProcedure = withRole("operator");
/** Users and API keys. */
export const adminProcedure = withRole("admin");

/** Edge agents, authenticated by their device token; `ctx.principal.deviceId` is always set. */
export const deviceProcedure = baseProcedure.meta({ access: "device" }).use(({ ctx, next }) => {
  assertAccess(ctx.principal, "device");
  return next({ ctx: { principal: ctx.principal as DevicePrincipal } });
});
