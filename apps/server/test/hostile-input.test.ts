import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";
import { tableSnapshot } from "./support/fleet";

/**
 * Hostile input over every REST path of the OpenAPI document: random and malformed bodies, path
 * and query values (huge strings, NUL bytes, traversal, SQL fragments, prototype-pollution keys,
 * wrong types), with and without credentials. The properties: never a 5xx, and a rejected request
 * leaves every table exactly as it was.
 */
const RUNS_PER_OPERATION = Number(process.env.SIGNALBEAM_FUZZ_RUNS ?? 40);

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  bodyProps: Record<string, { type?: string }>;
}

const hostileStrings = fc.constantFrom(
  "../../../../etc/passwd",
  "..%2F..%2Fetc%2Fpasswd",
  "\u0000",
  "abc\u0000def",
  "' OR '1'='1",
  "1; DROP TABLE devices; --",
  "$1",
  "%",
  "__proto__",
  "constructor",
  "prototype",
  "\u202e\u0301😀",
  "x".repeat(4_000),
  "-1",
  "1e309",
  "NaN",
  "null",
  "true",
  "[]",
  "{}",
  "00000000-0000-4000-8000-000000000000",
  "f9c15f6f-a40f-40a8-9c6f-a2bf2786f590",
  "device-001",
);
const anyString = fc.oneof(hostileStrings, fc.string({ unit: "binary", maxLength: 300 }), fc.string({ maxLength: 20 }));
/** Any JSON value of the wrong (or right) shape. */
const anyValue = fc.oneof(
  anyString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 4 }),
  fc.array(anyString, { maxLength: 5 }),
);
const pollutionKeys = fc.constantFrom("__proto__", "constructor", "prototype", "__defineGetter__", "hasOwnProperty");

/** Bodies as raw text: shaped like the operation's, shaped like nothing, or not JSON at all. */
const bodyText = (operation: Operation) => {
  const declared = Object.keys(operation.bodyProps);
  const shaped = fc
    .dictionary(declared.length ? fc.oneof(fc.constantFrom(...declared), pollutionKeys, anyString) : anyString, anyValue, {
      maxKeys: 6,
    })
    .map((value) => JSON.stringify(value));
  return fc.oneof(
    shaped,
    fc.jsonValue({ maxDepth: 5 }).map((value) => JSON.stringify(value)),
    pollutionKeys.map((key) => `{"${key}": {"isAdmin": true, "polluted": "yes"}}`),
    fc.integer({ min: 33, max: 5_000 }).map((depth) => "[".repeat(depth) + "]".repeat(depth)),
    fc.integer({ min: 33, max: 2_000 }).map((depth) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth)),
    anyString,
    fc.constant(""),
    fc.constant(JSON.stringify({ name: "x".repeat(200_000), description: "\u0000".repeat(1000) })),
  );
};

/** fast-check's own report prints whole counterexamples (some are 100 kB); keep failures readable. */
const shortReport = <T>(details: fc.RunDetails<T>) => {
  if (!details.failed) return;
  const example = JSON.stringify(details.counterexample).slice(0, 1_500);
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(`${cause}\ncounterexample (seed ${details.seed}): ${example}`);
};

/** Lone surrogates cannot be percent-encoded; UTF-8 round-tripping turns them into U+FFFD. */
const wellFormed = (value: string) => Buffer.from(value, "utf8").toString("utf8");

describe("hostile input on every REST path", () => {
  let server: RunningServer;
  let operations: Operation[];
  let credentials: (string | undefined)[];

  beforeAll(async () => {
    server = await startServer({ dataDir: "memory://", demo: true });
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as any;
    operations = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        pathParams: (operation.parameters ?? []).filter((p: any) => p.in === "path").map((p: any) => p.name),
        queryParams: (operation.parameters ?? []).filter((p: any) => p.in === "query").map((p: any) => p.name),
        bodyProps: operation.requestBody?.content?.["application/json"]?.schema?.properties ?? {},
      })),
    );
    const admin = server.bootstrap!.generatedToken!;
    const device = await fetch(`${server.url}/api/devices`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ id: "fuzz-device", name: "Fuzz" }),
    });
    const deviceToken = ((await device.json()) as { token: string }).token;
    // Mostly the admin key, so requests get past authorization into validation and handlers.
    credentials = [admin, admin, admin, deviceToken, undefined, "sbk_0123456789ab_not-a-valid-key-0000", "sbd_x"];
  }, 60_000);
  afterAll(() => server?.close());

  it("covers every documented operation", () => {
    expect(operations.length).toBeGreaterThanOrEqual(30);
  });

  it("never answers 5xx, and rejected requests change nothing", async () => {
    for (const operation of operations) {
      const property = fc.asyncProperty(
        fc.array(anyString, { minLength: operation.pathParams.length, maxLength: operation.pathParams.length }),
        fc.dictionary(
          fc.oneof(fc.constantFrom(...operation.queryParams, "__proto__", "constructor[prototype]"), anyString),
          anyString,
          {
            maxKeys: 4,
          },
        ),
        bodyText(operation),
        fc.nat({ max: credentials.length - 1 }),
        fc.constantFrom("application/json", "application/json", "text/plain", "application/x-www-form-urlencoded"),
        async (pathValues, query, body, credentialIndex, contentType) => {
          let path = operation.path;
          operation.pathParams.forEach((name, index) => {
            path = path.replace(`{${name}}`, encodeURIComponent(wellFormed(pathValues[index]!)));
          });
          const search = new URLSearchParams(
            Object.entries(query).map(([key, value]): [string, string] => [wellFormed(key), wellFormed(value)]),
          );
          const credential = credentials[credentialIndex];
          const withBody = operation.method !== "GET";
          const before = await tableSnapshot(server.database.db);
          const response = await fetch(`${server.url}/api${path}${search.size ? `?${search}` : ""}`, {
            method: operation.method,
            headers: {
              ...(credential ? { authorization: `Bearer ${credential}` } : {}),
              ...(withBody ? { "content-type": contentType } : {}),
            },
            body: withBody ? body : undefined,
          });
          const text = await response.text();
          expect(response.status, `${operation.method} ${path} → ${response.status} ${text.slice(0, 300)}`).toBeLessThan(500);
          if (response.status >= 400) {
            expect(await tableSnapshot(server.database.db), `${operation.method} ${path} changed the database`).toEqual(before);
            // Errors are JSON with a message, never an HTML page or a stack trace — except Node's
            // own refusal of an oversized request line, which never reaches the application.
            if (response.status !== 431) {
              const error = JSON.parse(text) as { message?: unknown };
              expect(typeof error.message, text.slice(0, 300)).toBe("string");
            }
            expect(text).not.toMatch(/at .+\.(ts|js):\d+/);
          }
        },
      );
      await fc.assert(property, { numRuns: RUNS_PER_OPERATION, endOnFailure: true, reporter: shortReport });
    }
    // Nothing reached Object.prototype.
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 600_000);

  it("refuses bodies over 1 MiB with 413 and deep nesting with 400, naming the limit", async () => {
    const admin = server.bootstrap!.generatedToken!;
    const post = (body: string) =>
      fetch(`${server.url}/api/groups`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body,
      });
    const huge = await post(JSON.stringify({ name: "x".repeat(1024 * 1024 + 1) }));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { message: string }).message).toContain("limit");
    const deep = await post('{"name":"deep","deviceIds":' + "[".repeat(100) + "]".repeat(100) + "}");
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { message: string }).message).toContain("nested deeper than 32");
  });
});
