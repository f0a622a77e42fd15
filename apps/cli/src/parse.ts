import type { RouterInputs } from "@signalbeam/client";
import { UsageError } from "./errors";

/**
 * Pure parsers for the command line's values: each returns the API's shape or throws a
 * UsageError naming the flag and showing a value that works. The server checks again (and names
 * the field) — these exist so a typo fails before anything is sent, with a flag-level message.
 */
export type Policy = NonNullable<RouterInputs["rollouts"]["create"]["policy"]>;
type Wave = NonNullable<Policy["waves"]>[number];

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "90s", "10m", "1h30m", "2d" → seconds. */
export function parseDuration(flag: string, text: string): number {
  const trimmed = text.trim();
  if (!/^(\d+[smhd])+$/.test(trimmed))
    throw new UsageError(`${flag} must be a duration like 30s, 10m, 1h30m or 2d, got "${text}"`);
  let seconds = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([smhd])/g)) seconds += Number(amount) * UNIT_SECONDS[unit!]!;
  return seconds;
}

/** "95", "95%" or "99.5%" → 95 (0–100). */
export function parsePercent(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const value = match ? Number(match[1]) : Number.NaN;
  if (!(value >= 0 && value <= 100)) throw new UsageError(`${flag} must be a percentage from 0 to 100 like 95%, got "${text}"`);
  return value;
}

/** "1%,10%,100%" (cumulative shares) or "5,50,100%" (device counts and shares) → waves. */
export function parseWaves(text: string): Wave[] {
  const items = text.split(",").map((item) => item.trim());
  if (!items.length || items.some((item) => !item))
    throw new UsageError(`--waves must list waves like 1%,10%,100% (cumulative), got "${text}"`);
  return items.map((item) => {
    if (/^\d+(\.\d+)?%$/.test(item)) {
      const percent = Number(item.slice(0, -1));
      if (!(percent > 0 && percent <= 100)) throw new UsageError(`--waves: ${item} must be more than 0 % and at most 100 %`);
      return { percent };
    }
    if (/^\d+$/.test(item) && Number(item) > 0) return { count: Number(item) };
    throw new UsageError(`--waves: "${item}" is neither a share like 10% nor a device count like 50`);
  });
}

/** "ring=canary" or "ring=canary,site=berlin" → labels. */
export function parseLabels(flag: string, text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const match = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(pair);
    if (!match) throw new UsageError(`${flag} must be key=value labels like ring=canary, got "${text}"`);
    labels[match[1]!] = match[2]!;
  }
  return labels;
}

/** "500/min", "10/s" or "2000/h" → releases per minute. */
export function parseRate(text: string): number {
  const match = /^\s*(\d+)\s*\/\s*(s|sec|min|m|h|hour)\s*$/.exec(text);
  if (!match) throw new UsageError(`--rate must be a rate like 500/min, 10/s or 2000/h, got "${text}"`);
  const amount = Number(match[1]);
  const perMinute = match[2]!.startsWith("s") ? amount * 60 : match[2]!.startsWith("h") ? amount / 60 : amount;
  if (!(perMinute >= 1 && Number.isInteger(perMinute)))
    throw new UsageError(`--rate must come to a whole number of releases per minute (at least 1), got "${text}"`);
  return perMinute;
}

export const FAIL_ON_STATES = ["failed", "paused", "cancelled"] as const;
export type FailOnState = (typeof FAIL_ON_STATES)[number];

/** "failed,paused" → the rollout states that make `watch` exit 1. */
export function parseFailOn(text: string): FailOnState[] {
  const states = text.split(",").map((state) => state.trim());
  for (const state of states)
    if (!(FAIL_ON_STATES as readonly string[]).includes(state))
      throw new UsageError(`--fail-on takes ${FAIL_ON_STATES.join(", ")} (comma-separated), got "${state}"`);
  return states as FailOnState[];
}

/** An ISO-8601 time with an offset, or a duration from now ("+2h"). */
export function parseStartAt(text: string, now: Date): string {
  if (text.startsWith("+")) return new Date(now.getTime() + parseDuration("--start-at", text.slice(1)) * 1000).toISOString();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text)))
    return new Date(text).toISOString();
  throw new UsageError(`--start-at must be an ISO-8601 time like 2026-12-24T01:00:00Z or a delay like +2h, got "${text}"`);
}

