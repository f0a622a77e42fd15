import { generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
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
 * The OpenAPI document generated from the procedures, with each documented success status
 * (201 on create, 204 on cancel) in place of the generator's default 200.
 */
export function buildOpenApiDocument(options: { baseUrl: string; version: string }): OpenAPIObject {
  const document = generateOpenApiDocument(appRouter, {
    title: "SignalBeam Edge API",
    description:
      "Rollout management for edge fleets. Operator paths manage bundles, devices, groups and rollouts; agent paths " +
      "(tag `agent`) take a device token as `Authorization: Bearer <token>`. Errors are JSON `{message, code, ...}`.",
    version: options.version,
    baseUrl: options.baseUrl,
    securitySchemes: { deviceToken: { type: "http", scheme: "bearer", description: "Device token from POST /devices" } },
  });
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
