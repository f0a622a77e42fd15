import { createSignalBeamClient, TRPCClientError } from "@signalbeam/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";

describe("@signalbeam/client against a listening server", () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ dataDir: "memory://", demo: true });
  }, 60_000);
  afterAll(() => server?.close());

  it("lists the demo rollouts with typed outputs over /trpc", async () => {
    const client = createSignalBeamClient({ url: server.url, token: server.bootstrap!.generatedToken });
    const page = await client.rollouts.list.query({ page: 1, pageSize: 10 });
    expect(page.totalCount).toBe(3);
    const statuses: string[] = page.data.map((rollout) => rollout.status);
    expect(statuses).toEqual(["cancelled", "failed", "completed"]);
    expect(page.data[0]!.progress.total).toBe(5);
  });

  it("creates a rollout and reads it back as the agent would see it", async () => {
    const client = createSignalBeamClient({ url: server.url, token: server.bootstrap!.generatedToken });
    const device = await client.devices.create.mutate({ id: "client-1", name: "Client Test Device" });
    const rollout = await client.rollouts.create.mutate({
      bundleId: "f9c15f6f-a40f-40a8-9c6f-a2bf2786f590",
      version: "1.2.0",
      targetType: "device",
      deviceIds: [device.id],
    });
    const agent = createSignalBeamClient({ url: server.url, token: device.token });
    const desired = await agent.agent.desiredState.query({ deviceId: device.id });
    expect(desired).toMatchObject({ rolloutId: rollout.rolloutId, version: "1.2.0" });
    expect(desired.containers.map((container) => container.name)).toEqual(["collector", "forwarder"]);
  });

  it("is refused without a credential, and names what to send", async () => {
    const anonymous = createSignalBeamClient({ url: server.url });
    const error = await anonymous.rollouts.list.query({ page: 1, pageSize: 10 }).catch((caught: unknown) => caught);
    expect((error as TRPCClientError<any>).data?.code).toBe("UNAUTHORIZED");
    expect((error as TRPCClientError<any>).message).toContain("API key");
  });

  it("surfaces errors with their code and the field-naming message", async () => {
    const client = createSignalBeamClient({ url: server.url, token: server.bootstrap!.generatedToken });
    const error = await client.rollouts.list.query({ page: 1, pageSize: 500 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<any>).data?.code).toBe("BAD_REQUEST");
    expect((error as TRPCClientError<any>).message).toContain("pageSize");
  });
});
