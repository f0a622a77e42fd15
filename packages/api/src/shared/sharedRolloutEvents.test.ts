import { describe, expect, it } from "vitest";
import { createRolloutEvents } from "./rolloutEvents";
import { decodeRolloutNotice, encodeRolloutNotices, shareRolloutEvents } from "./sharedRolloutEvents";

const uuid = (index: number) => `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`;

/** Two replicas joined by an in-memory "channel" (PostgreSQL's NOTIFY in the server). */
function pair() {
  const sent: string[] = [];
  const localA = createRolloutEvents();
  const localB = createRolloutEvents();
  const b = shareRolloutEvents(localB, { publish: async () => {}, onError: () => {}, flushMs: 5 });
  const a = shareRolloutEvents(localA, {
    publish: async (payload) => {
      sent.push(payload);
      b.receive(payload);
    },
    onError: (error) => {
      throw error;
    },
    flushMs: 5,
  });
  return { a, b, sent };
}

describe("change notices across replicas", () => {
  it.each([
    { name: "nothing", changed: 0, wanted: 0, payloads: 1 },
    { name: "a few rollouts", changed: 3, wanted: 1, payloads: 1 },
    { name: "more ids than one NOTIFY holds", changed: 400, wanted: 50, payloads: 3 },
  ])("encodes $name into payloads under the NOTIFY limit, losing no id", ({ changed, wanted, payloads }) => {
    const notice = {
      origin: "replica-a",
      changed: Array.from({ length: changed }, (_, index) => uuid(index)),
      wanted: Array.from({ length: wanted }, (_, index) => uuid(10_000 + index)),
      events: true,
    };
    const encoded = encodeRolloutNotices(notice);
    expect(encoded).toHaveLength(payloads);
    for (const payload of encoded) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    const decoded = encoded.map((payload) => decodeRolloutNotice(payload)!);
    expect(decoded.flatMap((each) => each.changed)).toEqual(notice.changed);
    expect(decoded.flatMap((each) => each.wanted)).toEqual(notice.wanted);
    expect(decoded.some((each) => each.events)).toBe(true);
  });

  it.each(["", "not json", "{}", '{"origin": 5}', "[]"])("ignores a payload it cannot read: %j", (payload) => {
    expect(decodeRolloutNotice(payload)).toBeUndefined();
  });

  it("coalesces a burst of reports into one notice, and the other replica's views and controller hear it", async () => {
    const { a, b, sent } = pair();
    const heardChanges: string[] = [];
    const wanted: string[] = [];
    let committed = 0;
    const controller = new AbortController();
    const watching = (async () => {
      for await (const _ of b.watch("r1", controller.signal, 1)) heardChanges.push("r1");
    })();
    b.onControllerWanted((id) => wanted.push(id));
    b.onEventsCommitted(() => committed++);
    await new Promise((resolve) => setTimeout(resolve, 5));

    for (let index = 0; index < 500; index++) a.changed("r1");
    a.controllerWanted("r1");
    a.eventsCommitted();
    await a.flush();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sent).toHaveLength(1);
    expect(heardChanges).toEqual(["r1"]);
    expect(wanted).toEqual(["r1"]);
    expect(committed).toBe(1);
    controller.abort();
    await watching;
  });

  it("does not apply its own notices twice, and wakes every view on resync", async () => {
    const local = createRolloutEvents();
    let own: string | undefined;
    const shared = shareRolloutEvents(local, { publish: async (payload) => void (own = payload), onError: () => {}, flushMs: 1 });
    let wakes = 0;
    const controller = new AbortController();
    const watching = (async () => {
      for await (const _ of shared.watch("r2", controller.signal, 1)) wakes++;
    })();
    await new Promise((resolve) => setTimeout(resolve, 5));
    shared.changed("r2");
    await shared.flush();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(wakes).toBe(1);
    shared.receive(own!); // its own notice, back from PostgreSQL
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(wakes).toBe(1);
    shared.resync();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(wakes).toBe(2);
    controller.abort();
    await watching;
  });
});
