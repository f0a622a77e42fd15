import { z } from "zod";
import { containerSchema } from "../bundles/bundleSchemas";
import { deviceRolloutStates } from "../rollouts/deviceTransitions";
import { deviceIdSchema, storable, timestampSchema, uuidSchema } from "../shared/schemas";

export const desiredStateSchema = z
  .object({
    deviceId: deviceIdSchema,
    rolloutId: uuidSchema.nullable().describe("The rollout to report to; null when there is nothing to report"),
    bundleId: uuidSchema.nullable(),
    version: z.string().nullable(),
    containers: z.array(containerSchema),
    attempt: z
      .number()
      .int()
      .nullable()
      .describe("The device's attempt in that rollout; a retry raises it, which tells an agent that failed to try again"),
  })
  .meta({ id: "DesiredState" });

export const reportStatusInput = z
  .object({
    rolloutId: uuidSchema,
    deviceId: deviceIdSchema,
    status: z.enum(["updating", "succeeded", "failed"]),
    errorMessage: storable(z.string().max(4000)).optional(),
  })
  .strict();

export const deviceRolloutStatusSchema = z
  .object({
    rolloutId: uuidSchema,
    deviceId: deviceIdSchema,
    status: z.enum(deviceRolloutStates),
    startedAt: timestampSchema.nullable(),
    completedAt: timestampSchema.nullable(),
    errorMessage: z.string().nullable(),
  })
  .meta({ id: "DeviceRolloutStatus" });
