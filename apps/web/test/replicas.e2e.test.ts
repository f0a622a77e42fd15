import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../../server/test/support/databases";
import { loadBalancerAvailable } from "../../server/test/support/loadBalancer";
import { type ReplicaSet, startReplicaSet } from "../../server/test/support/replicas";
import { browserAvailable, launchChromium } from "./support/browser";

const postgres = testDatabases.find((database) => database.name === "postgres");

/**
 * The dashboard through HAProxy in front of three server replicas: every request of the page may
 * land on another replica (no stickiness), so the sign-in cookie must hold everywhere, and the
 * page's live channel, held open by one replica, must carry reports that the others handled —
 * well before the page's 5 s fallback poll would.
 */
describe.runIf(browserAvailable && postgres && loadBalancerAvailable)("dashboard through the load balancer", () => {
  let set: ReplicaSet;
  let browser: Browser;
  let page: Page;
  let drop: () => Promise<void>;

  const call = async (base: string, method: string, url: string, body?: unknown, token = set.adminToken) => {
    const response = await fetch(`${base}/api${url}`, {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };

  beforeAll(async () => {
    const created = await postgres!.create();
    drop = created.drop;
    set = await startReplicaSet({ databaseUrl: created.url!, count: 3 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await set?.close();
    await drop?.();
  });

  it("signs in once and follows a rollout live while each replica handles a report", async () => {
    const devices = ["lb-kiosk-1", "lb-kiosk-2", "lb-kiosk-3"];
    const tokens = new Map<string, string>();
    for (const id of devices) tokens.set(id, (await call(set.url, "POST", "/devices", { id, name: id })).token);
    const bundle = await call(set.url, "POST", "/bundles", { name: "Balanced Bundle" });
    await call(set.url, "POST", `/bundles/${bundle.id}/versions`, {
      version: "1.0.0",
      containers: [{ name: "app", image: "local/app:1" }],
    });
    const { rolloutId } = await call(set.url, "POST", "/rollouts", {
      bundleId: bundle.id,
      version: "1.0.0",
      targetType: "device",
      deviceIds: devices,
    });

    await page.goto(`${set.url}/rollouts/${rolloutId}`);
    await page.getByLabel("Username").fill("admin");
    await page.locator("input[autocomplete='current-password']").fill(set.adminPassword);
    const liveChannel = page.waitForRequest((request) => request.url().includes("rollouts.onChange"));
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: `Rollout ${rolloutId}` }).waitFor();
    await liveChannel;
    expect(await page.getByTestId("count-pending").textContent()).toBe("3");
    // Give the stream a moment to be subscribed on whichever replica holds it.
    await page.waitForTimeout(300);

    // Device i reports to replica i directly; at least two of them are not the one holding the page's stream.
    for (const [index, replica] of set.replicas.entries()) {
      const deviceId = devices[index]!;
      const reported = performance.now();
      await call(replica.url, "PUT", `/rollouts/${rolloutId}/status`, { deviceId, status: "updating" }, tokens.get(deviceId));
      await call(replica.url, "PUT", `/rollouts/${rolloutId}/status`, { deviceId, status: "succeeded" }, tokens.get(deviceId));
      await page
        .getByTestId("count-succeeded")
        .filter({ hasText: String(index + 1) })
        .waitFor({ timeout: 1_000 });
      expect(performance.now() - reported).toBeLessThan(1_000);
    }
    expect(await page.getByTestId("count-pending").textContent()).toBe("0");
  }, 60_000);
});
