import { describe, expect, it } from "vitest";
import { createRolloutEvents } from "./rolloutEvents";

describe("rolloutEvents.watch", () => {
  it("coalesces a burst into one update and stops when aborted", async () => {
    const events = createRolloutEvents();
    const controller = new AbortController();
    const seen: number[] = [];
    const watching = (async () => {
      for await (const _ of events.watch("r1", controller.signal, 50)) seen.push(Date.now());
    })();
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (let i = 0; i < 100; i++) events.changed("r1");
    events.changed("other-rollout");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toHaveLength(1);
    events.changed("r1"); // during the coalescing pause: delivered once, after it
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(seen).toHaveLength(2);
    controller.abort();
    await watching;
  });
});
