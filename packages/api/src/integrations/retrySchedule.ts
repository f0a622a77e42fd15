/**
 * When a failed delivery is tried again: a growing schedule from seconds to a day, about three days
 * in all (the Standard Webhooks recommendation, stretched as the issue asks), each delay with ±20 %
 * jitter so that a receiver that comes back is not hit by every subscription's backlog at once.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Delay before attempt n+1 after attempt n failed (index n-1); the list's length + 1 is the last attempt. */
export const retryDelaysMs: readonly number[] = [
  5 * SECOND,
  30 * SECOND,
  2 * MINUTE,
  10 * MINUTE,
  30 * MINUTE,
  1 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  24 * HOUR,
  24 * HOUR,
];

export const MAX_ATTEMPTS = retryDelaysMs.length + 1;

/** A receiver's Retry-After is honoured up to a day; a larger one is read as "a day". */
const MAX_RETRY_AFTER_MS = 24 * HOUR;

/**
 * The delay before the next attempt, or null when `attempt` (1-based, just failed) was the last.
 * `random` is in [0, 1) (injected: tests pin it).
 */
export function nextRetryDelayMs(attempt: number, random: number, retryAfterMs?: number | null): number | null {
  if (attempt >= MAX_ATTEMPTS) return null;
  if (retryAfterMs != null) return Math.min(Math.max(retryAfterMs, SECOND), MAX_RETRY_AFTER_MS);
  const base = retryDelaysMs[attempt - 1]!;
  return Math.round(base * (0.8 + 0.4 * random));
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfterMs(header: string | null | undefined, now: Date): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * SECOND;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now.getTime());
}
