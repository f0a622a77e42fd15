import { describe, expect, it } from "vitest";
import { describePolicy, describeWaiting, describeWindow, formatSeconds, parseWaves, type Policy, type Rollout } from "./policy";

const policy = (partial: Partial<Policy>): Policy => ({ waves: [{ percent: 100 }], ...partial }) as Policy;

describe("describePolicy: one sentence above the Assign button", () => {
  it.each([
    [undefined, "Every device gets the new version at once."],
    [
      policy({
        waves: [{ name: "canary", count: 25, selector: { labels: { ring: "canary" } } }, { percent: 10 }, { percent: 100 }],
        gate: { successPercent: 95, soakSeconds: 600 },
        failureThreshold: { percent: 10, minCompleted: 20, action: "pause" },
        schedule: { windows: [{ cron: "0 1 * * *", durationMinutes: 240, timezone: "Europe/Berlin" }] },
      }),
      "25 canary devices labelled ring=canary, then 10 %, then everyone; each next wave starts on its own once 95 % of a wave succeeded and 10 min passed; pauses if more than 10 % fail; only between 01:00 and 05:00 Europe/Berlin.",
    ],
    [
      policy({
        waves: [{ name: "canary", percent: 1 }, { percent: 100 }],
        advance: "manual",
        failureThreshold: { percent: 5, minCompleted: 1, action: "rollback" },
      }),
      "1 % canary, then everyone; each next wave waits for your approval once 100 % of a wave succeeded; rolls back if more than 5 % fail.",
    ],
    [
      policy({ deviceTimeoutSeconds: 1800, retry: { maxAttempts: 3, backoffSeconds: 60 }, rate: { maxPerMinute: 500 } }),
      "Every device at once; a device updating longer than 30 min fails; up to 3 attempts per device; at most 500 devices a minute.",
    ],
  ])("%j", (input, sentence) => expect(describePolicy(input)).toBe(sentence));
});

describe("describeWindow and formatSeconds", () => {
  it.each([
    [{ cron: "0 1 * * *", durationMinutes: 240, timezone: "Europe/Berlin" }, "between 01:00 and 05:00 Europe/Berlin"],
    [{ cron: "30 22 * * *", durationMinutes: 180, timezone: "UTC" }, "between 22:30 and 01:30 UTC"],
    [{ cron: "0 2 * * 6", durationMinutes: 60, timezone: "UTC" }, 'in windows "0 2 * * 6" of 1 h (UTC)'],
  ])("%j → %s", (window, text) => expect(describeWindow(window)).toBe(text));
  it.each([
    [45, "45 s"],
    [600, "10 min"],
    [9000, "2 h 30 min"],
    [7200, "2 h"],
    [259_200, "3 d"],
  ])("%i s → %s", (seconds, text) => expect(formatSeconds(seconds)).toBe(text));
});

describe("describeWaiting: what the rollout page says it waits for", () => {
  const now = Date.parse("2026-06-01T12:00:00Z");
  const base = {
    currentWave: 0,
    policy: policy({ gate: { successPercent: 95, soakSeconds: 600 } }),
    waves: [
      {
        index: 0,
        name: "canary",
        size: 25,
        startedAt: null,
        passedAt: null,
        progress: { total: 25, queued: 0, pending: 5, inProgress: 8, succeeded: 12, failed: 0, cancelled: 0 },
      },
    ],
    nextActionAt: null,
  } as unknown as Pick<Rollout, "waitingFor" | "nextActionAt" | "currentWave" | "waves" | "policy">;
  it.each([
    [{ waitingFor: "soak", nextActionAt: "2026-06-01T12:08:00Z" }, "Wave 1 passed; soak ends in 8 min"],
    [{ waitingFor: "gate" }, "Waiting for wave 1 to reach 95 % succeeded (12 of 25)"],
    [{ waitingFor: "approval" }, "Wave 1 passed: waiting for approval to start wave 2"],
    [{ waitingFor: "schedule", nextActionAt: "2026-06-01T14:00:00Z" }, "Scheduled: starts in 2 h"],
    [{ waitingFor: "rate", nextActionAt: "2026-06-01T12:00:30Z" }, "Rate limit (? a minute): more devices in 30 s"],
    [{ waitingFor: "retry", nextActionAt: "2026-06-01T11:59:00Z" }, "Waiting to retry failed devices now"],
    [{ waitingFor: null }, null],
  ])("%j → %s", (partial, text) => expect(describeWaiting({ ...base, ...partial } as typeof base, now)).toBe(text));
});

describe("parseWaves", () => {
  it.each([
    ["1%, 10%, 100%", "", [{ percent: 1 }, { percent: 10 }, { percent: 100 }]],
    [
      "25, 50%, 100%",
      "ring=canary",
      [{ count: 25, name: "canary", selector: { labels: { ring: "canary" } } }, { percent: 50 }, { percent: 100 }],
    ],
    ["", "", "list at least one wave, e.g. 1%, 10%, 100%"],
    ["10%, half", "", '"half" is neither a percent (10%) nor a device count (25)'],
    ["10%, 100%", "canary", 'the canary label "canary" must look like ring=canary'],
  ])("%s with label %s", (text, label, expected) => expect(parseWaves(text, label)).toEqual(expected));
});
