import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { ONLINE_WINDOW_MS } from "../devices/deviceRepository";
import { viewerProcedure } from "../trpc";

/** The dashboard's headline numbers. tRPC only: not part of the REST contract. */
export const fleetRouter = {
  summary: viewerProcedure
    .input(z.void())
    .output(z.object({ devices: z.number().int(), online: z.number().int(), activeRollouts: z.number().int() }))
    .query(async ({ ctx }) => {
      const onlineSince = new Date(ctx.clock().getTime() - ONLINE_WINDOW_MS);
      const [devices, rollouts] = await Promise.all([
        ctx.db
          .selectFrom("devices")
          .select((eb) => [
            eb.fn.countAll<number>().as("devices"),
            eb.fn.count<number>("id").filterWhere("last_seen_at", ">=", onlineSince).as("online"),
          ])
          .executeTakeFirstOrThrow(),
        ctx.db
          .selectFrom("rollouts")
          .select((eb) => eb.fn.countAll<number>().as("active"))
          .where("status", "in", ["pending", "in_progress"])
          .executeTakeFirstOrThrow(),
      ]);
      return { devices: Number(devices.devices), online: Number(devices.online), activeRollouts: Number(rollouts.active) };
    }),
} satisfies TRPCRouterRecord;
