import { describe, expect, it } from "vitest";
import { type AuditEvent, describeAuditEvent } from "./audit";

const event = (action: AuditEvent["action"], details: Record<string, unknown>, targetId = "r-1"): AuditEvent => ({
  id: "1",
  at: "2026-11-26T12:00:00.000Z",
  actor: { type: "user", id: "u-1", name: "alice" },
  action,
  target: { type: "rollout", id: targetId },
  details,
});

describe("describeAuditEvent", () => {
  it.each([
    [event("rollout.created", { version: "1.2.0", devices: 3 }), "Created: version 1.2.0 to 3 devices"],
    [event("rollout.created", { version: "1.2.0", devices: 1 }), "Created: version 1.2.0 to 1 device"],
    [event("rollout.retried", { retriedDevices: 2 }), "Retried 2 failed devices"],
    [event("rollout.cancelled", { cancelledDevices: 1 }), "Cancelled (1 device stopped)"],
    [event("api_key.revoked", { prefix: "sbk_0123456789ab" }), "API key sbk_0123456789ab revoked"],
    [event("device.token_rotated", {}, "device-7"), "Device token of device-7 rotated"],
  ])("%#: %s", (input, expected) => {
    expect(describeAuditEvent(input)).toBe(expected);
  });
});
