import { describe, expect, it } from "vitest";
import { decide, DISABLE_AFTER_FAILING_MS } from "./deliveryOutcome";
import { isEventTypePattern, matchesEventType } from "./eventTypePatterns";
import { describeEvent, slackMessage } from "./messages";
import { MAX_ATTEMPTS, nextRetryDelayMs, parseRetryAfterMs, retryDelaysMs } from "./retrySchedule";

describe("event type patterns", () => {
  it.each([
    ["*", true],
    ["rollout.*", true],
    ["device.*", true],
    ["integration.*", true],
    ["rollout.paused", true],
    ["rollout.exploded", false],
    ["webhook.*", false],
    ["rollout", false],
    ["rollout.**", false],
    ["", false],
  ])("%j is a pattern: %s", (pattern, valid) => expect(isEventTypePattern(pattern)).toBe(valid));

  it.each([
    [["*"], "device.failed", true],
    [["rollout.*"], "rollout.wave_started", true],
    [["rollout.*"], "device.failed", false],
    [["rollout.paused", "device.*"], "device.timed_out", true],
    [["rollout.paused"], "rollout.paused_extra", false],
  ])("%j matches %s: %s", (patterns, type, expected) => expect(matchesEventType(patterns, type)).toBe(expected));
});

describe("retry schedule", () => {
  it("grows from seconds to a day and spans about three days", () => {
    expect(retryDelaysMs[0]).toBe(5_000);
    for (let index = 1; index < retryDelaysMs.length; index++)
      expect(retryDelaysMs[index]).toBeGreaterThanOrEqual(retryDelaysMs[index - 1]!);
    const days = retryDelaysMs.reduce((sum, delay) => sum + delay, 0) / 86_400_000;
    expect(days).toBeGreaterThan(2.5);
    expect(days).toBeLessThan(3.5);
  });

  it.each([
    [1, 0, 4_000],
    [1, 0.5, 5_000],
    [1, 0.999999, 6_000],
    [2, 0.5, 30_000],
    [MAX_ATTEMPTS - 1, 0.5, 86_400_000],
  ])("attempt %i with random %f waits %i ms", (attempt, random, delay) =>
    expect(nextRetryDelayMs(attempt, random)).toBeCloseTo(delay, -1),
  );

  it("stops after the last attempt, and honours Retry-After within a second and a day", () => {
    expect(nextRetryDelayMs(MAX_ATTEMPTS, 0.5)).toBeNull();
    expect(nextRetryDelayMs(1, 0.5, 120_000)).toBe(120_000);
    expect(nextRetryDelayMs(1, 0.5, 0)).toBe(1_000);
    expect(nextRetryDelayMs(1, 0.5, 30 * 86_400_000)).toBe(86_400_000);
  });

  const now = new Date("2026-12-01T10:00:00Z");
  it.each([
    ["120", 120_000],
    [" 7 ", 7_000],
    ["Tue, 01 Dec 2026 10:01:00 GMT", 60_000],
    ["Tue, 01 Dec 2026 09:00:00 GMT", 0],
    ["soon", null],
    ["", null],
    [null, null],
  ])("Retry-After %j is %s ms", (header, expected) => expect(parseRetryAfterMs(header, now)).toBe(expected));
});

describe("what an attempt's outcome decides", () => {
  const now = new Date("2026-12-05T10:00:00Z");
  const failure = { ok: false, gone: false, retryAfterMs: null };
  it.each([
    ["success", 3, { ok: true, gone: false, retryAfterMs: null }, null, { kind: "succeeded" }],
    [
      "410 Gone",
      1,
      { ok: false, gone: true, retryAfterMs: null },
      null,
      { kind: "gave_up", disable: "the receiver answered 410 Gone" },
    ],
    ["a failure with attempts left", 1, failure, null, { kind: "retry", at: new Date(now.getTime() + 5_000) }],
    ["Retry-After", 1, { ...failure, retryAfterMs: 60_000 }, null, { kind: "retry", at: new Date(now.getTime() + 60_000) }],
    [
      "the last attempt, failing for a day",
      MAX_ATTEMPTS,
      failure,
      new Date(now.getTime() - 86_400_000),
      { kind: "gave_up", disable: null },
    ],
  ])("%s", (_name, attempt, outcome, failingSince, expected) =>
    expect(decide(attempt, outcome, failingSince, now, 0.5)).toEqual(expected),
  );

  it("turns the subscription off when the last attempt fails after days without a success", () => {
    const since = new Date(now.getTime() - DISABLE_AFTER_FAILING_MS);
    const decision = decide(MAX_ATTEMPTS, failure, since, now, 0.5);
    expect(decision).toEqual({
      kind: "gave_up",
      disable: `no delivery succeeded since ${since.toISOString()}, and one failed ${MAX_ATTEMPTS} times`,
    });
  });
});

describe("messages for people", () => {
  const payload = (type: string, data: Record<string, unknown>) => ({
    type,
    timestamp: "2026-12-01T10:00:00.000Z",
    data: { rolloutId: "r-1", bundleName: "Edge Gateway", version: "2.2.0", ...data },
  });
  it.each([
    [
      "rollout.wave_started",
      { wave: 0, name: "canary", size: 2 },
      "Rollout of Edge Gateway 2.2.0: wave started",
      "Wave 1 (canary) started: 2 devices.",
    ],
    [
      "rollout.wave_passed",
      { wave: 1, size: 10, succeeded: 9, failed: 1 },
      "Rollout of Edge Gateway 2.2.0: wave passed",
      "Wave 2 passed: 9 succeeded, 1 failed of 10 devices.",
    ],
    [
      "rollout.threshold_breached",
      { failed: 3, completed: 10, percent: 30, action: "rollback" },
      "Rollout of Edge Gateway 2.2.0: threshold breached",
      "Failure threshold breached: 3 of 10 finished devices failed (30 %); action: rollback.",
    ],
    [
      "rollout.completed",
      { progress: { succeeded: 10, failed: 0, cancelled: 0 } },
      "Rollout of Edge Gateway 2.2.0: completed",
      "Completed: 10 succeeded, 0 failed, 0 cancelled.",
    ],
    [
      "device.failed",
      { deviceId: "gw-7", error: "image pull failed" },
      "Rollout of Edge Gateway 2.2.0: device failed",
      "Device gw-7 failed for good: image pull failed",
    ],
    ["device.timed_out", { deviceId: "gw-8" }, "Rollout of Edge Gateway 2.2.0: device timed out", "Device gw-8 timed out."],
  ])("%s reads as a sentence", (type, data, title, text) => {
    expect(describeEvent(payload(type, data), "https://fleet.example.com/")).toEqual({
      title,
      text,
      link: "https://fleet.example.com/rollouts/r-1",
    });
  });

  it("has no link without a public URL, and escapes Slack markup", () => {
    const message = describeEvent(payload("rollout.paused", { reason: "<b>&" }), null);
    expect(message.link).toBeNull();
    expect(slackMessage(message).text).toBe("*Rollout of Edge Gateway 2.2.0: paused*\nPaused: &lt;b&gt;&amp;");
  });
});
