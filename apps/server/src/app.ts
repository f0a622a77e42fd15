import { timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  appRouter,
  assertAccess,
  buildOpenApiDocument,
  type CacheWarmer,
  createContextFactory,
  type Deps,
  toTRPCError,
  successStatusByPath,
} from "@signalbeam/api";
import { sql } from "@signalbeam/db";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPCError } from "@trpc/server";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import express, { type Express } from "express";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import { createOpenApiExpressMiddleware } from "trpc-to-openapi";
import { apiDocsRouter } from "./apiDocs";
import { desiredStateFastPath } from "./fastPaths/desiredStateFastPath";
import { reportFastPath } from "./fastPaths/reportFastPath";
import { rolloutFastPath } from "./fastPaths/rolloutFastPath";
import { type CreateContext, onceEach } from "./fastPaths/fastPath";
import { carriedBodyError } from "./fastPaths/requestBody";
import { bodyDepthLimit, bodyErrors, emptyBodyAsJson } from "./restBridge";
import { securityHeaders } from "./securityHeaders";

export const API_VERSION = "0.1.0";
const MAX_BODY_BYTES = 1024 * 1024;

export interface AppDependencies {
  /** The domain's dependencies: database, clock, caches, live views. */
  deps: Deps;
  /** Request logs (pino-http). */
  log: Logger;
  /** Directory of the built dashboard; a placeholder page is served when it does not exist. */
  webDir?: string | undefined;
  /** Express "trust proxy" (see SIGNALBEAM_TRUST_PROXY); off by default. */
  trustProxy?: string | false;
  /** The agent cache's warmer, if one runs (polls for devices it is loading wait for it). */
  cacheWarmer?: CacheWarmer;
  /** Answer agent polls and reports, and rollout reads, before Express (default); off only to compare the two in tests. */
  fastPaths?: boolean;
  /** A bearer token that may scrape GET /metrics (SIGNALBEAM_METRICS_TOKEN), besides viewer credentials. */
  metricsToken?: string | undefined;
}

