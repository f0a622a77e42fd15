import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "@signalbeam/db";
import { type RunningServer, startServer } from "@signalbeam/server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver } from "../../server/test/support/receiver";
import { browserAvailable, launchChromium, webDir } from "./support/browser";

/**
 * The dashboard in real Chromium (Debian's, driven by playwright-core) against the real server,
 * with agents simulated by their REST reports. Without Chromium the suite skips locally;
 * SIGNALBEAM_REQUIRE_BROWSER=1 (CI) makes that a failure.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
// Kept in the workspace after a CI run (gitignored): apps/web/test-results/screenshots.
const screenshots = path.resolve(here, "../test-results/screenshots");

describe.runIf(browserAvailable)("dashboard in Chromium", () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const tokens = new Map<string, string>();
  const cspViolations: string[] = [];
  let adminPassword: string;

  /** Operator calls use the bootstrap admin key unless a device token is given. */
  const api = async (method: string, url: string, body?: unknown, token = server.bootstrap!.generatedToken) => {
    const response = await fetch(`${server.url}/api${url}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const report = (rolloutId: string, deviceId: string, status: string, errorMessage?: string) =>
    api("PUT", `/rollouts/${rolloutId}/status`, { deviceId, status, errorMessage }, tokens.get(deviceId));

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    server = await startServer({ dataDir: "memory://", demo: true, webDir });
    for (const id of ["web-1", "web-2"])
      tokens.set(id, (await api("POST", "/devices", { id, name: `Kiosk ${id.slice(-1)}` })).token);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // The content security policy must not block anything the dashboard itself needs.
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    adminPassword = server.bootstrap!.generatedPassword!;
  }, 90_000);

  const signIn = async (username: string, password: string) => {
    await page.getByLabel("Username").fill(username);
    await page.locator("input[autocomplete='current-password']").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
  };
  const signOut = async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
  };

  it("asks for a sign-in, refuses a wrong password, then shows who is signed in", async () => {
    await page.goto(`${server.url}/rollouts`);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await signIn("admin", "not the password");
    await page.getByText("wrong username or password").waitFor();
    await page.screenshot({ path: path.join(screenshots, "login.png") });
    await signIn("admin", adminPassword);
    await page.getByTestId("signed-in-as").filter({ hasText: "admin" }).waitFor();
    await page.getByRole("heading", { name: "Rollouts" }).waitFor();
    // The session lives in an httpOnly cookie: page scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain("signalbeam_session");
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("follows a rollout live: progress, failure, retry, cancel", async () => {
    // Bundles → bundle detail → Assign to Devices.
    await page.goto(`${server.url}/bundles`);
    await page.getByRole("link", { name: "Warehouse Telemetry" }).click();
    await page.getByRole("heading", { name: "Warehouse Telemetry" }).waitFor();
    await page.getByRole("button", { name: "Assign to Devices" }).click();
    const assign = page.getByRole("dialog", { name: "Assign to devices" });
    await assign.waitFor();

    // An empty selection is refused by the API, and the dialog says why.
    await assign.getByRole("button", { name: "Assign" }).click();
    await assign.getByText("deviceIds: must list at least one target").waitFor();

    const picker = assign.getByPlaceholder("Search by name or id");
    for (const name of ["Kiosk 1 (web-1)", "Kiosk 2 (web-2)"]) {
      await picker.fill("Kiosk");
      await page.getByRole("option", { name }).click();
    }
    await picker.blur(); // closes the option list, which covers the buttons
    await page.getByRole("listbox").waitFor({ state: "hidden" });
    await page.screenshot({ path: path.join(screenshots, "assign-dialog.png") });
    // Listen before clicking: the page subscribes as soon as it opens.
    const liveChannel = page.waitForRequest((request) => request.url().includes("rollouts.onChange"));
    await assign.getByRole("button", { name: "Assign" }).click();

    // Assign creates one rollout and lands on its status page.
    await page.waitForURL(/\/rollouts\/[0-9a-f-]{36}$/);
    const rolloutId = page.url().split("/").pop()!;
    await page.getByRole("heading", { name: `Rollout ${rolloutId}` }).waitFor();
    await page.getByText("Warehouse Telemetry 1.2.0", { exact: false }).waitFor();
    expect(await page.getByTestId("count-all").textContent()).toBe("2");
    expect(await page.getByTestId("count-pending").textContent()).toBe("2");

    // Agents report; the change is pushed (server-sent events), so the page catches up without a
    // reload and well before its 5 s fallback poll would.
    await liveChannel;
    await report(rolloutId, "web-1", "updating");
    await report(rolloutId, "web-1", "succeeded");
    await report(rolloutId, "web-2", "updating");
    await report(rolloutId, "web-2", "failed", "image pull failed: signalbeam/mqtt-forwarder:1.2.0 not found");
    await page.getByTestId("count-failed").filter({ hasText: "1" }).waitFor({ timeout: 3_000 });
    expect(await page.getByTestId("count-succeeded").textContent()).toBe("1");
    await page.screenshot({ path: path.join(screenshots, "rollout-status.png"), fullPage: true });

    // Sorting happens on the server: a click on Device Name flips the order.
    const firstDevice = () => page.getByRole("row").nth(1).getByRole("cell").first().textContent();
    expect(await firstDevice()).toBe("Kiosk 1");
    await page.getByRole("button", { name: /Device Name/ }).click();
    await page
      .getByRole("columnheader", { name: /Device Name/ })
      .and(page.locator('[aria-sort="descending"]'))
      .waitFor();
    await page.getByRole("row").nth(1).getByRole("cell", { name: "Kiosk 2" }).waitFor();
    expect(await firstDevice()).toBe("Kiosk 2");

    await page.getByRole("tab", { name: "Failed (1)" }).click();
    await page.getByRole("cell", { name: "image pull failed: signalbeam/mqtt-forwarder:1.2.0 not found" }).waitFor();
    expect(await page.getByRole("row").count()).toBe(2); // header + the one failed device

    await page.getByRole("button", { name: "Retry failed devices" }).click();
    await page.getByTestId("count-pending").filter({ hasText: "1" }).waitFor();
    expect(await page.getByTestId("count-failed").textContent()).toBe("0");

    await page.getByRole("button", { name: "Cancel Rollout" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel this rollout?" });
    await dialog.waitFor();
    // Keyboard: focus stays inside the dialog, and Escape backs out without cancelling.
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press("Tab");
      expect(await dialog.evaluate((element) => element.contains(document.activeElement))).toBe(true);
    }
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await page.getByTestId("count-pending").textContent()).toBe("1");
    await page.getByRole("button", { name: "Cancel Rollout" }).focus();
    await page.keyboard.press("Enter");
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Cancel Rollout" }).click();
    await page.getByText("Rollout cancelled", { exact: true }).waitFor();
    await page.locator('[data-status="cancelled"]').first().waitFor();
    expect(await page.getByTestId("count-cancelled").textContent()).toBe("1");

    // The audit trail, on the page: who created, retried and cancelled it.
    const timeline = page.getByTestId("rollout-timeline");
    await timeline.getByText("Cancelled (1 device stopped)").waitFor();
    expect(await timeline.getByText("Created: version 1.2.0 to 2 devices").count()).toBe(1);
    expect(await timeline.getByText("Retried 1 failed device").count()).toBe(1);
    expect(await timeline.getByText(/· admin$/).count()).toBe(3);
    await page.screenshot({ path: path.join(screenshots, "rollout-cancelled.png"), fullPage: true });
  }, 60_000);

  it("shows the bundle's rollout history and the fleet summary", async () => {
    await page.goto(`${server.url}/bundles/f9c15f6f-a40f-40a8-9c6f-a2bf2786f590`);
    await page.getByRole("tab", { name: /Rollouts/ }).click();
    await page.getByText("9/10 succeeded").waitFor();
    await page.getByText("10/10 succeeded").waitFor();
    await page.screenshot({ path: path.join(screenshots, "bundle-rollouts.png"), fullPage: true });

    await page.goto(`${server.url}/`);
    await page.getByRole("heading", { name: "Fleet" }).waitFor();
    await page.getByTestId("stat-devices").filter({ hasText: "27" }).waitFor(); // 25 demo devices + 2
    await page.screenshot({ path: path.join(screenshots, "dashboard.png"), fullPage: true });
  }, 30_000);

  it("lists rollouts with their progress and links to each", async () => {
    await page.goto(`${server.url}/rollouts`);
    await page.getByRole("heading", { name: "Rollouts" }).waitFor();
    await page.getByText("9/10 succeeded").waitFor(); // the demo's failed rollout
    await page.screenshot({ path: path.join(screenshots, "rollouts.png"), fullPage: true });
    await page.getByRole("link", { name: "View Details" }).first().click();
    await page.getByRole("heading", { name: /^Rollout / }).waitFor();
  }, 30_000);

  it("opens a rollout of 100,000 devices one page at a time", async () => {
    const db = server.database.db;
    // Bulk fleet straight into the tables (the API would take minutes to register 100,000 devices).
    await sql`INSERT INTO devices (id, name) SELECT 'bulk-' || lpad(n::text, 6, '0'), 'Bulk Sensor ' || n FROM generate_series(1, 100000) AS n`.execute(
      db,
    );
    await sql`INSERT INTO device_desired_states (device_id) SELECT id FROM devices WHERE id LIKE 'bulk-%'`.execute(db);
    const group = await api("POST", "/groups", { name: "Bulk" });
    await sql`INSERT INTO group_members (group_id, device_id) SELECT ${group.id}::uuid, id FROM devices WHERE id LIKE 'bulk-%'`.execute(
      db,
    );
    const { rolloutId } = await api("POST", "/rollouts", {
      bundleId: "f9c15f6f-a40f-40a8-9c6f-a2bf2786f590",
      version: "1.2.0",
      targetType: "group",
      groupIds: [group.id],
    });

    await page.goto(`${server.url}/rollouts/${rolloutId}`);
    await page.getByTestId("count-all").filter({ hasText: "100000" }).waitFor();
    await page.getByRole("cell", { name: "Bulk Sensor 1", exact: true }).waitFor();
    expect(await page.getByRole("row").count()).toBe(51); // header + one page of 50
    await page.getByRole("tab", { name: "Pending (100000)" }).waitFor();
    await page.screenshot({ path: path.join(screenshots, "rollout-100k.png") });
  }, 120_000);

  it("says so when a rollout does not exist", async () => {
    await page.goto(`${server.url}/rollouts/00000000-0000-4000-8000-000000000000`);
    await page.getByRole("heading", { name: "Rollout not found" }).waitFor();
  }, 30_000);

  it("lets an admin add a viewer, who can look but not act", async () => {
    await page.goto(`${server.url}/access`);
    await page.getByRole("tab", { name: "Users" }).click();
    await page.getByLabel("Username").fill("vera");
    await page.locator("input[autocomplete='new-password']").fill("viewer-password-123");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByRole("cell", { name: "vera", exact: true }).waitFor();

    await page.getByRole("tab", { name: "API keys" }).click();
    await page.getByLabel("New key for").fill("e2e-ci");
    await page.getByRole("button", { name: "Create key" }).click();
    const key = (await page.getByTestId("new-api-key").textContent())!.trim();
    expect(key).toMatch(/^sbk_[0-9a-f]{12}_/);
    await page.getByRole("button", { name: "Done" }).click();
    // The key works for tools at once, and the listing shows only its prefix.
    expect((await api("GET", "/auth/me", undefined, key)).role).toBe("operator");
    await page.getByRole("cell", { name: key.slice(0, 16), exact: true }).waitFor();
    expect(await page.getByText(key).count()).toBe(0);

    await signOut();
    await signIn("vera", "viewer-password-123");
    await page.getByTestId("signed-in-as").filter({ hasText: "vera" }).waitFor();
    await page.goto(`${server.url}/rollouts`);
    await page.getByRole("link", { name: "View Details" }).first().click();
    await page.getByTestId("count-all").waitFor();
    expect(await page.getByRole("button", { name: "Cancel Rollout" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Retry failed devices" }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Access" }).count()).toBe(0);
    await page.goto(`${server.url}/bundles/f9c15f6f-a40f-40a8-9c6f-a2bf2786f590`);
    await page.getByRole("heading", { name: "Warehouse Telemetry" }).waitFor();
    expect(await page.getByRole("button", { name: "Assign to Devices" }).count()).toBe(0);
    await signOut();
    expect(cspViolations).toEqual([]);
  }, 60_000);

  it("runs a canary rollout: wave 1 passes, wave 2 starts, a threshold pauses it, resume, roll back", async () => {
    const bundles = await api("GET", "/bundles?pageSize=100");
    const telemetry = bundles.data.find((bundle: { name: string }) => bundle.name === "Warehouse Telemetry");
    const ids = Array.from({ length: 10 }, (_, i) => `staged-${String(i + 1).padStart(2, "0")}`);
    for (const [index, id] of ids.entries()) {
      const labels = index < 2 ? { ring: "canary" } : {};
      tokens.set(id, (await api("POST", "/devices", { id, name: `Staged ${index + 1}`, labels })).token);
    }
    await api("POST", "/groups", { name: "Staged kiosks", deviceIds: ids });
    // They all run 1.1.0 first, so a rollback has somewhere to go back to.
    const base = await api("POST", "/rollouts", {
      bundleId: telemetry.id,
      version: "1.1.0",
      targetType: "device",
      deviceIds: ids,
    });
    for (const id of ids) {
      await report(base.rolloutId, id, "updating");
      await report(base.rolloutId, id, "succeeded");
    }

    await page.goto(`${server.url}/bundles/${telemetry.id}`);
    await signIn("admin", adminPassword); // the previous test signed out
    await page.getByRole("button", { name: "Assign to Devices" }).click();
    const assign = page.getByRole("dialog", { name: "Assign to devices" });
    await assign.waitFor();
    await assign.getByText("Groups", { exact: true }).click();
    await assign.getByPlaceholder("Pick groups").click();
    await page.getByRole("option", { name: "Staged kiosks (10 devices)" }).click();
    await assign.getByPlaceholder("Pick groups").blur(); // closes the option list, which covers what is below
    await page.getByRole("listbox").waitFor({ state: "hidden" });
    await assign.getByLabel("Strategy").click();
    await page.getByRole("option", { name: "Custom waves" }).click();
    await assign.getByLabel("Waves", { exact: true }).fill("2, 50%, 100%");
    await assign.getByLabel("Canary label", { exact: true }).fill("ring=canary");
    await assign.getByRole("button", { name: "Gates, failures and timing" }).click();
    await assign.getByLabel("Gate: success %").fill("100");
    await assign.getByLabel("Failure threshold %").fill("30");
    await assign.getByLabel("After at least").fill("3");
    const summary = assign.getByTestId("strategy-summary");
    await summary
      .filter({ hasText: "2 canary devices labelled ring=canary, then 50 %, then everyone; each next wave starts on its own" })
      .waitFor();
    expect(await summary.textContent()).toContain("pauses if more than 30 % fail");
    await page.screenshot({ path: path.join(screenshots, "staged-assign.png"), fullPage: true });
    await assign.getByRole("button", { name: "Assign" }).click();

    await page.waitForURL(/\/rollouts\/[0-9a-f-]{36}$/);
    const rolloutId = page.url().split("/").pop()!;
    await page.locator('[data-testid="wave-0"][data-state="running"]').waitFor();
    expect(await page.getByTestId("count-queued").textContent()).toBe("8");
    await page.getByTestId("waiting-for").filter({ hasText: "Waiting for wave 1 to reach 100 % succeeded (0 of 2)" }).waitFor();
    const pending = async () =>
      ((await api("GET", `/rollouts/${rolloutId}/devices?status=pending`)).devices as { deviceId: string }[]).map(
        (d) => d.deviceId,
      );
    const canaries = await pending();
    expect(canaries.sort()).toEqual(["staged-01", "staged-02"]);
    for (const id of canaries) {
      await report(rolloutId, id, "updating");
      await report(rolloutId, id, "succeeded");
    }
    // The gate passes; the controller starts wave 2 (3 devices) on its own.
    await page.locator('[data-testid="wave-0"][data-state="passed"]').waitFor();
    await page.locator('[data-testid="wave-1"][data-state="running"]').waitFor();
    await page.getByTestId("count-pending").filter({ hasText: "3" }).waitFor();
    // The chart (loaded on demand) draws the two canaries' successes.
    await page.getByTestId("rollout-chart").locator(".recharts-area").first().waitFor();
    await page.screenshot({ path: path.join(screenshots, "staged-wave-2.png"), fullPage: true });

    // One failure among 3 finished (33 % > 30 %): paused, with a reason a person can act on.
    const [first] = await pending();
    await report(rolloutId, first!, "updating");
    await report(rolloutId, first!, "failed", "container telemetry exited with code 1");
    await page.getByTestId("paused-reason").filter({ hasText: "1 of 3 finished devices failed (33.3 %)" }).waitFor();
    await page.screenshot({ path: path.join(screenshots, "staged-paused.png"), fullPage: true });

    await page.getByRole("button", { name: "Resume" }).click();
    const resume = page.getByRole("dialog", { name: "Resume this rollout?" });
    await resume.getByRole("button", { name: "Resume" }).click();
    await page.getByTestId("paused-reason").waitFor({ state: "hidden" });
    await page.getByRole("button", { name: "Pause" }).waitFor();

    await page.getByRole("button", { name: "Roll back" }).click();
    const rollback = page.getByRole("dialog", { name: "Roll back this rollout?" });
    await rollback.getByText("sent back to the version it ran before").waitFor();
    await rollback.getByRole("button", { name: "Roll back" }).click();
    await page.getByText("Rolled back by", { exact: false }).waitFor();
    await page.locator('[data-status="cancelled"]').first().waitFor();
    await page.screenshot({ path: path.join(screenshots, "staged-rolled-back.png"), fullPage: true });
    const rolledBack = await api("GET", `/rollouts/${rolloutId}?targets=summary`);
    const back = await api("GET", `/rollouts/${rolledBack.rolledBackBy[0]}`);
    expect(back).toMatchObject({ kind: "rollback", rollbackOf: rolloutId, version: "1.1.0" });
    expect(back.targetIds.sort()).toEqual([...canaries, first!].sort());
    await page.getByRole("link", { name: `rollout ${back.id}` }).click();
    await page.getByText(`rollout ${rolloutId}`, { exact: false }).waitFor();
  }, 90_000);

  it("lets an admin subscribe a webhook, see the secret once, and watch a rollout's delivery arrive in the log", async () => {
    const receiver = await startReceiver();
    try {
      await page.goto(`${server.url}/integrations`);
      await page.getByRole("heading", { name: "Integrations" }).waitFor();
      await page.getByRole("button", { name: "Add webhook" }).click();
      const add = page.getByRole("dialog", { name: "Add webhook" });
      await add.getByLabel("URL").fill(`${receiver.url}/ci`);
      await add.getByLabel("Description").fill("CI pipeline");
      await add.getByRole("button", { name: "Save" }).click();
      const secret = await page.getByTestId("webhook-secret").textContent();
      expect(secret).toMatch(/^whsec_/);
      await page.screenshot({ path: path.join(screenshots, "integrations-secret.png"), fullPage: true });
      await page.getByRole("button", { name: "Done" }).click();
      const row = page.getByTestId("webhook-row").filter({ hasText: "CI pipeline" });
      await row.getByTestId("integration-health").filter({ hasText: "No deliveries yet" }).waitFor();

      // A rollout made elsewhere (the API, as CI would) reaches the receiver, signed with that secret.
      const bundles = await api("GET", "/bundles?pageSize=100");
      const telemetry = bundles.data.find((bundle: { name: string }) => bundle.name === "Warehouse Telemetry");
      const rollout = await api("POST", "/rollouts", {
        bundleId: telemetry.id,
        version: "1.1.0",
        targetType: "device",
        deviceIds: ["web-1"],
      });
      await receiver.waitFor(1);
      expect(receiver.received[0]!.json).toMatchObject({ type: "rollout.created", data: { rolloutId: rollout.rolloutId } });
      expect(String(receiver.received[0]!.headers["webhook-signature"])).toMatch(/^v1,/);

      await row.getByTestId("integration-health").filter({ hasText: "Healthy" }).waitFor();
      await row.getByRole("button", { name: "Deliveries" }).click();
      const log = page.getByTestId("delivery-log");
      const delivered = log.getByTestId("delivery-row").filter({ hasText: "rollout.created" });
      await delivered.filter({ hasText: "succeeded" }).waitFor();
      expect(await delivered.textContent()).toContain("200");
      await page.waitForTimeout(500); // the dialog fades in
      await page.screenshot({ path: path.join(screenshots, "integrations-deliveries.png"), fullPage: true });
      await delivered.getByRole("button", { name: "Redeliver" }).click();
      await receiver.waitFor(2);
      expect(receiver.received[1]!.headers["webhook-id"]).toBe(receiver.received[0]!.headers["webhook-id"]);
    } finally {
      await receiver.close();
    }
  }, 60_000);
});
