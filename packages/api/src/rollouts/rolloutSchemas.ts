import { z } from "zod";
import { pageEnvelope, pageQuery } from "../shared/pagination";
import { deviceIdSchema, semverSchema, timestampSchema, uuidSchema } from "../shared/schemas";
import { deviceRolloutStates } from "./deviceTransitions";
import { policySchema } from "./policy/policySchema";

const rolloutStates = ["scheduled", "paused", "pending", "in_progress", "completed", "failed", "cancelled"] as const;

const progressSchema = z
  .object({
    total: z.number().int(),
    queued: z.number().int().describe("Devices waiting for their wave, a window, the rate limit or a retry's backoff"),
    pending: z.number().int(),
    inProgress: z.number().int().describe("Devices currently updating"),
    succeeded: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
  })
  .meta({ id: "RolloutProgress" });

const waveSchema = z
  .object({
    index: z.number().int(),
    name: z.string().nullable(),
    size: z.number().int(),
    startedAt: timestampSchema.nullable(),
    passedAt: timestampSchema.nullable().describe("When its gate passed"),
    progress: progressSchema,
  })
  .meta({ id: "RolloutWave" });

export const rolloutSchema = z
  .object({
    id: uuidSchema,
    bundleId: uuidSchema,
    version: z.string(),
    targetType: z.enum(["device", "group"]),
    status: z.enum(rolloutStates),
    progress: progressSchema,
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    completedAt: timestampSchema.nullable(),
    kind: z.enum(["standard", "rollback"]).describe("rollback: made by POST /rollouts/{id}/rollback"),
    policy: policySchema.nullable().describe("How devices are released; null: every device at once"),
    rollbackOf: uuidSchema.nullable().describe("The rollout this one rolls back"),
    rolledBackBy: z.array(uuidSchema).describe("The rollouts that rolled this one back (one per previous version)"),
    currentWave: z.number().int().nullable().describe("Index of the latest wave started; null before the first"),
    waves: z.array(waveSchema).describe("A staged rollout's waves; empty without a policy"),
    pausedReason: z.string().nullable().describe("Why it is paused, as a sentence a person can act on"),
    waitingFor: z
      .enum(["schedule", "window", "soak", "approval", "gate", "rate", "retry"])
      .nullable()
      .describe("What the next release waits for; null when nothing holds it back"),
    nextActionAt: timestampSchema.nullable().describe("When the controller acts next on its own (soak end, window, …)"),
    targetCount: z.number().int().describe("How many ids targetIds holds"),
    // Last, so a REST answer can splice in the serialized list (see the server's rollout fast path).
    targetIds: z
      .array(z.string())
      .optional()
      .describe("The device or group ids as requested at creation; left out when targets=summary"),
  })
  .meta({ id: "Rollout" });

/** `?targets=summary` leaves the (possibly 100,000-id) target list out; the REST default keeps it. */
const targetsQuery = {
  targets: z
    .enum(["full", "summary"])
    .default("full")
    .describe("full (default): with targetIds; summary: targetCount only, for views that do not list the targets"),
};

const MAX_TARGETS = 200_000;

export const createRolloutInput = z
  .object({
    bundleId: uuidSchema,
    version: semverSchema,
    targetType: z.enum(["device", "group"]),
    deviceIds: z.array(deviceIdSchema).max(MAX_TARGETS).optional(),
    groupIds: z.array(uuidSchema).max(1_000).optional(),
    policy: policySchema.optional().describe("Waves, gates, thresholds, timeouts, retries, rate and schedule; none: all at once"),
    rolloutId: uuidSchema
      .optional()
      .describe("The new rollout's id, e.g. the one POST /rollouts/plan answered (its waves are then the plan's); 409 if taken"),
  })
  .strict()
  .superRefine((input, ctx) => {
    const wanted = input.targetType === "device" ? "deviceIds" : "groupIds";
    const other = input.targetType === "device" ? "groupIds" : "deviceIds";
    const list = input[wanted];
    if (!list || list.length === 0)
      ctx.addIssue({
        code: "custom",
        path: [wanted],
        message: `must list at least one target when targetType is ${input.targetType}`,
      });
    if (input[other] !== undefined && input[other]!.length > 0)
      ctx.addIssue({ code: "custom", path: [other], message: `not allowed when targetType is ${input.targetType}` });
  });

