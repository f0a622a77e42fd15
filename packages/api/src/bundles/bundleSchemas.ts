import { z } from "zod";
import { pageEnvelope, pageQuery } from "../shared/pagination";
import { nameSchema, semverSchema, storable, timestampSchema, uuidSchema } from "../shared/schemas";

export const containerSchema = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, "must be 1–63 characters: letters, digits, '_', '.' or '-'"),
    image: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[^\s]+$/, "must be an image reference without spaces"),
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a valid environment variable name"),
        storable(z.string().max(32_768)),
      )
      .optional(),
    command: z
      .array(storable(z.string().max(4096)))
      .max(256)
      .optional(),
    ports: z
      .array(
        z
          .object({
            containerPort: z.number().int().min(1).max(65535),
            hostPort: z.number().int().min(1).max(65535).optional(),
            protocol: z.enum(["tcp", "udp"]).optional(),
          })
          .strict(),
      )
      .max(64)
      .optional(),
    restartPolicy: z.enum(["no", "always", "on-failure", "unless-stopped"]).optional(),
  })
  .strict()
  .meta({ id: "ContainerSpec" });

const containersSchema = z
  .array(containerSchema)
  .min(1, "a version needs at least one container")
  .max(50)
  .superRefine((containers, ctx) => {
    const seen = new Set<string>();
    containers.forEach((container, index) => {
      if (seen.has(container.name))
        ctx.addIssue({ code: "custom", path: [index, "name"], message: `duplicate container name ${container.name}` });
      seen.add(container.name);
    });
  });

export const bundleSchema = z
  .object({
    id: uuidSchema,
    name: z.string(),
    description: z.string(),
    createdAt: timestampSchema,
    latestVersion: z.string().nullable(),
    versionCount: z.number().int(),
  })
  .meta({ id: "Bundle" });

export const createBundleInput = z
  .strictObject({ name: nameSchema, description: storable(z.string().max(2000)).optional() })
  .strict();
export const createBundleOutput = z.object({
  id: uuidSchema,
  name: z.string(),
  description: z.string(),
  createdAt: timestampSchema,
});

export const bundleIdInput = z.strictObject({ bundleId: uuidSchema });
export const listBundlesInput = z.strictObject({ ...pageQuery() });
export const listBundlesOutput = pageEnvelope(bundleSchema);

export const bundleVersionSchema = z
  .object({ bundleId: uuidSchema, version: z.string(), containers: z.array(containerSchema), createdAt: timestampSchema })
  .meta({ id: "BundleVersion" });

export const createVersionInput = z
  .object({ bundleId: uuidSchema, version: semverSchema, containers: containersSchema })
  .strict();
export const listVersionsInput = z.strictObject({ bundleId: uuidSchema, ...pageQuery() });
export const listVersionsOutput = pageEnvelope(bundleVersionSchema);
