import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "./support/databases";
import { createBundleWithVersions, createFleet } from "./support/fleet";
import { restClient } from "./support/http";
import { type Receiver, startReceiver } from "./support/receiver";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const ADMIN_TOKEN = "sbk_c4a50000c001_crash-test-admin-key-0001";
const postgres = testDatabases.find((database) => database.name === "postgres");

/** The real server (`main`), in a process of its own that a test can SIGKILL. */
async function startServerProcess(databaseUrl: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "apps/server/src/main.ts")], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      DATABASE_URL: databaseUrl,
      SIGNALBEAM_DEMO: "off",
      SIGNALBEAM_ADMIN_TOKEN: ADMIN_TOKEN,
      SIGNALBEAM_ADMIN_PASSWORD: "crash-test-admin-password",
      // A short attempt timeout keeps the lease an interrupted attempt leaves behind short (timeout + 5 s).
      SIGNALBEAM_DELIVERY_TIMEOUT_MS: "1000",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    if (
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (response) => response.ok,
        () => false,
      )
    )
      return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill("SIGKILL");
  throw new Error("server did not become healthy");
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve()),
  );

/**
 * At least once, across a crash: the server is SIGKILLed after the event committed and while its
 * webhook was on the wire. The restarted server sends it again, with the same webhook-id, once.
 * PostgreSQL only (a second process must open the same database); CI requires it.
 */
describe.skipIf(!postgres)("a webhook across a server crash", () => {
  let receiver: Receiver;
  let server: ChildProcess | undefined;
  let drop: () => Promise<void>;
  let url: string;
  const port = 20_000 + Math.floor(Math.random() * 20_000);

  beforeAll(async () => {
    const created = await postgres!.create();
    url = created.url!;
    drop = created.drop;
    receiver = await startReceiver();
  }, 60_000);
  afterAll(async () => {
    server?.kill("SIGKILL");
    await receiver?.close();
    await drop?.();
  });

  it("arrives after the restart, with one webhook-id", async () => {
    server = await startServerProcess(url, port);
    const api = restClient(`http://127.0.0.1:${port}`, ADMIN_TOKEN);
    const hook = await api.post("/webhooks", { url: `${receiver.url}/ci`, eventTypes: ["rollout.created"] });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    const { ids } = await createFleet(api, "crash", 2);
    const bundleId = await createBundleWithVersions(api, "crash", ["1.0.0"]);

    receiver.answerNext("hang"); // the first attempt never gets its answer
    const created = await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids });
    expect(created.status).toBe(201);
    await receiver.waitFor(1);
    server.kill("SIGKILL");
    await exited(server);

    server = await startServerProcess(url, port);
    // The killed attempt's lease (1 s timeout + 5 s) lapses; the new process sends it again.
    await receiver.waitFor(2, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // and only once more
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received;
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(second!.json).toMatchObject({ type: "rollout.created", data: { rolloutId: created.body.rolloutId } });
    const events = await api.get(`/events?rolloutId=${created.body.rolloutId}&type=rollout.created`);
    expect(first!.headers["webhook-id"]).toBe(String(events.body.data[0].id));

    const log = await api.get(`/webhooks/${hook.body.id}/deliveries`);
    expect(log.body.data).toHaveLength(1);
    expect(log.body.data[0]).toMatchObject({ status: "succeeded", attempt: 2, statusCode: 200 });
  }, 120_000);
});