/** The policy flags of `rollouts create`, as commander hands them over (strings; undefined when absent). */
export interface PolicyFlags {
  waves?: string | undefined;
  canaryLabel?: string | undefined;
  gate?: string | undefined;
  soak?: string | undefined;
  manual?: boolean | undefined;
  maxFailures?: string | undefined;
  minCompleted?: string | undefined;
  onFailure?: string | undefined;
  timeout?: string | undefined;
  retries?: string | undefined;
  retryBackoff?: string | undefined;
  rate?: string | undefined;
  startAt?: string | undefined;
  window?: string | undefined;
  windowDuration?: string | undefined;
  tz?: string | undefined;
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  return value;
}

const POLICY_FLAGS: (keyof PolicyFlags)[] = [
  "waves",
  "canaryLabel",
  "gate",
  "soak",
  "manual",
  "maxFailures",
  "minCompleted",
  "onFailure",
  "timeout",
  "retries",
  "retryBackoff",
  "rate",
  "startAt",
  "window",
  "windowDuration",
  "tz",
];

/** The flags → the API's `policy`, or undefined when no policy flag was given (a plain rollout). */
export function policyFromFlags(flags: PolicyFlags, now: Date): Policy | undefined {
  // Only the policy's own flags count: `flags` may carry the command's others (bundle, targets…).
  const given = POLICY_FLAGS.some((flag) => flags[flag] !== undefined && flags[flag] !== false);
  if (!given) return undefined;
  const waves = flags.waves ? parseWaves(flags.waves) : [{ percent: 100 }];
  const policy: Policy = {
    waves: flags.canaryLabel
      ? [{ name: "canary", selector: { labels: parseLabels("--canary-label", flags.canaryLabel) } }, ...waves]
      : waves,
  };
  if (flags.manual) policy.advance = "manual";
  if (flags.gate !== undefined || flags.soak !== undefined)
    policy.gate = {
      successPercent: flags.gate === undefined ? 100 : parsePercent("--gate", flags.gate),
      soakSeconds: flags.soak === undefined ? 0 : parseDuration("--soak", flags.soak),
    };
  if (flags.maxFailures !== undefined) {
    const action = flags.onFailure ?? "pause";
    if (!["pause", "abort", "rollback"].includes(action))
      throw new UsageError(`--on-failure must be pause, abort or rollback, got "${action}"`);
    policy.failureThreshold = {
      percent: parsePercent("--max-failures", flags.maxFailures),
      minCompleted: flags.minCompleted === undefined ? 1 : wholeNumber("--min-completed", flags.minCompleted, 1, 200_000),
      action: action as "pause" | "abort" | "rollback",
    };
  } else if (flags.onFailure !== undefined || flags.minCompleted !== undefined)
    throw new UsageError("--on-failure and --min-completed need --max-failures (the threshold they act on)");
  if (flags.timeout !== undefined) policy.deviceTimeoutSeconds = parseDuration("--timeout", flags.timeout);
  if (flags.retries !== undefined)
    policy.retry = {
      // --retries counts the tries after the first; the API counts every attempt.
      maxAttempts: wholeNumber("--retries", flags.retries, 0, 9) + 1,
      backoffSeconds: flags.retryBackoff === undefined ? 60 : parseDuration("--retry-backoff", flags.retryBackoff),
    };
  if (flags.rate !== undefined) policy.rate = { maxPerMinute: parseRate(flags.rate) };
  if (flags.startAt !== undefined || flags.window !== undefined) {
    policy.schedule = {};
    if (flags.startAt !== undefined) policy.schedule.startAt = parseStartAt(flags.startAt, now);
    if (flags.window !== undefined) {
      if (!flags.windowDuration || !flags.tz)
        throw new UsageError(
          '--window needs --window-duration and --tz, e.g. --window "0 1 * * *" --window-duration 4h --tz Europe/Berlin',
        );
      const seconds = parseDuration("--window-duration", flags.windowDuration);
      if (seconds % 60) throw new UsageError(`--window-duration must be whole minutes, got "${flags.windowDuration}"`);
      policy.schedule.windows = [{ cron: flags.window, durationMinutes: seconds / 60, timezone: flags.tz }];
    }
  }
  return policy;
}
