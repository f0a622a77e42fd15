import { describe, expect, it } from "vitest";
import { cronProblem, isKnownTimeZone, windowState } from "./windows";

const berlin = [{ cron: "0 1 * * *", durationMinutes: 240, timezone: "Europe/Berlin" }];
const at = (iso: string) => new Date(iso);

describe("windowState: 01:00–05:00 Europe/Berlin, across both daylight-saving changes of 2026", () => {
  it.each([
    // Spring forward (29 March, 02:00 CET → 03:00 CEST): 01:00 is still CET = 00:00 UTC; the window
    // lasts 240 real minutes, so it closes at 04:00 UTC (06:00 CEST).
    ["2026-03-28T23:59:00Z", { open: false, opensAt: at("2026-03-29T00:00:00Z") }],
    ["2026-03-29T00:00:00Z", { open: true, closesAt: at("2026-03-29T04:00:00Z") }],
    ["2026-03-29T03:59:59Z", { open: true, closesAt: at("2026-03-29T04:00:00Z") }],
    ["2026-03-29T04:00:00Z", { open: false, opensAt: at("2026-03-29T23:00:00Z") }], // next day 01:00 CEST = 23:00 UTC
    // Fall back (25 October, 03:00 CEST → 02:00 CET): 01:00 is CEST = 23:00 UTC the day before.
    ["2026-10-24T22:59:00Z", { open: false, opensAt: at("2026-10-24T23:00:00Z") }],
    ["2026-10-24T23:00:00Z", { open: true, closesAt: at("2026-10-25T03:00:00Z") }],
    ["2026-10-25T03:00:00Z", { open: false, opensAt: at("2026-10-26T00:00:00Z") }], // 01:00 CET = 00:00 UTC
  ])("at %s → %j", (now, expected) => expect(windowState(berlin, at(now))).toEqual(expected));

  it("is always open without windows", () => expect(windowState(undefined, at("2026-01-01T00:00:00Z")).open).toBe(true));

  it("opens when any window is open, else at the earliest next opening", () => {
    const two = [...berlin, { cron: "0 12 * * 1-5", durationMinutes: 30, timezone: "America/New_York" }];
    // Friday 2 January 2026, 12:10 in New York (EST, UTC−5).
    expect(windowState(two, at("2026-01-02T17:10:00Z"))).toEqual({ open: true, closesAt: at("2026-01-02T17:30:00Z") });
    expect(windowState(two, at("2026-01-02T17:30:00Z"))).toEqual({ open: false, opensAt: at("2026-01-03T00:00:00Z") });
  });

  it("extends an open window when the cron fires again inside it", () =>
    expect(windowState([{ cron: "0,30 10 * * *", durationMinutes: 45, timezone: "UTC" }], at("2026-01-01T10:15:00Z"))).toEqual({
      open: true,
      closesAt: at("2026-01-01T11:15:00Z"),
    }));
});

describe("time zones and crons", () => {
  it.each([
    ["Europe/Berlin", true],
    ["America/Argentina/Buenos_Aires", true],
    ["UTC", true],
    ["Mars/Olympus", false],
    ["+01:00", false],
    ["CET; DROP TABLE", false],
  ])("%s is known: %s", (zone, known) => expect(isKnownTimeZone(zone)).toBe(known));

  it.each([
    ["0 1 * * *", undefined],
    ["0 0 29 2 *", undefined], // a leap day comes within 400 days of 2027-06-01 (2028-02-29)
    ["0 0 30 2 *", /never fires/],
    ["61 * * * *", /not a cron expression/],
    ["every day", /not a cron expression/],
  ])("%s → %s", (cron, problem) => {
    const found = cronProblem({ cron, timezone: "UTC" }, at("2027-06-01T00:00:00Z"));
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });
});
