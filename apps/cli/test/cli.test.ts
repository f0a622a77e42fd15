import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type RunningServer, startServer } from "@signalbeam/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet } from "../../agent/src/fleet/simulateFleet";
import { testDatabases } from "../../server/test/support/databases";
import { freePort } from "../../server/test/support/loadBalancer";
import { EXIT } from "../src/errors";
import { cli } from "./support/cli";

const ADMIN_TOKEN = "sbk_c11e57000001_cli-tests-admin-key-0001";
const silent = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * `signalbeam` against the real server, on each database: every command, its --json shape (the
 * API's), its exit code, and its one-line errors. Commands run in this process (as a pipe sees
 * them: no TTY); the terminal view has a suite of its own in a real pseudo-terminal.
 */
describe.each(testDatabases)("signalbeam against a real server on $name", (database) => {
  let server: RunningServer;
  let drop: () => Promise<void>;
  let configDir: string;
  let env: NodeJS.ProcessEnv;
  const tokens = new Map<string, string>();
  const deviceIds = Array.from({ length: 12 }, (_, index) => `cli-${database.name}-${String(index + 1).padStart(2, "0")}`);
  let bundleName: string;

  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    server = await startServer({
      databaseUrl: created.url,
      dataDir: created.dataDir,
      demo: false,
      admin: { token: ADMIN_TOKEN },
    });
    configDir = mkdtempSync(path.join(tmpdir(), "signalbeam-cli-"));
    env = { SIGNALBEAM_CONFIG_DIR: configDir, PATH: process.env.PATH };
    const login = await cli(["login", "--url", server.url, "--api-key", ADMIN_TOKEN], env);
    expect(login, login.stderr).toMatchObject({ code: 0 });
    for (const id of deviceIds) {
      const response = await fetch(`${server.url}/api/devices`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ id, name: `CLI ${id}`, labels: { ring: id.endsWith("01") ? "canary" : "main" } }),
      });
      tokens.set(id, ((await response.json()) as { token: string }).token);
    }
    bundleName = `CLI Bundle ${database.name}`;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await drop?.();
    rmSync(configDir, { recursive: true, force: true });
  });

  it("logs in to a profile kept with mode 0600, and says who it acts as", async () => {
    const file = path.join(configDir, "config.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const whoami = await cli(["whoami", "--json"], env);
    expect(whoami.code).toBe(0);
    expect(whoami.json()).toMatchObject({
      profile: "default",
      url: server.url,
      user: { username: "admin", role: "admin", via: "apiKey" },
    });
    const human = await cli(["whoami"], env);
    expect(human.stdout).toMatch(/user\s+admin \(admin, by API key\)/);
    // The environment beats the profile.
    const viaEnv = await cli(["whoami", "--json"], { ...env, SIGNALBEAM_API_KEY: "sbk_000000000000_not-a-real-key-at-all" });
    expect(viaEnv.code).toBe(EXIT.auth);
  });

  it.each([
    {
      name: "a wrong API key",
      args: (url: string) => ["login", "--url", url, "--api-key", "sbk_000000000000_not-a-real-key-at-all"],
      code: EXIT.auth,
      says: /not signed in/,
    },
    { name: "no URL", args: () => ["login", "--api-key", ADMIN_TOKEN], code: EXIT.usage, says: /give the server's URL/ },
    {
      name: "an unknown profile",
      args: () => ["whoami", "--profile", "staging"],
      code: EXIT.usage,
      says: /no profile "staging"/,
    },
    { name: "an unknown command", args: () => ["rollouts", "explode"], code: EXIT.usage, says: /unknown command/ },
  ])("refuses $name with one line and exit $code", async ({ args, code, says }) => {
    const result = await cli(args(server.url), env);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(says);
    expect(
      result.stderr
        .trim()
        .split("\n")
        .filter((line) => line.startsWith("signalbeam:")).length,
    ).toBeLessThanOrEqual(1);
  });

  it("says the server is unreachable (exit 5) when nothing answers", async () => {
    const port = await freePort();
    const result = await cli(["rollouts", "list"], { ...env, SIGNALBEAM_URL: `http://127.0.0.1:${port}` });
    expect(result.code).toBe(EXIT.unreachable);
    expect(result.stderr.trim()).toMatch(
      new RegExp(`^signalbeam: cannot reach the server at http://127.0.0.1:${port} \\(ECONNREFUSED\\)`),
    );
  });

  it("creates a bundle, publishes a version from YAML and from JSON, and finds it by name", async () => {
    expect((await cli(["bundles", "create", "--name", bundleName, "--description", "for the CLI"], env)).code).toBe(0);
    const dir = mkdtempSync(path.join(tmpdir(), "signalbeam-bundle-"));
    const yamlFile = path.join(dir, "1.0.0.yaml");
    writeFileSync(yamlFile, "version: 1.0.0\ncontainers:\n  - name: app\n    image: local/app:1\n    env:\n      MODE: cli\n");
    const jsonFile = path.join(dir, "2.0.0.json");
    writeFileSync(jsonFile, JSON.stringify({ version: "2.0.0", containers: [{ name: "app", image: "local/app:2" }] }));
    expect((await cli(["bundles", "publish", bundleName.toLowerCase(), "--file", yamlFile], env)).stdout).toContain("published");
    expect((await cli(["bundles", "publish", bundleName, "--file", jsonFile], env)).code).toBe(0);
    const got = await cli(["bundles", "get", bundleName, "--json"], env);
    expect(got.json()).toMatchObject({ name: bundleName, latestVersion: "2.0.0" });
    expect(got.json().versions.map((version: { version: string }) => version.version)).toEqual(["2.0.0", "1.0.0"]);
    expect(got.json().versions[1].containers[0]).toMatchObject({ image: "local/app:1", env: { MODE: "cli" } });

    const bad = path.join(dir, "bad.yaml");
    writeFileSync(bad, "version: [unclosed\n");
    const refused = await cli(["bundles", "publish", bundleName, "--file", bad], env);
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toMatch(/bad\.yaml is not valid YAML/);
    const unknown = await cli(["bundles", "get", "No Such Bundle"], env);
    expect(unknown.code).toBe(EXIT.notFound);
    expect(unknown.stderr).toContain(`no bundle "No Such Bundle" — there are: ${bundleName}`);
    rmSync(dir, { recursive: true, force: true });
  });

  it("turns every policy flag into the API's policy, and --json answers the API's own shape", async () => {
    const result = await cli(
      [
        "rollouts",
        "create",
        "--bundle",
        bundleName,
        "--version",
        "1.0.0",
        "--devices",
        deviceIds.join(","),
        "--waves",
        "25%,100%",
        "--canary-label",
        "ring=canary",
        "--gate",
        "95",
        "--soak",
        "10m",
        "--max-failures",
        "10%",
        "--min-completed",
        "3",
        "--on-failure",
        "pause",
        "--timeout",
        "30m",
        "--retries",
        "3",
        "--rate",
        "500/min",
        "--start-at",
        "2099-01-01T00:00:00Z",
        "--window",
        "0 1 * * *",
        "--window-duration",
        "4h",
        "--tz",
        "Europe/Berlin",
        "--json",
      ],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const created = result.json();
    expect(created).toMatchObject({ version: "1.0.0", status: "scheduled", targetType: "device", targetIds: deviceIds });
    expect(created.rolloutId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.policy).toEqual({
      waves: [{ name: "canary", selector: { labels: { ring: "canary" } } }, { percent: 25 }, { percent: 100 }],
      advance: "auto",
      gate: { successPercent: 95, soakSeconds: 600 },
      failureThreshold: { percent: 10, minCompleted: 3, action: "pause" },
      deviceTimeoutSeconds: 1800,
      retry: { maxAttempts: 4, backoffSeconds: 60 },
      rate: { maxPerMinute: 500 },
      schedule: {
        startAt: "2099-01-01T00:00:00.000Z",
        windows: [{ cron: "0 1 * * *", durationMinutes: 240, timezone: "Europe/Berlin" }],
      },
    });
    const got = await cli(["rollouts", "get", created.rolloutId, "--json"], env);
    expect(Object.keys(got.json()).sort()).toEqual(
      Object.keys(
        await (
          await fetch(
            `${server.url}/trpc/rollouts.byId?input=${encodeURIComponent(JSON.stringify({ json: { rolloutId: created.rolloutId, targets: "summary" } }))}`,
            { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
          )
        )
          .json()
          .then((body: any) => body.result.data.json),
      ).sort(),
    );
    expect((await cli(["rollouts", "cancel", created.rolloutId], env)).stdout).toMatch(/^cancelled .* cancelled/);
  });

  it("plans with --dry-run (which devices land in which wave, nothing created), and --rollout-id creates exactly that plan", async () => {
    const before = (await cli(["rollouts", "list", "--json"], env)).json().totalCount;
    const args = ["rollouts", "create", "--bundle", bundleName, "--version", "1.0.0", "--devices", deviceIds.join(",")];
    const policy = ["--canary-label", "ring=canary", "--waves", "50%,100%"];
    const dry = await cli([...args, ...policy, "--dry-run", "--json"], env);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = dry.json().plan as { rolloutId: string; waves: { size: number; deviceIds: string[] }[] };
    expect(plan.waves.map((wave) => wave.size)).toEqual([1, 5, 6]);
    expect(plan.waves[0]!.deviceIds).toEqual([deviceIds[0]]); // the one labelled ring=canary
    expect(plan.waves.flatMap((wave) => wave.deviceIds).sort()).toEqual([...deviceIds].sort());
    const human = await cli([...args, ...policy, "--dry-run"], env);
    expect(human.stdout).toContain("dry run — nothing created. 12 device(s)");
    expect(human.stdout).toMatch(/to create exactly this, add --rollout-id [0-9a-f-]{36}/);
    expect((await cli(["rollouts", "list", "--json"], env)).json().totalCount).toBe(before);

    const created = await cli([...args, ...policy, "--rollout-id", plan.rolloutId, "--json"], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json().rolloutId).toBe(plan.rolloutId);
    const rows = (await cli(["rollouts", "devices", plan.rolloutId, "--page-size", "100", "--json"], env)).json().devices as {
      deviceId: string;
      wave: number;
    }[];
    for (const [index, wave] of plan.waves.entries())
      expect(
        rows
          .filter((row) => row.wave === index)
          .map((row) => row.deviceId)
          .sort(),
      ).toEqual([...wave.deviceIds].sort());
    const again = await cli([...args, "--rollout-id", plan.rolloutId], env);
    expect(again.code).toBe(EXIT.usage);
    expect(again.stderr).toMatch(/rolloutId: a rollout with id .* already exists/);
    // Without policy flags, a plain rollout: every device at once.
    const plain = await cli([...args, "--json"], env);
    expect(plain.json()).toMatchObject({ policy: null, waves: [], status: "pending" });
  });

  it.each([
    { flags: ["--soak", "10 minutes"], says: "--soak must be a duration like 30s, 10m, 1h30m or 2d" },
    { flags: ["--gate", "150%"], says: "--gate must be a percentage from 0 to 100" },
    { flags: ["--waves", "10%,abc"], says: '--waves: "abc" is neither a share' },
    { flags: ["--max-failures", "ten"], says: "--max-failures must be a percentage" },
    { flags: ["--rate", "fast"], says: "--rate must be a rate like 500/min" },
    { flags: ["--retries", "-1"], says: "--retries must be a whole number from 0 to 9" },
    { flags: ["--window", "0 1 * * *"], says: "--window needs --window-duration and --tz" },
    { flags: ["--on-failure", "explode", "--max-failures", "5%"], says: "--on-failure" },
  ])("refuses $flags with the flag named, exit 2, nothing created", async ({ flags, says }) => {
    const before = (await cli(["rollouts", "list", "--json"], env)).json().totalCount;
    const result = await cli(
      ["rollouts", "create", "--bundle", bundleName, "--version", "1.0.0", "--devices", deviceIds[0]!, ...flags],
      env,
    );
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(says);
    expect((await cli(["rollouts", "list", "--json"], env)).json().totalCount).toBe(before);
  });

  it("passes the server's refusal on with its message and field", async () => {
    const missingVersion = await cli(
      ["rollouts", "create", "--bundle", bundleName, "--version", "9.9.9", "--devices", deviceIds[0]!],
      env,
    );
    expect([EXIT.usage, EXIT.notFound]).toContain(missingVersion.code);
    expect(missingVersion.stderr).toMatch(/^signalbeam: (refused|not found): .*9\.9\.9/);
    const unknownDevice = await cli(
      ["rollouts", "create", "--bundle", bundleName, "--version", "1.0.0", "--devices", "no-such-device"],
      env,
    );
    expect(unknownDevice.stderr).toMatch(/no-such-device/);
    const notAnId = await cli(["rollouts", "get", "not-a-uuid"], env);
    expect(notAnId).toMatchObject({ code: EXIT.usage });
    const missing = await cli(["rollouts", "get", "00000000-0000-4000-8000-000000000000"], env);
    expect(missing.code).toBe(EXIT.notFound);
  });

  it("follows a staged rollout driven by simulated agents to its end, wave by wave, from the change subscription", async () => {
    const created = await cli(
      [
        "rollouts",
        "create",
        "--bundle",
        bundleName,
        "--version",
        "2.0.0",
        "--devices",
        deviceIds.join(","),
        "--waves",
        "2,50%,100%",
        "--json",
      ],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const rolloutId = created.json().rolloutId as string;
    const controller = new AbortController();
    const fleet = startFleet(
      {
        apiUrl: server.url,
        devices: deviceIds.map((id) => ({ id, token: tokens.get(id)! })),
        pollIntervalMs: 200,
        failureRate: 0,
        timeScale: 0,
        log: silent,
      },
      controller.signal,
    );
    try {
      const watched = await cli(["rollouts", "watch", rolloutId, "--json"], env);
      expect(watched.code, watched.stderr).toBe(0);
      const states = watched.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(states.at(-1)).toMatchObject({ status: "completed", progress: { succeeded: 12 } });
      // It followed the rollout as it went (not just its first and last state), every wave started.
      expect(states.length).toBeGreaterThanOrEqual(3);
      expect(states.at(-1).waves.map((wave: { startedAt: string | null }) => wave.startedAt !== null)).toEqual([
        true,
        true,
        true,
      ]);
      const human = await cli(["rollouts", "watch", rolloutId], env);
      expect(human.stdout).toMatch(/rollout .* completed: completed · wave 3\/3 · 12\/12 succeeded/);
      const devices = await cli(["rollouts", "devices", rolloutId, "--json"], env);
      expect(devices.json().devices).toHaveLength(12);
    } finally {
      controller.abort();
      await fleet.done;
    }
  }, 60_000);

  it("exits 1 under --fail-on paused when the failure threshold pauses the rollout, and controls it", async () => {
    const created = await cli(
      [
        "rollouts",
        "create",
        "--bundle",
        bundleName,
        "--version",
        "1.0.0",
        "--devices",
        deviceIds.slice(0, 6).join(","),
        "--waves",
        "50%,100%",
        "--max-failures",
        "10%",
        "--json",
      ],
      env,
    );
    const rolloutId = created.json().rolloutId as string;
    const pending = (await cli(["rollouts", "devices", rolloutId, "--status", "pending", "--json"], env)).json().devices as {
      deviceId: string;
    }[];
    const report = (deviceId: string, status: string) =>
      fetch(`${server.url}/api/rollouts/${rolloutId}/status`, {
        method: "PUT",
        headers: { authorization: `Bearer ${tokens.get(deviceId)}`, "content-type": "application/json" },
        body: JSON.stringify({ deviceId, status, ...(status === "failed" ? { errorMessage: "image pull failed" } : {}) }),
      });
    const watching = cli(["rollouts", "watch", rolloutId, "--fail-on", "failed,paused"], env);
    await report(pending[0]!.deviceId, "updating");
    await report(pending[0]!.deviceId, "failed");
    const watched = await watching;
    expect(watched.code).toBe(EXIT.rolloutFailed);
    expect(watched.stdout).toMatch(/paused: 1 of 1 finished devices failed/);

    expect((await cli(["rollouts", "resume", rolloutId], env)).stdout).toMatch(/^resume: /);
    const again = await cli(["rollouts", "resume", rolloutId], env);
    expect(again.code).toBe(EXIT.usage);
    expect(again.stderr).toMatch(/^signalbeam: refused: .*paused/);
    const advanced = await cli(["rollouts", "advance", rolloutId, "--json"], env);
    expect(advanced.code, advanced.stderr).toBe(0);
    expect(advanced.json()).toMatchObject({ id: rolloutId, currentWave: 1 });
    expect((await cli(["rollouts", "pause", rolloutId], env)).stdout).toMatch(/^pause: paused/);
    expect((await cli(["rollouts", "retry", rolloutId], env)).code).toBe(0);
    const rollback = await cli(["rollouts", "rollback", rolloutId, "--json"], env);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.json()).toHaveProperty("untouchedDeviceIds");
    const audit = await cli(["audit", "--rollout", rolloutId, "--json"], env);
    expect(audit.json().data.map((entry: { action: string }) => entry.action)).toEqual(
      expect.arrayContaining([
        "rollout.created",
        "rollout.paused",
        "rollout.resumed",
        "rollout.advanced",
        "rollout.retried",
        "rollout.rolled_back",
      ]),
    );
  }, 30_000);

  it("lists devices, groups, bundles and rollouts as tables, or as the API's pages with --json", async () => {
    const devices = await cli(["devices", "list", "--search", `cli-${database.name}`, "--json"], env);
    expect(devices.json()).toMatchObject({ totalCount: 12, page: 1 });
    expect(devices.json().data[0]).toHaveProperty("labels");
    const table = await cli(["devices", "list", "--search", `cli-${database.name}`, "--page-size", "2"], env);
    expect(table.stdout).toContain(deviceIds[0]);
    expect(table.stdout).toContain("page 1 of 6 (12 devices)");
    expect(table.stdout).not.toContain("\u001b["); // no colour without a terminal
    expect((await cli(["devices", "get", deviceIds[0]!, "--json"], env)).json()).toMatchObject({ id: deviceIds[0] });
    expect((await cli(["groups", "list", "--json"], env)).json()).toMatchObject({ data: [] });
    expect((await cli(["bundles", "list", "--json"], env)).json().data.map((b: { name: string }) => b.name)).toEqual([
      bundleName,
    ]);
    expect((await cli(["rollouts", "list", "--bundle", bundleName, "--json"], env)).json().totalCount).toBeGreaterThan(0);
  });
});
