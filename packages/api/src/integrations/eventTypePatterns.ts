import { changeEventTypes } from "../shared/changeLog";

/**
 * What a subscription listens to: exact event types (`rollout.paused`), families (`rollout.*`,
 * `device.*`, `webhook.*`) or everything (`*`). Patterns are checked against the known types when
 * a subscription is saved, so a typo is a 400 rather than a subscription that never fires.
 */
export const eventTypePatternHelp = `an event type (${changeEventTypes.join(", ")}), a family such as rollout.* or device.*, or *`;

const families = new Set(changeEventTypes.map((type) => type.split(".")[0]!));

export function isEventTypePattern(pattern: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return families.has(pattern.slice(0, -2));
  return (changeEventTypes as readonly string[]).includes(pattern);
}

export function matchesEventType(patterns: readonly string[], type: string): boolean {
  return patterns.some(
    (pattern) => pattern === "*" || pattern === type || (pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1))),
  );
}
