import { describe, expect, it } from "vitest";
import { UsageError } from "./errors";
import {
  parseDuration,
  parseFailOn,
  parseLabels,
  parsePercent,
  parseRate,
  parseStartAt,
  parseWaves,
  policyFromFlags,
} from "./parse";

const now = new Date("2026-12-02T12:00:00Z");

describe("value parsers", () => {
  it.each([
    ["30s", 30],
    ["10m", 600],
    ["1h30m", 5400],
    ["2d", 172_800],
    ["0s", 0],
  ])("duration %s → %i s", (text, seconds) => expect(parseDuration("--soak", text)).toBe(seconds));

  it.each(["10", "10 minutes", "1.5h", "-5m", "m", ""])("refuses the duration %j, naming the flag", (text) =>
    expect(() => parseDuration("--soak", text)).toThrow(/^--soak must be a duration like 30s/),
  );

  it.each([
    ["95", 95],
    ["95%", 95],
    ["99.5%", 99.5],
    ["0", 0],
    ["100%", 100],
  ])("percent %s → %d", (text, value) => expect(parsePercent("--gate", text)).toBe(value));

  it.each(["150%", "-1", "ten", "95 %%", ""])("refuses the percent %j", (text) =>
    expect(() => parsePercent("--gate", text)).toThrow(UsageError),
  );

  it.each([
    ["1%,10%,100%", [{ percent: 1 }, { percent: 10 }, { percent: 100 }]],
    ["5,50,100%", [{ count: 5 }, { count: 50 }, { percent: 100 }]],
    ["100%", [{ percent: 100 }]],
    [" 10% , 100% ", [{ percent: 10 }, { percent: 100 }]],
  ])("waves %j", (text, waves) => expect(parseWaves(text)).toEqual(waves));

  it.each(["", "10%,,100%", "0%,100%", "10%,abc", "101%", "0"])("refuses the waves %j", (text) =>
    expect(() => parseWaves(text)).toThrow(/--waves/),
  );

  it.each([
    ["500/min", 500],
    ["10/s", 600],
    ["120/h", 2],
    ["1 / min", 1],
  ])("rate %s → %i per minute", (text, perMinute) => expect(parseRate(text)).toBe(perMinute));

  it.each(["fast", "500", "30/h", "0/min"])("refuses the rate %j", (text) => expect(() => parseRate(text)).toThrow(/--rate/));

  it("labels and fail-on lists", () => {
    expect(parseLabels("--canary-label", "ring=canary,site=berlin")).toEqual({ ring: "canary", site: "berlin" });
    expect(() => parseLabels("--canary-label", "ring")).toThrow(/key=value/);
    expect(parseFailOn("failed,paused")).toEqual(["failed", "paused"]);
    expect(() => parseFailOn("failed,broken")).toThrow(/--fail-on takes failed, paused, cancelled/);
  });

  it.each([
    ["2026-12-24T01:00:00Z", "2026-12-24T01:00:00.000Z"],
    ["2026-12-24T01:00:00+01:00", "2026-12-24T00:00:00.000Z"],
    ["+2h", "2026-12-02T14:00:00.000Z"],
  ])("start-at %s → %s", (text, iso) => expect(parseStartAt(text, now)).toBe(iso));

  it.each(["tomorrow", "2026-12-24", "2026-12-24T01:00:00", "+2 hours"])("refuses the start-at %j", (text) =>
    expect(() => parseStartAt(text, now)).toThrow(/--start-at/),
  );
});

describe("policy from flags", () => {
  it("gives no policy without policy flags (a plain rollout), whatever other flags the command has", () => {
    expect(policyFromFlags({}, now)).toBeUndefined();
    expect(policyFromFlags({ bundle: "Edge", version: "1.0.0", devices: "a" } as never, now)).toBeUndefined();
  });

  it.each([
    [{ waves: "10%,100%" }, { waves: [{ percent: 10 }, { percent: 100 }] }],
    [{ gate: "90" }, { waves: [{ percent: 100 }], gate: { successPercent: 90, soakSeconds: 0 } }],
    [{ soak: "5m" }, { waves: [{ percent: 100 }], gate: { successPercent: 100, soakSeconds: 300 } }],
    [{ manual: true }, { waves: [{ percent: 100 }], advance: "manual" }],
    [{ maxFailures: "5%" }, { waves: [{ percent: 100 }], failureThreshold: { percent: 5, minCompleted: 1, action: "pause" } }],
    [{ retries: "0" }, { waves: [{ percent: 100 }], retry: { maxAttempts: 1, backoffSeconds: 60 } }],
    [
      { retries: "2", retryBackoff: "30s" },
      { waves: [{ percent: 100 }], retry: { maxAttempts: 3, backoffSeconds: 30 } },
    ],
    [
      { canaryLabel: "ring=canary", waves: "50%,100%" },
      { waves: [{ name: "canary", selector: { labels: { ring: "canary" } } }, { percent: 50 }, { percent: 100 }] },
    ],
  ])("%j → %j", (flags, policy) => expect(policyFromFlags(flags, now)).toEqual(policy));

  it.each([
    [{ onFailure: "abort" }, /need --max-failures/],
    [{ window: "0 1 * * *", tz: "Europe/Berlin" }, /--window needs --window-duration and --tz/],
    [{ window: "0 1 * * *", windowDuration: "90s", tz: "Europe/Berlin" }, /whole minutes/],
    [{ retries: "10" }, /--retries must be a whole number from 0 to 9/],
    [{ maxFailures: "5%", minCompleted: "0" }, /--min-completed/],
  ])("refuses %j", (flags, message) => expect(() => policyFromFlags(flags, now)).toThrow(message));
});
