import type { ChangeEventType } from "@signalbeam/api";

/** The change log's event types (a test checks this list against the server's). */
export const eventTypes: readonly ChangeEventType[] = [
  "rollout.created",
  "rollout.scheduled",
  "rollout.wave_started",
  "rollout.wave_passed",
  "rollout.paused",
  "rollout.resumed",
  "rollout.threshold_breached",
  "rollout.cancelled",
  "rollout.completed",
  "rollout.failed",
  "rollout.rolled_back",
  "device.failed",
  "device.timed_out",
  "device.retry_scheduled",
  "integration.disabled",
];

/** What the Integrations page shows about a webhook or channel's health. Pure, unit-tested. */
export interface IntegrationHealth {
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  lastSuccessAt: string | null;
  pendingDeliveries: number;
}

export function healthOf(integration: IntegrationHealth): { label: string; colour: string; detail: string | null } {
  if (!integration.enabled)
    return integration.disabledReason
      ? { label: "Turned off", colour: "red", detail: `SignalBeam turned it off: ${integration.disabledReason}` }
      : { label: "Off", colour: "gray", detail: null };
  if (integration.failingSince)
    return {
      label: "Failing",
      colour: "orange",
      detail: `Failing since ${new Date(integration.failingSince).toLocaleString()}; ${integration.pendingDeliveries} waiting`,
    };
  if (!integration.lastSuccessAt) return { label: "No deliveries yet", colour: "gray", detail: null };
  return { label: "Healthy", colour: "green", detail: null };
}

/** The choices for "which events": everything, each family, then each type. */
export const eventTypeOptions = [
  { value: "*", label: "Everything (*)" },
  { value: "rollout.*", label: "Every rollout event (rollout.*)" },
  { value: "device.*", label: "Every device event (device.*)" },
  ...eventTypes.map((type) => ({ value: type, label: type })),
];
