import { z } from "zod";
import { pageEnvelope, pageQuery } from "../shared/pagination";
import { deviceIdSchema, labelsSchema, nameSchema, semverSchema, storable, timestampSchema, uuidSchema } from "../shared/schemas";

export const deviceSchema = z
  .object({
    id: deviceIdSchema,
    name: z.string(),
    labels: z.record(z.string(), z.string()),
    createdAt: timestampSchema,
    lastSeenAt: timestampSchema.nullable(),
    online: z.boolean().describe("Heard from within the last 3 minutes"),
    currentBundleId: uuidSchema.nullable().describe("As last reported by the agent"),
    currentVersion: z.string().nullable(),
    agentVersion: z.string().nullable(),
    desiredRolloutId: uuidSchema.nullable(),
    desiredBundleId: uuidSchema.nullable(),
    desiredVersion: z.string().nullable(),
  })
  .meta({ id: "Device" });

export const createDeviceInput = z
  .object({
    id: deviceIdSchema.optional().describe("Defaults to a generated UUID"),
    name: nameSchema,
    labels: labelsSchema.optional(),
  })
  .strict();

export const createDeviceOutput = z.object({
  id: deviceIdSchema,
  name: z.string(),
  labels: z.record(z.string(), z.string()),
  createdAt: timestampSchema,
  token: z.string().describe("The device's credential; shown this once, stored only as a hash"),
});

export const rotateTokenOutput = z.object({
  deviceId: deviceIdSchema,
  token: z.string().describe("The new credential, shown this once; the previous token no longer works"),
});

export const listDevicesInput = z.strictObject({
  search: storable(z.string().max(200)).optional().describe("Matches id or name, case-insensitive"),
  groupId: uuidSchema.optional(),
  ...pageQuery(),
});

export const listDevicesOutput = pageEnvelope(deviceSchema);

export const deviceIdInput = z.strictObject({ deviceId: deviceIdSchema });

export const heartbeatInput = z
  .object({
    deviceId: deviceIdSchema,
    bundleId: uuidSchema.nullable().optional(),
    version: semverSchema.nullable().optional(),
    agentVersion: storable(z.string().max(64)).optional(),
  })
  .strict();

export const heartbeatOutput = z.object({ deviceId: deviceIdSchema, lastSeenAt: timestampSchema });

export type DeviceDto = z.infer<typeof deviceSchema>;
