import type { RolloutPolicy, WaveState } from "@signalbeam/db";
import { describe, expect, it } from "vitest";
import {
  advanceWave,
  gateNeed,
  logRelease,
  progressWaves,
  releaseBudget,
  thresholdBreach,
  waitingSummary,
} from "./controllerCore";

const policy = (partial: Partial<RolloutPolicy> = {}): RolloutPolicy => ({
  waves: [{ percent: 10 }, { percent: 100 }],
  advance: "auto",
  gate: { successPercent: 100, soakSeconds: 0 },
  ...partial,
});
const none = { queued: 0, pending: 0, updating: 0, succeeded: 0, failed: 0, cancelled: 0 };
const wave = (size: number, partial: Partial<WaveState> = {}, counts: Partial<typeof none> = {}): WaveState => ({
  name: null,
  size,
  startedAt: null,
  passedAt: null,
  counts: { ...none, queued: size, ...counts },
  ...partial,
});
const now = new Date("2026-06-01T12:00:00Z");
const iso = (offsetSeconds: number) => new Date(now.getTime() + offsetSeconds * 1000).toISOString();

describe("thresholdBreach: failed ÷ (succeeded + failed), once minCompleted finished", () => {
  const threshold = (percent: number, minCompleted: number) =>
    policy({ failureThreshold: { percent, minCompleted, action: "pause" } });
  it.each([
    { p: threshold(10, 20), finished: { succeeded: 17, failed: 2 }, breach: false }, // 19 < minCompleted
    { p: threshold(10, 20), finished: { succeeded: 17, failed: 3 }, breach: true }, // 15 % > 10 %
    { p: threshold(10, 20), finished: { succeeded: 18, failed: 2 }, breach: false }, // exactly 10 % is not more
    { p: threshold(0, 1), finished: { succeeded: 0, failed: 1 }, breach: true },
    { p: threshold(0, 1), finished: { succeeded: 5, failed: 0 }, breach: false },
    { p: threshold(100, 1), finished: { succeeded: 0, failed: 9 }, breach: false },
    { p: policy(), finished: { succeeded: 0, failed: 9 }, breach: false }, // no threshold
  ])("$finished with $p.failureThreshold → breach $breach", ({ p, finished, breach }) =>
    expect(thresholdBreach(p, finished) !== null).toBe(breach),
  );
});

describe("gateNeed", () => {
  it.each([
    [100, 10, 10],
    [95, 10, 10],
    [95, 100, 95],
    [90, 10, 9],
    [0, 10, 0],
    [33.3, 3, 1],
  ])("success %s percent of %s devices → %s", (successPercent, size, need) =>
    expect(gateNeed(policy({ gate: { successPercent, soakSeconds: 0 } }), size)).toBe(need),
  );
});

describe("progressWaves", () => {
  it("waits for startAt before the first wave", () => {
    const startAt = new Date(now.getTime() + 3600_000);
    expect(progressWaves({ policy: policy(), now, startAt, currentWave: null, waves: [wave(1), wave(9)] })).toMatchObject({
      currentWave: null,
      started: [],
      waitingFor: "schedule",
      nextActionAt: startAt,
    });
  });

  it("starts the first wave at once (startAt in the past) and waits for its gate", () =>
    expect(
      progressWaves({ policy: policy(), now, startAt: new Date(0), currentWave: null, waves: [wave(1), wave(9)] }),
    ).toMatchObject({ currentWave: 0, started: [0], passed: [], waitingFor: "gate", nextActionAt: null }));

  it("passes a gate, then soaks before the next wave", () => {
    const soaking = policy({ gate: { successPercent: 50, soakSeconds: 600 } });
    const waves = [wave(2, { startedAt: iso(-60) }, { succeeded: 1, pending: 1, queued: 0 }), wave(8)];
    const result = progressWaves({ policy: soaking, now, startAt: null, currentWave: 0, waves });
    expect(result).toMatchObject({
      currentWave: 0,
      passed: [0],
      started: [],
      waitingFor: "soak",
      nextActionAt: new Date(iso(600)),
    });
    expect(result.waves[0]!.passedAt).toBe(now.toISOString());
    // After the soak, the next wave starts.
    const later = progressWaves({ policy: soaking, now: new Date(iso(600)), startAt: null, currentWave: 0, waves: result.waves });
    expect(later).toMatchObject({ currentWave: 1, started: [1], passed: [], waitingFor: "gate" });
  });

  it("waits for approval in manual mode", () =>
    expect(
      progressWaves({
        policy: policy({ advance: "manual" }),
        now,
        startAt: null,
        currentWave: 0,
        waves: [wave(1, { startedAt: iso(-5) }, { queued: 0, succeeded: 1 }), wave(9)],
      }),
    ).toMatchObject({ currentWave: 0, passed: [0], waitingFor: "approval", nextActionAt: null }));

  it("runs through waves whose gates pass at once (0 %, no soak) in one step", () =>
    expect(
      progressWaves({
        policy: policy({ waves: [{ count: 1 }, { count: 2 }, { percent: 100 }], gate: { successPercent: 0, soakSeconds: 0 } }),
        now,
        startAt: null,
        currentWave: null,
        waves: [wave(1), wave(1), wave(8)],
      }),
    ).toMatchObject({ currentWave: 2, started: [0, 1, 2], passed: [0, 1, 2], waitingFor: null }));

  it("has nothing to wait for once the last wave passed", () =>
    expect(
      progressWaves({
        policy: policy(),
        now,
        startAt: null,
        currentWave: 1,
        waves: [wave(1, { startedAt: iso(-9), passedAt: iso(-8) }), wave(9, { startedAt: iso(-7) }, { queued: 0, succeeded: 9 })],
      }),
    ).toMatchObject({ currentWave: 1, passed: [1], waitingFor: null, nextActionAt: null }));
});

