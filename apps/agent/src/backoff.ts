/**
 * Capped exponential backoff with full jitter: attempt 0 waits up to `baseMs`, each further
 * attempt doubles that, never beyond `capMs`; the actual wait is uniform in [half, all] of it.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** The poll interval with ±10 % jitter, so a fleet restarted together does not poll in lockstep. */
export function jitteredInterval(intervalMs: number, random: () => number = Math.random): number {
  return Math.round(intervalMs * (0.9 + random() * 0.2));
}
