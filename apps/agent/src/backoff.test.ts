import { describe, expect, it } from "vitest";
import { backoffDelay, jitteredInterval } from "./backoff";

describe("backoffDelay", () => {
  it.each([
    [0, 0, 500],
    [0, 1, 1_000],
    [1, 1, 2_000],
    [3, 1, 8_000],
    [10, 1, 60_000],
    [10, 0, 30_000],
    [1_000, 1, 60_000],
  ])("attempt %i with random %f waits %i ms", (attempt, random, expected) => {
    expect(backoffDelay(attempt, 1_000, 60_000, () => random)).toBe(expected);
  });
});

describe("jitteredInterval", () => {
  it.each([
    [0, 54_000],
    [0.5, 60_000],
    [1, 66_000],
  ])("random %f → %i ms", (random, expected) => expect(jitteredInterval(60_000, () => random)).toBe(expected));
});
