import { type RunningServer, startServer, type StartOptions } from "@signalbeam/server";

/** A real server on embedded PGlite, plus the operator calls the agent tests need. */
export async function startTestServer(
  options: { dataDir?: string; port?: number } & Pick<StartOptions, "clock" | "controller"> = {},
) {
  const server = await startServer({
    dataDir: options.dataDir ?? "memory://",
    demo: false,
    port: options.port,
    admin: { token: ADMIN_TOKEN },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.controller ? { controller: options.controller } : {}),
  });
  return { server, ...operatorCalls(server.url) };
}

/** Chosen rather than generated: a restarted server on the same data keeps its first admin key. */
const ADMIN_TOKEN = "sbk_a9e470000001_agent-tests-admin-key";

/** Operator calls made with the admin API key (the agent tests' stand-in for a fleet manager). */
export function operatorCalls(url: string, apiKey = ADMIN_TOKEN) {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}/api${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return parsed;
  };
  return {
    call,
    async device(id: string): Promise<{ id: string; token: string }> {
      return call("POST", "/devices", { id, name: `Test ${id}` });
    },
    async bundle(name: string, versions: Record<string, { name: string; image: string; command?: string[] }[]>) {
      const bundle = await call("POST", "/bundles", { name });
      for (const [version, containers] of Object.entries(versions))
        await call("POST", `/bundles/${bundle.id}/versions`, { version, containers });
      return bundle.id as string;
    },
    async rollout(bundleId: string, version: string, deviceIds: string[], policy?: unknown): Promise<string> {
      return (
        await call("POST", "/rollouts", { bundleId, version, targetType: "device", deviceIds, ...(policy ? { policy } : {}) })
      ).rolloutId;
    },
    async rowOf(rolloutId: string, deviceId: string) {
      const page = await call("GET", `/rollouts/${rolloutId}/devices`);
      return page.devices.find((device: { deviceId: string }) => device.deviceId === deviceId);
    },
  };
}

export type TestServer = Awaited<ReturnType<typeof startTestServer>> & { server: RunningServer };
