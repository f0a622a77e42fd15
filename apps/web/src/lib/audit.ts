import type { RouterOutputs } from "@signalbeam/api";

export type AuditEvent = RouterOutputs["audit"]["list"]["data"][number];

const count = (value: unknown, noun: string) =>
  typeof value === "number" ? `${value} ${noun}${value === 1 ? "" : "s"}` : `${noun}s`;

const integrationName = (kind: unknown) => (kind === "email" ? "Email channel" : kind === "slack" ? "Slack channel" : "Webhook");

/** One line a person reads: what happened, with the numbers that matter. */
export function describeAuditEvent(event: AuditEvent): string {
  const details = event.details;
  switch (event.action) {
    case "rollout.created":
      return `Created: version ${String(details.version)} to ${count(details.devices, "device")}`;
    case "rollout.retried":
      return `Retried ${count(details.retriedDevices, "failed device")}`;
    case "rollout.cancelled":
      return `Cancelled (${count(details.cancelledDevices, "device")} stopped)`;
    case "rollout.paused":
      return "Paused";
    case "rollout.resumed":
      return "Resumed";
    case "rollout.advanced":
      return `Advanced to wave ${typeof details.wave === "number" ? details.wave + 1 : "?"}`;
    case "rollout.rolled_back":
      return `Rolled back (${count(details.devices, "device")} sent back to their previous version)`;
    case "user.created":
      return `User ${String(details.username)} created as ${String(details.role)}`;
    case "user.logged_in":
      return "Signed in";
    case "api_key.created":
      return `API key ${String(details.name)} (${String(details.prefix)}) created as ${String(details.role)}`;
    case "api_key.revoked":
      return `API key ${String(details.prefix)} revoked`;
    case "device.created":
      return `Device ${event.target.id} registered`;
    case "device.token_rotated":
      return `Device token of ${event.target.id} rotated`;
    case "device.token_revoked":
      return `Device token of ${event.target.id} revoked`;
    case "integration.created":
      return `${integrationName(details.kind)} ${String(details.target)} added`;
    case "integration.updated":
      return `Integration ${event.target.id} changed`;
    case "integration.deleted":
      return `${integrationName(details.kind)} ${String(details.target)} deleted`;
    case "integration.secret_rotated":
      return "Webhook signing secret rotated (the old one signs for a day more)";
    case "integration.disabled":
      return `${integrationName(details.kind)} ${String(details.target)} turned off: ${String(details.reason)}`;
  }
}
