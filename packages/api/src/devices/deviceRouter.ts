import { randomUUID } from "node:crypto";
import type { TRPCRouterRecord } from "@trpc/server";
import { DomainError, notFound } from "../shared/errors";
import { toPage } from "../shared/pagination";
import { iso } from "../shared/schemas";
import { inTransaction } from "../shared/transaction";
import { operatorProcedure, viewerProcedure } from "../trpc";
import { findDevice, listDevices, toDeviceDto } from "./deviceRepository";
import {
  createDeviceInput,
  createDeviceOutput,
  deviceIdInput,
  deviceSchema,
  listDevicesInput,
  listDevicesOutput,
  rotateTokenOutput,
} from "./deviceSchemas";
import { generateDeviceToken, sha256Hex } from "../auth/secrets";
import { actorOf, recordAudit } from "../audit/auditLog";
import { announce, apply } from "../cache/invalidation";
import { z } from "zod";

const tags = ["devices"];

export const deviceRouter = {
  create: operatorProcedure
    .meta({
      openapi: { method: "POST", path: "/devices", tags, summary: "Register a device; returns its token once" },
      successStatus: 201,
    })
    .input(createDeviceInput)
    .output(createDeviceOutput)
    .mutation(async ({ ctx, input }) => {
      const id = input.id ?? randomUUID();
      const token = generateDeviceToken();
      const now = ctx.clock();
      const device = await inTransaction(ctx.db, async (tx) => {
        const inserted = await tx
          .insertInto("devices")
          .values({
            id,
            name: input.name,
            labels: JSON.stringify(input.labels ?? {}),
            token_hash: sha256Hex(token),
            created_at: now,
          })
          .onConflict((conflict) => conflict.column("id").doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!inserted) throw new DomainError("CONFLICT", `device ${id} already exists`, { field: "id" });
        await tx.insertInto("device_desired_states").values({ device_id: id, updated_at: now }).execute();
        return inserted;
      });
      // Nothing cached can be stale for a new device; this only lets a warm cache load it before its first poll.
      apply(ctx.agentCache, { kind: "credentials", devices: [device.id] });
      apply(ctx.agentCache, { kind: "desired", devices: [device.id] });
      return { id: device.id, name: device.name, labels: device.labels, createdAt: iso(device.created_at), token };
    }),

  list: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/devices", tags, summary: "List devices" } })
    .input(listDevicesInput)
    .output(listDevicesOutput)
    .query(async ({ ctx, input }) => {
      const now = ctx.clock();
      const { rows, totalCount } = await listDevices(ctx.db, input, input);
      return toPage(
        rows.map((row) => toDeviceDto(row, now)),
        input,
        totalCount,
      );
    }),

  rotateToken: operatorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/devices/{deviceId}/token",
        tags,
        summary: "Issue a new device token; the old one stops working",
      },
    })
    .input(deviceIdInput)
    .output(rotateTokenOutput)
    .mutation(async ({ ctx, input }) => {
      const token = generateDeviceToken();
      const now = ctx.clock();
      const deviceId = await inTransaction(ctx.db, async (tx) => {
        const updated = await tx
          .updateTable("devices")
          .set({ token_hash: sha256Hex(token) })
          .where("id", "=", input.deviceId)
          .returning("id")
          .executeTakeFirst();
        if (!updated) throw notFound("device", input.deviceId);
        await recordAudit(
          tx,
          actorOf(ctx.principal),
          { action: "device.token_rotated", target: { type: "device", id: updated.id } },
          now,
        );
        await announce(tx, { kind: "credentials", devices: [updated.id] }, ctx.agentCache);
        return updated.id;
      });
      apply(ctx.agentCache, { kind: "credentials", devices: [deviceId] });
      return { deviceId, token };
    }),

  revokeToken: operatorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/devices/{deviceId}/token",
        tags,
        summary: "Revoke the device's token: its agent is refused until a new token is issued",
      },
      successStatus: 204,
    })
    .input(deviceIdInput)
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      const now = ctx.clock();
      await inTransaction(ctx.db, async (tx) => {
        const device = await tx
          .selectFrom("devices")
          .select(["id", "token_hash"])
          .where("id", "=", input.deviceId)
          .forUpdate()
          .executeTakeFirst();
        if (!device) throw notFound("device", input.deviceId);
        if (device.token_hash === null) return;
        await tx.updateTable("devices").set({ token_hash: null }).where("id", "=", device.id).execute();
        await recordAudit(
          tx,
          actorOf(ctx.principal),
          { action: "device.token_revoked", target: { type: "device", id: device.id } },
          now,
        );
        await announce(tx, { kind: "credentials", devices: [device.id] }, ctx.agentCache);
      });
      apply(ctx.agentCache, { kind: "credentials", devices: [input.deviceId] });
    }),

  byId: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/devices/{deviceId}", tags, summary: "Get a device" } })
    .input(deviceIdInput)
    .output(deviceSchema)
    .query(async ({ ctx, input }) => toDeviceDto(await findDevice(ctx.db, input.deviceId), ctx.clock())),
} satisfies TRPCRouterRecord;