export interface HttpApp {
  /** The node:http request listener: the fast paths, then Express for everything else. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  express: Express;
  /** The procedures whose REST paths are answered before Express when they succeed. */
  fastPathProcedures: readonly string[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultWebDir = path.resolve(here, "../../web/dist");
const placeholderDir = path.resolve(here, "../public");

/** The HTTP surface: /trpc and /api share one router, context and error mapping. */
export function createApp(options: AppDependencies): HttpApp {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  if (options.trustProxy)
    app.set("trust proxy", /^\d+$/.test(options.trustProxy) ? Number(options.trustProxy) : options.trustProxy);
  app.use(securityHeaders());

  const { deps } = options;
  const contextOf = createContextFactory(deps);
  // The caller is resolved from the database: while it is unreachable that is a 503, like every
  // procedure's own queries (see toTRPCError), never a 500. Resolved once per request, whoever asks first.
  const resolveContext: CreateContext = (request) =>
    contextOf(request).catch((error: unknown) => {
      throw toTRPCError(error) ?? error;
    });
  const createContext = onceEach(resolveContext);

  app.use(
    pinoHttp({
      logger: options.log,
      // Agent polls and their idempotent-repeat 409s would drown everything else at info level;
      // credential failures are worth a warning.
      // A 503 is the database being away: the listener logs that once, not once per request.
      customLogLevel: (_req, res, error) =>
        res.statusCode === 503
          ? "debug"
          : error || res.statusCode >= 500
            ? "error"
            : res.statusCode === 401 || res.statusCode === 403
              ? "warn"
              : "debug",
      serializers: {
        req: (req: { method?: string; url?: string }) => ({ method: req.method, url: req.url }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );

  app.get("/healthz", async (_req, res) => {
    try {
      await sql`SELECT 1`.execute(deps.db);
      res.json({ status: "ok" });
    } catch {
      res.status(503).json({ status: "unavailable", message: "database unreachable" });
    }
  });

  // Prometheus: a viewer's credential, or the scrape token (what Prometheus' bearer_token sends).
  app.get("/metrics", async (req, res) => {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    try {
      if (!(options.metricsToken && bearer && safeEqual(bearer, options.metricsToken))) {
        const { principal } = await createContext({ req, res });
        assertAccess(principal, "viewer");
      }
      res.set("content-type", deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    } catch (error) {
      const mapped = toTRPCError(error) ?? (error instanceof TRPCError ? error : undefined);
      const status = mapped ? getHTTPStatusCodeFromError(mapped) : 500;
      if (!mapped) options.log.error({ err: error }, "metrics failed");
      res.status(status).json({ message: mapped?.message ?? "metrics failed", code: mapped?.code ?? "INTERNAL_SERVER_ERROR" });
    }
  });

  app.use(
    "/trpc",
    createExpressMiddleware({
      router: appRouter,
      createContext,
      maxBodySize: MAX_BODY_BYTES,
    }),
  );

  let openApiDocument: ReturnType<typeof buildOpenApiDocument> | undefined;
  app.get("/api/openapi.json", (_req, res) => {
    openApiDocument ??= buildOpenApiDocument({ baseUrl: "/api", version: API_VERSION });
    res.json(openApiDocument);
  });
  app.use("/api/docs", apiDocsRouter("/api/openapi.json"));

  app.use(
    "/api",
    express.json({ limit: MAX_BODY_BYTES, strict: false }),
    carriedBodyError,
    bodyErrors,
    bodyDepthLimit,
    emptyBodyAsJson,
    createOpenApiExpressMiddleware({
      router: appRouter,
      createContext,
      maxBodySize: MAX_BODY_BYTES,
      responseMeta: ({ paths, errors }) => {
        if (errors.some((error) => error.code === "SERVICE_UNAVAILABLE")) return { headers: { "retry-after": "2" } };
        const status = errors.length === 0 && paths?.[0] ? successStatusByPath.get(paths[0]) : undefined;
        return status ? { status } : {};
      },
    }),
  );

  const webDir = options.webDir ?? (existsSync(path.join(defaultWebDir, "index.html")) ? defaultWebDir : placeholderDir);
  app.use(express.static(webDir, { index: "index.html" }));
  // Client-side routes (/rollouts/:id, …) all load the dashboard's index.html.
  app.get(/^\/(?!api\/|trpc\/).*/, (_req, res) => res.sendFile(path.join(webDir, "index.html")));

  // Agent traffic and rollout reads first: a poll, a report or a read that succeeds is answered
  // here (by the procedure itself), anything else by Express.
  const fastPaths =
    options.fastPaths === false
      ? []
      : [
          desiredStateFastPath({ createContext, cache: deps.agentCache, warmer: options.cacheWarmer, apiBase: "/api" }),
          reportFastPath({ createContext, apiBase: "/api" }),
          rolloutFastPath({ createContext, apiBase: "/api" }),
        ];
  const fastPath = async (req: IncomingMessage, res: ServerResponse) => {
    for (const path of fastPaths) if (await path(req, res)) return true;
    return false;
  };
  // Agent polls and reports are counted for the metrics: a fast path has set its status by the
  // time it resolves, so only requests Express answers need a listener.
  const agentRequest = agentRequestKind("/api");
  const toExpress = (req: IncomingMessage, res: ServerResponse, kind: "poll" | "report" | undefined) => {
    if (kind) res.once("finish", () => deps.metrics.agentRequest(kind, res.statusCode));
    app(req, res);
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const kind = agentRequest(req);
    fastPath(req, res).then(
      (answered) => {
        if (!answered) toExpress(req, res, kind);
        else if (kind) deps.metrics.agentRequest(kind, res.statusCode);
      },
      (error: unknown) => {
        // Express answers the database being away with the REST path's 503; anything else is a bug.
        if (!(error instanceof TRPCError && error.code === "SERVICE_UNAVAILABLE"))
          options.log.error({ err: error }, "fast path failed");
        if (!res.headersSent) toExpress(req, res, kind);
      },
    );
  };
  return { handler, express: app, fastPathProcedures: fastPaths.map((path) => path.procedure) };
}

/** Which agent request this is, for the metrics: a poll, a report, or neither (one regex each). */
function agentRequestKind(apiBase: string) {
  const poll = new RegExp(`^${apiBase}/devices/[^/?]+/desired-state(\\?|$)`);
  const report = new RegExp(`^${apiBase}/rollouts/[^/?]+/status(\\?|$)`);
  return (req: IncomingMessage): "poll" | "report" | undefined => {
    const url = req.url ?? "";
    if (req.method === "GET" && poll.test(url)) return "poll";
    if (req.method === "PUT" && report.test(url)) return "report";
    return undefined;
  };
}

const safeEqual = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};