/** The contract's create answer: the rollout's fields, its id named rolloutId, and its full target list. */
export const createRolloutOutput = rolloutSchema
  .pick({
    bundleId: true,
    version: true,
    targetType: true,
    status: true,
    progress: true,
    createdAt: true,
    policy: true,
    currentWave: true,
    waves: true,
    waitingFor: true,
    nextActionAt: true,
  })
  .extend({ rolloutId: uuidSchema, targetIds: rolloutSchema.shape.targetIds.unwrap() });

export const listRolloutsInput = z.strictObject({
  bundleId: uuidSchema.optional(),
  status: z.enum(rolloutStates).optional(),
  ...targetsQuery,
  ...pageQuery(),
});

export const listRolloutsOutput = pageEnvelope(rolloutSchema);

export const rolloutIdInput = z.strictObject({ rolloutId: uuidSchema });

export const rollbackOutput = z.object({
  rollouts: z.array(rolloutSchema).describe("The rollback rollouts, one per previous version"),
  untouchedDeviceIds: z.array(deviceIdSchema).describe("Devices that started the rollout but had no previous version"),
});
export const rolloutByIdInput = z.strictObject({ rolloutId: uuidSchema, ...targetsQuery });

const deviceSortKeys = ["deviceId", "deviceName", "status", "startedAt", "completedAt", "duration", "wave"] as const;
export const deviceSortValues = deviceSortKeys.flatMap((key) => [key, `-${key}`] as const);

export const rolloutDevicesInput = z.strictObject({
  rolloutId: uuidSchema,
  status: z.enum(deviceRolloutStates).optional(),
  sort: z
    .enum(deviceSortValues as [string, ...string[]])
    .optional()
    .describe("Sort key, '-' prefix for descending; default deviceName"),
  ...pageQuery({ pageSize: 1000, maxPageSize: 1000 }),
});

const rolloutDeviceSchema = z
  .object({
    deviceId: deviceIdSchema,
    deviceName: z.string(),
    status: z.enum(deviceRolloutStates),
    startedAt: timestampSchema.nullable(),
    completedAt: timestampSchema.nullable(),
    errorMessage: z.string().nullable(),
    attempt: z.number().int(),
    wave: z.number().int().nullable().describe("The wave a staged rollout placed it in"),
    nextAttemptAt: timestampSchema.nullable().describe("A queued retry is released no earlier than this"),
  })
  .meta({ id: "RolloutDevice" });

export const rolloutDevicesOutput = z.object({
  rolloutId: uuidSchema,
  devices: z.array(rolloutDeviceSchema),
  page: z.number().int(),
  pageSize: z.number().int(),
  totalCount: z.number().int(),
  totalPages: z.number().int(),
});

export type RolloutDto = z.infer<typeof rolloutSchema>;
export type DeviceSort = (typeof deviceSortValues)[number];

export const rolloutHistoryOutput = z.object({
  rolloutId: uuidSchema,
  bucketSeconds: z.number().int().describe("The time between two points"),
  points: z.array(
    z.object({
      at: timestampSchema,
      succeeded: z.number().int().describe("Devices that had succeeded by then"),
      failed: z.number().int().describe("Devices that had failed by then"),
    }),
  ),
});

export const planRolloutOutput = z.object({
  rolloutId: uuidSchema.describe("Create with this rolloutId to get exactly these waves"),
  deviceCount: z.number().int(),
  waves: z.array(
    z.object({
      index: z.number().int(),
      name: z.string().nullable(),
      size: z.number().int(),
      deviceIds: z.array(z.string()).describe("In release order"),
    }),
  ),
});
