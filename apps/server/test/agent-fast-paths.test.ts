import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";
import { testDatabases } from "./support/databases";
import { countsByGroupBy, createBundleWithVersions, createFleet, tableSnapshot } from "./support/fleet";
import { type RestClient, restClient } from "./support/http";

/**
 * The agent's status report is answered before Express when it succeeds, and handed to Express
 * (body already read) when it does not. These tests hold the fast path to the REST path's own
 * answers: every rejected report gets exactly the error it would get without the fast path (on
 * PostgreSQL, compared against a second server on the same database with fast paths off), and
 * writes nothing.
 */
describe.each(testDatabases)("agent fast paths on $name", (database) => {
  let server: RunningServer;
  let plain: RunningServer | undefined;
  let api: RestClient;
  let drop: () => Promise<void>;
  let fleet: Awaited<ReturnType<typeof createFleet>>;
  let rolloutId: string;

  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    server = await startServer({ databaseUrl: created.url, dataDir: created.dataDir, demo: false });
    api = restClient(server.url, server.bootstrap!.generatedToken);
    // Embedded PGlite is one process: there is no second server to compare with.
    if (created.url) plain = await startServer({ databaseUrl: created.url, demo: false, fastPaths: false });
    fleet = await createFleet(api, `fast-${database.name}`, 3);
    const bundleId = await createBundleWithVersions(api, `fast-${database.name}`, ["1.0.0"]);
    const [a, b] = fleet.ids as [string, string];
    rolloutId = (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: [a, b] })).body
      .rolloutId;
  }, 60_000);
  afterAll(async () => {
    await plain?.close();
    await server?.close();
    await drop?.();
  });

  const token = (index: number) => fleet.tokens.get(fleet.ids[index]!)!;
  const device = (index: number) => fleet.ids[index]!;

  interface Case {
    name: string;
    body: () => string;
    token?: () => string | null;
    contentType?: string;
    status: number;
    says: RegExp | (() => RegExp);
  }
  const rejected: Case[] = [
    { name: "malformed JSON", body: () => `{"deviceId":"${device(0)}",`, status: 400, says: /not valid JSON/ },
    { name: "an array", body: () => "[]", status: 400, says: /deviceId/ },
    { name: "a string", body: () => '"updating"', status: 400, says: /deviceId/ },
    {
      name: "nesting deeper than 32",
      body: () => `{"deviceId":"${device(0)}","status":"updating","x":${"[".repeat(40)}${"]".repeat(40)}}`,
      status: 400,
      says: /nested deeper than 32/,
    },
    {
      name: "an unknown field",
      body: () => JSON.stringify({ deviceId: device(0), status: "updating", extra: 1 }),
      status: 400,
      says: /extra/,
    },
    {
      name: "an unknown status",
      body: () => JSON.stringify({ deviceId: device(0), status: "done" }),
      status: 400,
      says: /status/,
    },
    {
      name: "a skipped step",
      body: () => JSON.stringify({ deviceId: device(0), status: "succeeded" }),
      status: 409,
      says: /pending/,
    },
    {
      name: "another device's token",
      body: () => JSON.stringify({ deviceId: device(0), status: "updating" }),
      token: () => token(1),
      status: 403,
      says: () => new RegExp(device(1)),
    },
    {
      name: "a device outside the rollout",
      body: () => JSON.stringify({ deviceId: device(2), status: "updating" }),
      token: () => token(2),
      status: 404,
      says: /is not part of rollout/,
    },
    {
      name: "no credential",
      body: () => JSON.stringify({ deviceId: device(0), status: "updating" }),
      token: () => null,
      status: 401,
      says: /token|credential|authoriz/i,
    },
    {
      name: "a text/plain body",
      body: () => JSON.stringify({ deviceId: device(0), status: "updating" }),
      contentType: "text/plain",
      status: 415,
      says: /content-type/i,
    },
  ];

  const send = (target: RunningServer, report: Case, path = `/rollouts/${rolloutId}/status`) => {
    const credential = report.token ? report.token() : token(0);
    return restClient(target.url).request("PUT", path, {
      rawBody: report.body(),
      token: credential,
      headers: { "content-type": report.contentType ?? "application/json" },
    });
  };

  it.each(rejected)("refuses $name with the REST path's own $status, writing nothing", async (report) => {
    const before = await tableSnapshot(server.database.db);
    const answer = await send(server, report);
    expect(answer.status, JSON.stringify(answer.body)).toBe(report.status);
    expect(answer.body.message).toMatch(typeof report.says === "function" ? report.says() : report.says);
    if (plain) {
      const withoutFastPath = await send(plain, report);
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: withoutFastPath.status,
        body: withoutFastPath.body,
      });
    }
    expect(await tableSnapshot(server.database.db)).toEqual(before);
  });

  it("answers a good report as the contract says, the path's rollout winning over one in the body", async () => {
    const answer = await api.request("PUT", `/rollouts/${rolloutId}/status`, {
      body: { deviceId: device(1), status: "updating", rolloutId: randomUUID() },
      token: token(1),
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.headers.get("content-type")).toContain("application/json");
    expect(answer.body).toEqual({
      rolloutId,
      deviceId: device(1),
      status: "updating",
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      completedAt: null,
      errorMessage: null,
    });
    const done = await api.put(`/rollouts/${rolloutId}/status`, { deviceId: device(1), status: "succeeded" }, token(1));
    expect(done.body).toMatchObject({ status: "succeeded", completedAt: expect.any(String) });
    const rollout = (await api.get(`/rollouts/${rolloutId}`)).body;
    expect(rollout.progress).toEqual(await countsByGroupBy(server.database.db, rolloutId));
    expect(rollout.progress).toMatchObject({ succeeded: 1, pending: 1 });
  });

  it("sends every answer with the same security headers, fast paths included", async () => {
    const securityHeaders = [
      "content-security-policy",
      "cross-origin-opener-policy",
      "cross-origin-resource-policy",
      "origin-agent-cluster",
      "referrer-policy",
      "strict-transport-security",
      "x-content-type-options",
      "x-dns-prefetch-control",
      "x-download-options",
      "x-frame-options",
      "x-permitted-cross-domain-policies",
      "x-xss-protection",
    ];
    const of = (response: { headers: Headers }) => securityHeaders.map((name) => [name, response.headers.get(name)]);
    const dashboard = await fetch(`${server.url}/`);
    const expected = of(dashboard);
    expect(dashboard.headers.get("x-content-type-options")).toBe("nosniff");
    expect(dashboard.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");

    const poll = await api.get(`/devices/${device(0)}/desired-state`, token(0));
    const notModified = await api.request("GET", `/devices/${device(0)}/desired-state`, {
      token: token(0),
      headers: { "if-none-match": poll.headers.get("etag")! },
    });
    const report = await api.put(`/rollouts/${rolloutId}/status`, { deviceId: device(0), status: "updating" }, token(0));
    const rollout = await api.get(`/rollouts/${rolloutId}`);
    const refused = await api.get(`/devices/${device(0)}/desired-state`, null);
    const answers = { poll, notModified, report, rollout, refused };
    expect(Object.fromEntries(Object.entries(answers).map(([name, answer]) => [name, answer.status]))).toEqual({
      poll: 200,
      notModified: 304,
      report: 200,
      rollout: 200,
      refused: 401,
    });
    for (const [name, answer] of Object.entries(answers)) expect(of(answer), name).toEqual(expected);
  });
});
