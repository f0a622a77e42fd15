import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";
import { createBundleWithVersions, createFleet } from "./support/fleet";
import { type RestClient, restClient } from "./support/http";

const METRICS_TOKEN = "prometheus-scrape-token-0001";

/** GET /metrics: Prometheus text, for a viewer or the scrape token; counts what this server saw. */
describe("GET /metrics", () => {
  let server: RunningServer;
  let api: RestClient;
  const scrape = async (token?: string) => {
    const response = await fetch(`${server.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
  };
  /** The value of one series, e.g. `signalbeam_agent_requests_total{kind="poll",status="200"}`. */
  const value = (text: string, series: string) => {
    const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };

  beforeAll(async () => {
    server = await startServer({ dataDir: "memory://", demo: false, metricsToken: METRICS_TOKEN });
    api = restClient(server.url, server.bootstrap!.generatedToken);
  }, 60_000);
  afterAll(() => server?.close());

  it("needs a viewer's credential or the scrape token", async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape("not-the-token-at-all")).status).toBe(401);
    const byToken = await scrape(METRICS_TOKEN);
    expect(byToken.status).toBe(200);
    expect(byToken.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const byKey = await scrape(server.bootstrap!.generatedToken);
    expect(byKey.status).toBe(200);
    const { ids, tokens } = await createFleet(api, "metrics-device", 1);
    expect((await scrape(tokens.get(ids[0]!))).status).toBe(403); // a device token is not a viewer
  });

  it("counts polls, reports, finished updates with their duration, events, controller actions and rollouts by status", async () => {
    const before = (await scrape(METRICS_TOKEN)).text;
    const { ids, tokens } = await createFleet(api, "metrics", 3);
    const bundleId = await createBundleWithVersions(api, "metrics", ["1.0.0"]);
    const created = await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids, policy: {} });
    const rolloutId = created.body.rolloutId;
    for (const [index, id] of ids.entries()) {
      const poll = await api.get(`/devices/${id}/desired-state`, tokens.get(id));
      expect(poll.status).toBe(200);
      const etag = poll.headers.get("etag")!;
      const again = await api.request("GET", `/devices/${id}/desired-state`, {
        token: tokens.get(id),
        headers: { "if-none-match": etag },
      });
      expect(again.status).toBe(304);
      await api.put(`/rollouts/${rolloutId}/status`, { deviceId: id, status: "updating" }, tokens.get(id));
      const outcome = index === 0 ? { status: "failed", errorMessage: "boom" } : { status: "succeeded" };
      expect((await api.put(`/rollouts/${rolloutId}/status`, { deviceId: id, ...outcome }, tokens.get(id))).status).toBe(200);
    }
    await server.controller.runDue();
    const after = (await scrape(METRICS_TOKEN)).text;
    const delta = (series: string) => value(after, series) - value(before, series);

    expect(delta('signalbeam_agent_requests_total{kind="poll",status="200"}')).toBe(3);
    expect(delta('signalbeam_agent_requests_total{kind="poll",status="304"}')).toBe(3);
    expect(delta('signalbeam_agent_requests_total{kind="report",status="200"}')).toBe(6);
    expect(delta('signalbeam_device_updates_total{result="succeeded"}')).toBe(2);
    expect(delta('signalbeam_device_updates_total{result="failed"}')).toBe(1);
    expect(delta('signalbeam_update_duration_seconds_count{result="succeeded"}')).toBe(2);
    expect(delta('signalbeam_events_total{type="rollout.created"}')).toBe(1);
    expect(delta('signalbeam_events_total{type="device.failed"}')).toBe(1);
    expect(delta('signalbeam_controller_actions_total{kind="wave_started"}')).toBe(1);
    expect(value(after, 'signalbeam_rollouts{status="failed"}')).toBeGreaterThanOrEqual(1);
    // Process and event-loop metrics, and no device ids anywhere.
    expect(after).toContain("signalbeam_process_cpu_seconds_total");
    expect(after).toContain("signalbeam_nodejs_eventloop_lag_p99_seconds");
    for (const id of ids) expect(after).not.toContain(id);
  });

  it("serves every metric the Grafana dashboard in the repository charts", async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
    const dashboard = JSON.parse(
      readFileSync(path.join(root, "deploy/monitoring/grafana/dashboards/signalbeam.json"), "utf8"),
    ) as {
      panels: { targets: { expr: string }[] }[];
    };
    const used = new Set(
      dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/signalbeam_[a-z0-9_]+/g) ?? [])),
    );
    expect(used.size).toBeGreaterThanOrEqual(7);
    const served = new Set(
      (await scrape(METRICS_TOKEN)).text
        .split("\n")
        .filter((line) => line.startsWith("# TYPE "))
        .map((line) => line.split(" ")[2]!),
    );
    // A histogram's series are its name plus _bucket, _sum and _count.
    for (const name of used)
      expect({ name, served: served.has(name.replace(/_(bucket|sum|count)$/, "")) }).toEqual({ name, served: true });
  });
});
