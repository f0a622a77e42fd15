import type { RouterInputs, RouterOutputs } from "@signalbeam/api";

/** Rollout policies as the dashboard writes and explains them. Pure: unit-tested without a browser. */

export type Policy = NonNullable<RouterInputs["rollouts"]["create"]["policy"]>;
export type Rollout = RouterOutputs["rollouts"]["byId"];
type Wave = NonNullable<Policy["waves"]>[number];

/** The strategies the Assign dialog offers before "Custom". */
export const presets: { value: string; label: string; waves: Wave[] | null }[] = [
  { value: "all", label: "All at once", waves: null },
  {
    value: "canary",
    label: "Canary 1 %, then 10 %, 50 %, 100 %",
    waves: [{ name: "canary", percent: 1 }, { percent: 10 }, { percent: 50 }, { percent: 100 }],
  },
  // For small fleets, where 1 % is no device at all.
  {
    value: "small-canary",
    label: "Canary 2 devices, then half, then everyone",
    waves: [{ name: "canary", count: 2 }, { percent: 50 }, { percent: 100 }],
  },
  { value: "halves", label: "Half, then everyone", waves: [{ percent: 50 }, { percent: 100 }] },
];

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

function describeWave(wave: Wave, index: number, last: boolean): string {
  const ring = wave.selector
    ? ` labelled ${Object.entries(wave.selector.labels)
        .map(([key, value]) => `${key}=${value}`)
        .join(", ")}`
    : "";
  const canary = index === 0 && (wave.name === "canary" || wave.selector) ? " canary" : "";
  if (last && wave.percent === 100) return index === 0 ? "every device at once" : "everyone";
  if (wave.count !== undefined) return `${plural(wave.count, `${canary.trim() ? "canary " : ""}device`)}${ring}`;
  if (wave.percent !== undefined) return `${wave.percent} %${canary}${ring}`;
  return `the devices${ring}`;
}

/**
 * One sentence above the Assign button saying what will happen, e.g. "25 canary devices, then
 * 10 %, then everyone; pauses if more than 10 % fail; only between 01:00 and 05:00 Europe/Berlin."
 */
export function describePolicy(policy: Policy | undefined): string {
  if (!policy) return "Every device gets the new version at once.";
  const waves = policy.waves ?? [{ percent: 100 }];
  const parts = [waves.map((wave, index) => describeWave(wave, index, index === waves.length - 1)).join(", then ")];
  if (waves.length > 1) {
    const gate = policy.gate?.successPercent ?? 100;
    const soak = policy.gate?.soakSeconds ?? 0;
    const next = policy.advance === "manual" ? "each next wave waits for your approval" : "each next wave starts on its own";
    parts.push(`${next} once ${gate} % of a wave succeeded${soak ? ` and ${formatSeconds(soak)} passed` : ""}`);
  }
  if (policy.failureThreshold) {
    const verb = { pause: "pauses", abort: "stops", rollback: "rolls back" }[policy.failureThreshold.action ?? "pause"];
    parts.push(`${verb} if more than ${policy.failureThreshold.percent} % fail`);
  }
  if (policy.deviceTimeoutSeconds)
    parts.push(`a device updating longer than ${formatSeconds(policy.deviceTimeoutSeconds)} fails`);
  if (policy.retry && policy.retry.maxAttempts > 1) parts.push(`up to ${plural(policy.retry.maxAttempts, "attempt")} per device`);
  if (policy.rate) parts.push(`at most ${policy.rate.maxPerMinute} devices a minute`);
  const window = policy.schedule?.windows?.[0];
  if (window) parts.push(`only ${describeWindow(window)}`);
  if (policy.schedule?.startAt) parts.push(`starting ${formatLocal(policy.schedule.startAt)}`);
  const sentence = parts.join("; ");
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

/** "between 01:00 and 05:00 Europe/Berlin" for a daily window; the cron itself otherwise. */
export function describeWindow(window: { cron: string; durationMinutes: number; timezone: string }): string {
  const daily = /^(\d{1,2}) (\d{1,2}) \* \* \*$/.exec(window.cron.trim());
  if (!daily) return `in windows "${window.cron}" of ${formatSeconds(window.durationMinutes * 60)} (${window.timezone})`;
  const start = Number(daily[2]) * 60 + Number(daily[1]);
  const end = (start + window.durationMinutes) % 1440;
  const hhmm = (minutes: number) =>
    `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
  return `between ${hhmm(start)} and ${hhmm(end)} ${window.timezone}`;
}

/** "45 s", "10 min", "2 h 30 min", "3 d". */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) {
    const minutes = Math.round((seconds % 3600) / 60);
    return `${Math.floor(seconds / 3600)} h${minutes ? ` ${minutes} min` : ""}`;
  }
  return `${Math.round(seconds / 86_400)} d`;
}

const formatLocal = (iso: string) => new Date(iso).toISOString().replace("T", " ").slice(0, 16) + " UTC";

/** What a staged rollout waits for, with a countdown where there is a time: "Soak ends in 8 min". */
export function describeWaiting(
  rollout: Pick<Rollout, "waitingFor" | "nextActionAt" | "currentWave" | "waves" | "policy">,
  now: number,
): string | null {
  const left = rollout.nextActionAt ? Math.max(0, Math.round((Date.parse(rollout.nextActionAt) - now) / 1000)) : null;
  const inTime = left === null ? "" : left === 0 ? " now" : ` in ${formatSeconds(left)}`;
  const wave = rollout.currentWave === null ? null : rollout.waves[rollout.currentWave];
  switch (rollout.waitingFor) {
    case "schedule":
      return `Scheduled: starts${inTime}`;
    case "window": {
      const window = rollout.policy?.schedule?.windows?.[0];
      return `Waiting for the maintenance window${window ? ` (${describeWindow(window)})` : ""}: opens${inTime}`;
    }
    case "soak":
      return `Wave ${(rollout.currentWave ?? 0) + 1} passed; soak ends${inTime}`;
    case "approval":
      return `Wave ${(rollout.currentWave ?? 0) + 1} passed: waiting for approval to start wave ${(rollout.currentWave ?? 0) + 2}`;
    case "gate":
      return wave
        ? `Waiting for wave ${(rollout.currentWave ?? 0) + 1} to reach ${rollout.policy?.gate.successPercent ?? 100} % succeeded (${wave.progress.succeeded} of ${wave.size})`
        : null;
    case "rate":
      return `Rate limit (${rollout.policy?.rate?.maxPerMinute ?? "?"} a minute): more devices${inTime}`;
    case "retry":
      return `Waiting to retry failed devices${inTime}`;
    default:
      return null;
  }
}

/** "1%, 10%, 100%" or "25, 50%, 100%" → waves (cumulative); an error message naming the bad part otherwise. */
export function parseWaves(text: string, canaryLabel: string): Wave[] | string {
  const parts = text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.length === 0) return "list at least one wave, e.g. 1%, 10%, 100%";
  const waves: Wave[] = [];
  for (const part of parts) {
    const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(part);
    const count = /^(\d+)$/.exec(part);
    if (percent) waves.push({ percent: Number(percent[1]) });
    else if (count) waves.push({ count: Number(count[1]) });
    else return `"${part}" is neither a percent (10%) nor a device count (25)`;
  }
  const label = /^([^=\s]+)=(\S+)$/.exec(canaryLabel.trim());
  if (canaryLabel.trim() && !label) return `the canary label "${canaryLabel}" must look like ring=canary`;
  if (label) waves[0] = { ...waves[0], name: "canary", selector: { labels: { [label[1]!]: label[2]! } } };
  return waves;
}
