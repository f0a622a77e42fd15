import type { TRPCRouterRecord } from "@trpc/server";
import { toPage } from "../shared/pagination";
import { iso } from "../shared/schemas";
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
import { actorOf } from "../audit/auditLog";
import { registerDevice, revokeDeviceToken, rotateDeviceToken } from "./deviceCredentials";
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
      const { device, token } = await registerDevice(ctx, actorOf(ctx.principal), input);
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
    .mutation(({ ctx, input }) => rotateDeviceToken(ctx, actorOf(ctx.principal), input.deviceId)),

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
    .mutation(({ ctx, input }) => revokeDeviceToken(ctx, actorOf(ctx.principal), input.deviceId)),

  byId: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/devices/{deviceId}", tags, summary: "Get a device" } })
    .input(deviceIdInput)
    .output(deviceSchema)
    .query(async ({ ctx, input }) => toDeviceDto(await findDevice(ctx.db, input.deviceId), ctx.clock())),
} satisfies TRPCRouterRecord;