describe("advanceWave", () => {
  it("starts the next wave, or none after the last", () => {
    expect(advanceWave([wave(1), wave(9)], null, now)).toMatchObject({ currentWave: 0 });
    expect(advanceWave([wave(1), wave(9)], 0, now)!.waves[1]!.startedAt).toBe(now.toISOString());
    expect(advanceWave([wave(1), wave(9)], 1, now)).toBeNull();
  });
});

describe("releaseBudget: at most maxPerMinute releases in any minute", () => {
  const limited = policy({ rate: { maxPerMinute: 10 } });
  it.each([
    { log: [], budget: 10, nextAt: null },
    { log: [[now.getTime() - 30_000, 4]], budget: 6, nextAt: new Date(now.getTime() + 30_000) },
    {
      log: [
        [now.getTime() - 59_000, 6],
        [now.getTime() - 1_000, 4],
      ],
      budget: 0,
      nextAt: new Date(now.getTime() + 1_000),
    },
    // A release exactly a minute old has aged out.
    { log: [[now.getTime() - 60_000, 10]], budget: 10, nextAt: null },
  ] as { log: [number, number][]; budget: number; nextAt: Date | null }[])("$log → $budget", ({ log, budget, nextAt }) => {
    const result = releaseBudget(limited, log, now);
    expect(result).toMatchObject({ budget, nextAt, blockedBy: budget === 0 ? "rate" : null });
  });

  it("is unlimited without a rate, and zero while the window is closed", () => {
    expect(releaseBudget(policy(), null, now).budget).toBe(Infinity);
    const windowed = policy({ schedule: { windows: [{ cron: "0 1 * * *", durationMinutes: 60, timezone: "UTC" }] } });
    expect(releaseBudget(windowed, null, now)).toMatchObject({
      budget: 0,
      blockedBy: "window",
      nextAt: new Date("2026-06-02T01:00:00Z"),
    });
  });

  it("logs releases", () => expect(logRelease([], now, 3)).toEqual([[now.getTime(), 3]]));
});

describe("waitingSummary", () => {
  const base = {
    paused: false,
    progress: { waitingFor: "gate" as const, nextActionAt: null },
    dueLeft: 0,
    budget: { blockedBy: null, nextAt: null },
    nextRetryAt: null,
    nextTimeoutAt: null,
  };
  const later = new Date(now.getTime() + 60_000);
  const soon = new Date(now.getTime() + 5_000);
  it.each([
    { name: "the gate", input: base, expected: { waitingFor: "gate", nextActionAt: null } },
    {
      name: "a device timeout sets only the time",
      input: { ...base, nextTimeoutAt: later },
      expected: { waitingFor: "gate", nextActionAt: later },
    },
    {
      name: "queued devices held by the rate",
      input: { ...base, dueLeft: 5, budget: { blockedBy: "rate" as const, nextAt: later } },
      expected: { waitingFor: "rate", nextActionAt: later },
    },
    {
      name: "queued devices held by the window",
      input: { ...base, dueLeft: 5, budget: { blockedBy: "window" as const, nextAt: later }, nextTimeoutAt: soon },
      expected: { waitingFor: "window", nextActionAt: soon },
    },
    { name: "a retry's backoff", input: { ...base, nextRetryAt: later }, expected: { waitingFor: "retry", nextActionAt: later } },
    {
      name: "the schedule",
      input: { ...base, progress: { waitingFor: "schedule" as const, nextActionAt: later } },
      expected: { waitingFor: "schedule", nextActionAt: later },
    },
    {
      name: "nothing while paused",
      input: { ...base, paused: true, nextTimeoutAt: later },
      expected: { waitingFor: null, nextActionAt: later },
    },
  ])("$name", ({ input, expected }) => expect(waitingSummary(input)).toEqual(expected));
});
