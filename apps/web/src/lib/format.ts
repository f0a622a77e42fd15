/** Display helpers for the rollout pages. Pure, so they are unit-tested without a browser. */

export type RolloutStatus = "scheduled" | "paused" | "pending" | "in_progress" | "completed" | "failed" | "cancelled";
export type DeviceStatus = "queued" | "pending" | "updating" | "succeeded" | "failed" | "cancelled";

const labels: Record<RolloutStatus | DeviceStatus, string> = {
  scheduled: "Scheduled",
  paused: "Paused",
  queued: "Queued",
  pending: "Pending",
  in_progress: "In Progress",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  updating: "Updating",
  succeeded: "Succeeded",
};

// Colour always comes with the text label, never alone.
const colours: Record<RolloutStatus | DeviceStatus, string> = {
  scheduled: "grape",
  paused: "yellow",
  queued: "gray",
  pending: "gray",
  in_progress: "blue",
  updating: "blue",
  completed: "green",
  succeeded: "green",
  failed: "red",
  cancelled: "orange",
};

export const statusLabel = (status: RolloutStatus | DeviceStatus) => labels[status];
export const statusColour = (status: RolloutStatus | DeviceStatus) => colours[status];

/** Active rollouts are refreshed every 5 s; finished ones are not. */
export const isActive = (status: RolloutStatus) =>
  status === "pending" || status === "in_progress" || status === "scheduled" || status === "paused";

/** Share of devices that reached an end state (succeeded, failed or cancelled), in whole percent. */
export function percentDone(progress: { total: number; succeeded: number; failed: number; cancelled: number }): number {
  if (progress.total === 0) return 0;
  return Math.floor((100 * (progress.succeeded + progress.failed + progress.cancelled)) / progress.total);
}

/** "2m 30s", "45s", "1h 2m"; "—" until both ends are known. */
export function formatDuration(startedAt: string | null, completedAt: string | null): string {
  if (!startedAt || !completedAt) return "—";
  const seconds = Math.max(0, Math.round((Date.parse(completedAt) - Date.parse(startedAt)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

export const formatTime = (iso: string | null) =>
  iso ? new Date(iso).toLocaleString("en-GB", { timeZone: "UTC" }) + " UTC" : "—";
