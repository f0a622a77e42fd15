/**
 * A live view as the dashboard opens one: the tRPC subscription `rollouts.onChange` over
 * server-sent events, read with fetch. Counts the change notices (data messages, not the stream's
 * `connected` and `ping` events).
 */
export interface LiveView {
  /** Notices received so far. */
  count(): number;
  /** Resolves when more than `after` notices have arrived; rejects after `timeoutMs`. */
  waitFor(after: number, timeoutMs: number): Promise<number>;
  close(): void;
}

export async function openLiveView(baseUrl: string, token: string, rolloutId: string): Promise<LiveView> {
  const controller = new AbortController();
  const input = encodeURIComponent(JSON.stringify({ json: { rolloutId } }));
  const response = await fetch(`${baseUrl}/trpc/rollouts.onChange?input=${input}`, {
    headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    signal: controller.signal,
  });
  if (!response.ok || !response.body) throw new Error(`live view refused: ${response.status} ${await response.text()}`);
  let notices = 0;
  let connected = false;
  const waiters = new Set<() => void>();
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = response.body.getReader();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: ?(.*)$/m.exec(block)?.[1];
          if (event === "connected") connected = true;
          else if (!event && /^data:/m.test(block)) notices++;
          for (const wake of waiters) wake();
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  const waitFor = (after: number, timeoutMs: number, ready = () => notices > after) =>
    new Promise<number>((resolve, reject) => {
      const check = () => {
        if (!ready()) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(notices);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no live notice within ${timeoutMs} ms (had ${notices})`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  // The stream is subscribed once it says so; a notice before then could be missed.
  await waitFor(0, 5_000, () => connected);
  return { count: () => notices, waitFor: (after, timeoutMs) => waitFor(after, timeoutMs), close: () => controller.abort() };
}
