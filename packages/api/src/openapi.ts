import { generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
import type { Access } from "./auth/principal";
import { SESSION_COOKIE } from "./auth/sessionCookie";
import type { Meta } from "./trpc";
import { appRouter } from "./root";

interface ProcedureDef {
  _def: { meta?: Meta };
}

// tRPC keeps a flat record of procedures by dotted path ("rollouts.create").
const procedures = appRouter._def.procedures as unknown as Record<string, ProcedureDef>;

/** REST success statuses declared by procedures (`successStatus` in their meta), by procedure path. */
export const successStatusByPath: ReadonlyMap<string, number> = new Map(
  Object.entries(procedures)
    .filter(([, procedure]) => procedure._def.meta?.successStatus)
    .map(([path, procedure]) => [path, procedure._def.meta!.successStatus!]),
);

/**
 * Every procedure's access level, read from its meta (set by the procedure kind it is built from):
 * the authorization test checks its table against this, and the document below declares it.
 */
export const accessByPath: ReadonlyMap<string, Access> = new Map(
  Object.entries(procedures).map(([path, procedure]) => [path, procedure._def.meta?.access ?? "public"]),
);

/** The REST path a procedure is served at (relative to /api), from its meta. */
export const openApiPathOf = (procedurePath: string): string | undefined => procedures[procedurePath]?._def.meta?.openapi?.path;

const securityOf = (access: Access): Record<string, string[]>[] =>
  access === "public" ? [] : access === "device" ? [{ deviceToken: [] }] : [{ apiKey: [] }, { session: [] }];

/**
 * The OpenAPI document generated from the procedures, with each documented success status
 * (201 on create, 204 on cancel) in place of the generator's default 200.
 */
export function buildOpenApiDocument(options: { baseUrl: string; version: string }): OpenAPIObject {
  const document = generateOpenApiDocument(appRouter, {
    title: "SignalBeam Edge API",
    description:
      "Rollout management for edge fleets. Operator paths manage bundles, devices, groups and rollouts; agent paths " +
      "(tag `agent`) take a device token as `Authorization: Bearer <token>`. Operator paths take an API key " +
      "(`Authorization: Bearer sbk_…`) or the dashboard's session cookie; roles are viewer (read), operator (plus " +
      "rollouts, devices, groups, bundles) and admin (plus users and API keys). Errors are JSON `{message, code, ...}`.",
    version: options.version,
    baseUrl: options.baseUrl,
    securitySchemes: {
      apiKey: {
        type: "http",
        scheme: "bearer",
        description: "An API key (sbk_…) from POST /api-keys, or the bootstrap admin key",
      },
      session: {
        type: "apiKey",
        in: "cookie",
        name: SESSION_COOKIE,
        description: "Dashboard session from POST /auth/login; writes also need X-CSRF-Token",
      },
      deviceToken: { type: "http", scheme: "bearer", description: "Device token (sbd_…) from POST /devices" },
    },
  });
  for (const [procedurePath, access] of accessByPath) {
    const openapi = procedures[procedurePath]!._def.meta?.openapi;
    const operation = openapi && document.paths?.[openapi.path]?.[openapi.method.toLowerCase() as "get"];
    if (!operation) continue;
    operation.security = securityOf(access);
    const roleNote = access === "public" || access === "device" ? "" : `Requires the ${access} role.`;
    if (roleNote) operation.description = [operation.description, roleNote].filter(Boolean).join(" ");
  }
  describeConditionalPoll(document);
  for (const [procedurePath, status] of successStatusByPath) {
    const meta = procedures[procedurePath]!._def.meta!;
    const operation = document.paths?.[meta.openapi!.path]?.[meta.openapi!.method.toLowerCase() as "post"];
    const responses = operation?.responses as Record<string, unknown> | undefined;
    if (!responses?.["200"]) continue;
    const ok = responses["200"] as { description?: string; content?: unknown };
    delete responses["200"];
    responses[String(status)] = status === 204 ? { description: "No content" } : ok;
  }
  return document;
}

/**
 * The agent poll answers with an ETag and honours If-None-Match (see the server's fast path);
 * the generator cannot know that, so the document says it here.
 */
function describeConditionalPoll(document: OpenAPIObject) {
  const path = openApiPathOf("agent.desiredState");
  const operation = path ? document.paths?.[path]?.get : undefined;
  if (!operation) return;
  operation.parameters = [
    ...(operation.parameters ?? []),
    {
      in: "header",
      name: "If-None-Match",
      required: false,
      description: "The ETag of the last answer; if nothing changed since, the answer is 304 with no body",
      schema: { type: "string" },
    },
  ];
  const responses = operation.responses as Record<string, Record<string, unknown>>;
  responses["200"] = {
    ...responses["200"],
    headers: { ETag: { description: "Identifies this answer; send it back as If-None-Match", schema: { type: "string" } } },
  };
  responses["304"] = {
    description: "Not modified: the desired state is still the one the If-None-Match ETag identifies",
    headers: { ETag: { schema: { type: "string" } } },
  };
}
