/** Operator-side calls the simulator needs: register devices (or re-issue tokens) and list the demo fleet. */
export interface SimulatedDevice {
  id: string;
  token: string;
}

async function json(response: Response, what: string) {
  const body = (await response.json().catch(() => ({}))) as Record<string, any>;
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${body.message ?? ""}`.trim());
  return body;
}

export function operatorApi(baseUrl: string, headers: Record<string, string> = {}) {
  const api = `${baseUrl.replace(/\/+$/, "")}/api`;
  const post = (path: string, body?: unknown) =>
    fetch(`${api}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body ?? {}),
    });
  return {
    /** Creates the device, or re-issues its token if it exists already. */
    async enroll(id: string, name: string): Promise<SimulatedDevice> {
      const created = await post("/devices", { id, name, labels: { simulated: "true" } });
      if (created.status === 409)
        return { id, token: (await json(await post(`/devices/${encodeURIComponent(id)}/token`), `token for ${id}`)).token };
      return { id, token: (await json(created, `register ${id}`)).token };
    },
    async rotateToken(id: string): Promise<SimulatedDevice> {
      return { id, token: (await json(await post(`/devices/${encodeURIComponent(id)}/token`), `token for ${id}`)).token };
    },
    /** Device ids whose labels include `demo=true` (the seeded demo fleet). */
    async demoDeviceIds(): Promise<string[]> {
      const ids: string[] = [];
      for (let page = 1; ; page++) {
        const body = await json(await fetch(`${api}/devices?page=${page}&pageSize=100`, { headers }), "list devices");
        for (const device of body.data as { id: string; labels: Record<string, string> }[])
          if (device.labels.demo === "true") ids.push(device.id);
        if (page >= body.totalPages) return ids;
      }
    },
  };
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}
