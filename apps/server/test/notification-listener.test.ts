import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenForNotifications, type NotificationListener } from "../src/notificationListener";
import { POSTGRES_ADMIN_URL, testDatabases } from "./support/databases";

const postgres = testDatabases.find((database) => database.name === "postgres");

/**
 * The one connection every replica listens on: cut, it must tell its channels at once (caches go),
 * come back by itself however long the database refuses it, and tell them again once `LISTEN` is
 * in place (what was read in between may have missed a notice).
 */
describe.runIf(postgres)("the NOTIFY listener", () => {
  let url: string;
  let name: string;
  let drop: () => Promise<void>;
  let listener: NotificationListener;
  const calls: string[] = [];
  const heard: string[] = [];

  const admin = async (statement: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      return (await client.query(statement, values)).rows;
    } finally {
      await client.end();
    }
  };
  const notify = async (payload: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("SELECT pg_notify('test_channel', $1)", [payload]);
    await client.end();
  };
  const eventually = async (check: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms; calls: ${calls.join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  beforeAll(async () => {
    const created = await postgres!.create();
    url = created.url!;
    name = new URL(url).pathname.slice(1);
    drop = created.drop;
    listener = await listenForNotifications(
      url,
      [
        {
          name: "test_channel",
          onNotice: (payload) => heard.push(payload),
          onLost: () => calls.push("lost"),
          onResync: () => calls.push("resync"),
        },
      ],
      pino({ level: "silent" }),
    );
  });
  afterAll(async () => {
    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
    await listener?.stop();
    await drop?.();
  });

  it("hears notices, and after its connection is terminated drops, reconnects and resynchronises", async () => {
    await notify("first");
    await eventually(() => heard.includes("first"), 2_000);
    const pid = listener.backendPid()!;
    await admin("SELECT pg_terminate_backend($1)", [pid]);
    await eventually(() => calls.length >= 1, 2_000);
    expect(calls[0]).toBe("lost");
    await eventually(() => calls.includes("resync") && listener.listening(), 5_000);
    expect(listener.backendPid()).not.toBe(pid);
    await notify("second");
    await eventually(() => heard.includes("second"), 2_000);
  });

  it("keeps trying while the database refuses it, and resynchronises once it is let back in", async () => {
    calls.length = 0;
    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin("SELECT pg_terminate_backend($1)", [listener.backendPid()]);
    await eventually(() => calls.includes("lost"), 2_000);
    // Several refused attempts (250 ms, 500 ms, 1 s, …): still not listening, nothing resynchronised.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(listener.listening()).toBe(false);
    expect(calls).toEqual(["lost"]);
    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await eventually(() => listener.listening(), 15_000);
    expect(calls).toEqual(["lost", "resync"]);
    await notify("third");
    await eventually(() => heard.includes("third"), 2_000);
  }, 30_000);
});
