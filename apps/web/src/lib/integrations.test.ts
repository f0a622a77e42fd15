import { changeEventTypes } from "@signalbeam/api";
import { describe, expect, it } from "vitest";
import { eventTypes, healthOf } from "./integrations";

describe("integrations", () => {
  it("offers every event type the server knows", () => {
    expect([...eventTypes]).toEqual([...changeEventTypes]);
  });

  const base = { enabled: true, disabledReason: null, failingSince: null, lastSuccessAt: null, pendingDeliveries: 0 };
  it.each([
    [base, "No deliveries yet"],
    [{ ...base, lastSuccessAt: "2026-12-01T10:00:00Z" }, "Healthy"],
    [{ ...base, lastSuccessAt: "2026-12-01T10:00:00Z", failingSince: "2026-12-01T11:00:00Z", pendingDeliveries: 3 }, "Failing"],
    [{ ...base, enabled: false }, "Off"],
    [{ ...base, enabled: false, disabledReason: "the receiver answered 410 Gone" }, "Turned off"],
  ])("%j reads %s", (integration, label) => expect(healthOf(integration).label).toBe(label));

  it("says why SignalBeam turned one off", () => {
    expect(healthOf({ ...base, enabled: false, disabledReason: "the receiver answered 410 Gone" }).detail).toBe(
      "SignalBeam turned it off: the receiver answered 410 Gone",
    );
  });
});
