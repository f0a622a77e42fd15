import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";

/** Every REST path of docs/DESIGN.md's two tables, with its documented success status. */
const designPaths: [method: string, path: string, success: number][] = [
  ["POST", "/rollouts", 201],
  ["GET", "/rollouts", 200],
  ["GET", "/rollouts/{rolloutId}", 200],
  ["GET", "/rollouts/{rolloutId}/devices", 200],
  ["POST", "/rollouts/{rolloutId}/cancel", 204],
  ["POST", "/rollouts/{rolloutId}/retry", 200],
  ["POST", "/devices", 201],
  ["GET", "/devices", 200],
  ["GET", "/devices/{deviceId}", 200],
  ["POST", "/groups", 201],
  ["GET", "/groups", 200],
  ["PUT", "/groups/{groupId}/devices", 200],
  ["POST", "/bundles", 201],
  ["GET", "/bundles", 200],
  ["GET", "/bundles/{bundleId}", 200],
  ["POST", "/bundles/{bundleId}/versions", 201],
  ["GET", "/bundles/{bundleId}/versions", 200],
  ["GET", "/devices/{deviceId}/desired-state", 200],
  ["PUT", "/rollouts/{rolloutId}/status", 200],
  ["POST", "/devices/{deviceId}/heartbeat", 200],
];

/** The controls of docs/DESIGN.md's "Progressive delivery" section. */
const policyPaths: [method: string, path: string, success: number][] = [
  ["POST", "/rollouts/{rolloutId}/pause", 200],
  ["POST", "/rollouts/{rolloutId}/resume", 200],
  ["POST", "/rollouts/{rolloutId}/advance", 200],
  ["POST", "/rollouts/{rolloutId}/rollback", 201],
  // "One change log"
  ["GET", "/events", 200],
  ["POST", "/webhooks", 201],
  ["GET", "/webhooks", 200],
  ["GET", "/webhooks/{webhookId}", 200],
  ["PATCH", "/webhooks/{webhookId}", 200],
  ["DELETE", "/webhooks/{webhookId}", 204],
  ["POST", "/webhooks/{webhookId}/rotate-secret", 200],
  ["POST", "/webhooks/{webhookId}/test", 200],
  ["GET", "/webhooks/{webhookId}/deliveries", 200],
  ["POST", "/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", 200],
  ["POST", "/notification-channels", 201],
];

/** Compatible additions to the design's contract (the security issue's paths among them). */
const extensionPaths: [method: string, path: string, success: number][] = [
  ["POST", "/devices/{deviceId}/token", 200],
  ["DELETE", "/devices/{deviceId}/token", 204],
  ["POST", "/auth/login", 200],
  ["POST", "/auth/logout", 204],
  ["GET", "/auth/me", 200],
  ["POST", "/users", 201],
  ["GET", "/users", 200],
  ["POST", "/api-keys", 201],
  ["GET", "/api-keys", 200],
  ["DELETE", "/api-keys/{keyId}", 204],
  ["GET", "/audit", 200],
  ["GET", "/rollouts/{rolloutId}/history", 200],
  ["POST", "/rollouts/plan", 200],
  ["GET", "/notification-channels", 200],
  ["GET", "/notification-channels/{channelId}", 200],
  ["PATCH", "/notification-channels/{channelId}", 200],
  ["DELETE", "/notification-channels/{channelId}", 204],
  ["POST", "/notification-channels/{channelId}/test", 200],
  ["GET", "/notification-channels/{channelId}/deliveries", 200],
];

describe("/api/openapi.json", () => {
  let server: RunningServer;
  let document: any;

  beforeAll(async () => {
    server = await startServer({ dataDir: "memory://", demo: false });
    const response = await fetch(`${server.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    document = await response.json();
  }, 60_000);
  afterAll(() => server?.close());

  it("is an OpenAPI 3 document served under /api", () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.servers).toEqual([{ url: "/api" }]);
  });

  it.each([...designPaths, ...policyPaths, ...extensionPaths])("documents %s %s with status %i", (method, apiPath, success) => {
    const operation = document.paths?.[apiPath]?.[method.toLowerCase()];
    expect(operation, `${method} ${apiPath} is missing`).toBeDefined();
    expect(Object.keys(operation.responses)).toContain(String(success));
  });

  it("documents nothing beyond the design but the extensions listed here", () => {
    const documented = Object.entries(document.paths as Record<string, object>).flatMap(([apiPath, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${apiPath}`),
    );
    const expected = [...designPaths, ...policyPaths, ...extensionPaths].map(([method, apiPath]) => `${method} ${apiPath}`);
    expect(documented.sort()).toEqual(expected.sort());
  });

  it("documents a rollout policy with its example and bounds", () => {
    const policy = document.components.schemas.RolloutPolicy;
    expect(policy.examples?.[0]?.waves?.[0]).toMatchObject({ name: "canary", count: 25 });
    expect(policy.properties.waves).toMatchObject({ minItems: 1, maxItems: 20 });
    expect(policy.properties.advance.enum).toEqual(["auto", "manual"]);
  });

  it("marks agent paths as taking a device token, operator paths an API key or session, login nothing", () => {
    const desired = document.paths["/devices/{deviceId}/desired-state"].get;
    expect(desired.security).toEqual([{ deviceToken: [] }]);
    const create = document.paths["/rollouts"].post;
    expect(create.security).toEqual([{ apiKey: [] }, { session: [] }]);
    expect(create.description).toContain("operator role");
    expect(document.paths["/users"].post.description).toContain("admin role");
    expect(document.paths["/auth/login"].post.security).toEqual([]);
  });

  // The table above must not drift from the design it copies: docs/DESIGN.md, the repository's copy
  // of the team's design (so this never depends on a file outside the clone).
  const designFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../docs/DESIGN.md");
  it("matches the REST tables of docs/DESIGN.md", () => {
    const design = readFileSync(designFile, "utf8");
    const section = design.slice(design.indexOf("## REST API"), design.indexOf("## Agent"));
    const listed = [...section.matchAll(/^\|([^|]+)\|/gm)]
      .flatMap((row) => [...row[1]!.matchAll(/(GET|POST|PUT|DELETE)\s+(\/[\w{}/-]+)/g)].map((match) => `${match[1]} ${match[2]}`))
      .sort();
    expect(listed).toEqual(designPaths.map(([method, apiPath]) => `${method} ${apiPath}`).sort());
  });

  it("serves an interactive reference at /api/docs", async () => {
    const page = await fetch(`${server.url}/api/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("swagger-ui-bundle.js");
    const bundle = await fetch(`${server.url}/api/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    const init = await (await fetch(`${server.url}/api/docs/init.js`)).text();
    expect(init).toContain("/api/openapi.json");
  });
});
