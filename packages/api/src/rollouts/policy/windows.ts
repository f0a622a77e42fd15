import { Cron } from "croner";

/** A maintenance window: it opens each time `cron` fires (in `timezone`) and stays open `durationMinutes`. */
export interface MaintenanceWindow {
  cron: string;
  durationMinutes: number;
  timezone: string;
}

export type WindowState = { open: true; closesAt: Date } | { open: false; opensAt: Date | null };

const MINUTE = 60_000;

/** Whether `timezone` is an IANA zone name this runtime knows (not a fixed offset such as "+01:00"). */
export function isKnownTimeZone(timezone: string): boolean {
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(timezone)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Why a window's cron is unusable, or undefined: it must parse, and fire within the next 400 days. */
export function cronProblem(window: Pick<MaintenanceWindow, "cron" | "timezone">, now: Date): string | undefined {
  let cron: Cron;
  try {
    cron = new Cron(window.cron, { timezone: window.timezone, paused: true });
  } catch (error) {
    return `is not a cron expression: ${error instanceof Error ? error.message : String(error)}`;
  }
  const next = cron.nextRun(now);
  if (!next || next.getTime() - now.getTime() > 400 * 24 * 60 * MINUTE)
    return "never fires (no time in the next 400 days matches it)";
  return undefined;
}

const fireAfter = (window: MaintenanceWindow, after: Date): Date | null =>
  new Cron(window.cron, { timezone: window.timezone, paused: true }).nextRun(after);

/**
 * One window at `now`: open if it fired within the last `durationMinutes` (croner computes fire
 * times in the zone, so a window at 01:00 Europe/Berlin opens at 01:00 local time on both sides of
 * a daylight-saving change). When closed, the next opening.
 */
function stateOf(window: MaintenanceWindow, now: Date): WindowState {
  const duration = window.durationMinutes * MINUTE;
  // The first fire time strictly after (now − duration) is the earliest one whose window has not
  // closed yet (a window is open from its fire time, included, to fire time + duration, excluded).
  const recent = fireAfter(window, new Date(now.getTime() - duration));
  if (recent && recent.getTime() <= now.getTime()) {
    // A fire time inside an open window extends it (10:00 and 10:30, open 45 minutes: 10:00–11:15).
    // Windows that always overlap (every hour, open 90 minutes) never close: the answer is then a
    // lower bound, a day or more ahead, which is all the controller needs.
    let closesAt = recent.getTime() + duration;
    for (let next = fireAfter(window, recent), hops = 0; next && next.getTime() <= closesAt && hops < 48; hops++) {
      closesAt = next.getTime() + duration;
      next = fireAfter(window, next);
    }
    return { open: true, closesAt: new Date(closesAt) };
  }
  return { open: false, opensAt: recent ?? fireAfter(window, now) };
}

/** Several windows: open when any is; otherwise the earliest next opening. No windows: always open. */
export function windowState(windows: readonly MaintenanceWindow[] | undefined, now: Date): WindowState {
  if (!windows || windows.length === 0) return { open: true, closesAt: new Date(8.64e15) };
  const states = windows.map((window) => stateOf(window, now));
  const open = states.filter((state): state is Extract<WindowState, { open: true }> => state.open);
  if (open.length) return { open: true, closesAt: new Date(Math.max(...open.map((state) => state.closesAt.getTime()))) };
  const openings = states.flatMap((state) => (!state.open && state.opensAt ? [state.opensAt.getTime()] : []));
  return { open: false, opensAt: openings.length ? new Date(Math.min(...openings)) : null };
}
