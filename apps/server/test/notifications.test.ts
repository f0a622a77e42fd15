import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";
import { testDatabases } from "./support/databases";
import { createBundleWithVersions, createFleet } from "./support/fleet";
import { type RestClient, restClient } from "./support/http";
import { type Receiver, startReceiver } from "./support/receiver";

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server (smtp-server) on a free port, keeping every message it accepts. */
async function startSmtp() {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Quoted-printable soft line breaks and escapes, so a test can read the text as sent. */
const unfold = (raw: string) =>
  raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

describe.each(testDatabases)("notification channels on $name", (database) => {
  let server: RunningServer;
  let api: RestClient;
  let receiver: Receiver;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    receiver = await startReceiver();
    smtp = await startSmtp();
    server = await startServer({
      databaseUrl: created.url,
      dataDir: created.dataDir,
      demo: false,
      controller: { tick: false },
      integrations: {
        tick: false,
        smtpUrl: smtp.url,
        smtpFrom: "SignalBeam <fleet@example.com>",
        publicUrl: "https://fleet.example.com/",
      },
    });
    api = restClient(server.url, server.bootstrap!.generatedToken);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
    await smtp?.close();
    await drop?.();
  });

  it("posts a readable Slack-compatible message and sends an email, each with a link to the rollout", async () => {
    const slack = await api.post("/notification-channels", {
      kind: "slack",
      target: `${receiver.url}/services/T000/B000/XXXX`,
      eventTypes: ["rollout.cancelled"],
    });
    expect(slack.status, JSON.stringify(slack.body)).toBe(201);
    expect(slack.body).toMatchObject({ kind: "slack", enabled: true, eventTypes: ["rollout.cancelled"] });
    expect(slack.body).not.toHaveProperty("secret");
    const email = await api.post("/notification-channels", {
      kind: "email",
      target: "oncall@example.com",
      eventTypes: ["rollout.*"],
    });
    expect(email.status, JSON.stringify(email.body)).toBe(201);

    const { ids } = await createFleet(api, `notify-${database.name}`, 3);
    const bundleId = await createBundleWithVersions(api, `Edge Gateway ${database.name}`, ["2.2.0"]);
    const rollout = await api.post("/rollouts", { bundleId, version: "2.2.0", targetType: "device", deviceIds: ids });
    const rolloutId = rollout.body.rolloutId;
    expect((await api.post(`/rollouts/${rolloutId}/cancel`)).status).toBe(204);
    await server.integrations.settled();

    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.path).toBe("/services/T000/B000/XXXX");
    expect(receiver.received[0]!.json).toEqual({
      text:
        `*Rollout of Edge Gateway ${database.name} 2.2.0: cancelled*\n` +
        "Cancelled; 3 devices will not update.\n" +
        `<https://fleet.example.com/rollouts/${rolloutId}|Open in SignalBeam Edge>`,
    });

    expect(smtp.mails).toHaveLength(2);
    const subjects = smtp.mails.map((mail) => /^Subject: (.*)$/m.exec(mail.raw.replace(/\r?\n[ \t]+/g, " "))?.[1]);
    expect(subjects).toEqual([
      `[SignalBeam Edge] Rollout of Edge Gateway ${database.name} 2.2.0: created`,
      `[SignalBeam Edge] Rollout of Edge Gateway ${database.name} 2.2.0: cancelled`,
    ]);
    const cancelled = smtp.mails[1]!;
    expect(cancelled.to).toEqual(["oncall@example.com"]);
    expect(cancelled.from).toBe("fleet@example.com");
    const body = unfold(cancelled.raw);
    expect(body).toContain("Cancelled; 3 devices will not update.");
    expect(body).toContain(`https://fleet.example.com/rollouts/${rolloutId}`);
    expect(body).toMatch(/^X-SignalBeam-Event: rollout.cancelled\r?$/im);

    const log = await api.get(`/notification-channels/${email.body.id}/deliveries`);
    expect(log.body.data.map((entry: { status: string; statusCode: number }) => [entry.status, entry.statusCode])).toEqual([
      ["succeeded", 250],
      ["succeeded", 250],
    ]);
  });

  it("sends a test message on demand, and keeps webhooks and channels apart", async () => {
    const channel = await api.post("/notification-channels", {
      kind: "email",
      target: "ops@example.com",
      eventTypes: ["device.failed"],
    });
    const before = smtp.mails.length;
    const test = await api.post(`/notification-channels/${channel.body.id}/test`);
    expect(test.status, JSON.stringify(test.body)).toBe(200);
    expect(test.body).toMatchObject({ status: "succeeded", statusCode: 250, eventType: "integration.test" });
    expect(smtp.mails).toHaveLength(before + 1);
    expect(unfold(smtp.mails.at(-1)!.raw)).toContain("this integration is set up");
    // A channel is not a webhook.
    expect((await api.get(`/webhooks/${channel.body.id}`)).status).toBe(404);
    expect((await api.get("/webhooks")).body.data).toHaveLength(0);
  });

  it.each([
    [{ kind: "email", target: "not-an-address", eventTypes: ["*"] }, /^target: must be an email address/],
    [{ kind: "slack", target: "oncall@example.com", eventTypes: ["*"] }, /^target: must be an absolute http\(s\) URL/],
    [{ kind: "slack", target: "file:///etc/passwd", eventTypes: ["*"] }, /^target: must use http or https/],
    [{ kind: "pager", target: "x", eventTypes: ["*"] }, /^kind:/],
    [{ kind: "email", target: "a@example.com", eventTypes: ["device.*", "device.*"] }, /^eventTypes: must not repeat/],
  ])("refuses %j with a 400 naming the field", async (body, message) => {
    const response = await api.post("/notification-channels", body);
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body.message).toMatch(message);
  });

  it("refuses a PATCH that gives a channel a target its kind cannot use", async () => {
    const channel = await api.post("/notification-channels", { kind: "email", target: "team@example.com", eventTypes: ["*"] });
    const response = await api.request("PATCH", `/notification-channels/${channel.body.id}`, {
      body: { target: "https://example.com" },
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/^target: must be an email address/);
    expect((await api.get(`/notification-channels/${channel.body.id}`)).body.target).toBe("team@example.com");
    // The same rule as on create, for a Slack channel too.
    const slack = await api.post("/notification-channels", {
      kind: "slack",
      target: "https://hooks.example.com/a",
      eventTypes: ["*"],
    });
    for (const [target, message] of [
      ["https://user:pw@hooks.example.com/a", /^target: must not contain credentials/],
      ["https://hooks.example.com/a#x", /^target: must not contain a #fragment/],
    ] as const) {
      const refused = await api.request("PATCH", `/notification-channels/${slack.body.id}`, { body: { target } });
      expect(refused.status).toBe(400);
      expect(refused.body.message).toMatch(message);
    }
  });
});

describe("email without an SMTP server", () => {
  it("is refused with a message that says which setting is missing", async () => {
    const server = await startServer({ demo: false, dataDir: "memory://", controller: { tick: false } });
    try {
      const api = restClient(server.url, server.bootstrap!.generatedToken);
      const response = await api.post("/notification-channels", { kind: "email", target: "a@example.com", eventTypes: ["*"] });
      expect(response.status).toBe(422);
      expect(response.body.message).toMatch(/SIGNALBEAM_SMTP_URL/);
    } finally {
      await server.close();
    }
  });
});
