import semver from "semver";
import { z } from "zod";

/** Field schemas shared by several domains. */

/**
 * Text PostgreSQL can store: text and jsonb columns refuse NUL (U+0000). Every free-text input goes
 * through this, so such a value is a 400 naming its field when it arrives — never a failed write
 * (which, in a group-committed batch of agent reports, would otherwise take its neighbours along).
 */
export const storable = (schema: z.ZodString) =>
  schema.refine((value) => !value.includes("\u0000"), "must not contain NUL (\\u0000) characters");

export const deviceIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
    "must be 1–128 characters: letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
  )
  .describe("Device id, e.g. device-001");

export const uuidSchema = z.uuid({ message: "must be a UUID" });

export const semverSchema = z
  .string()
  .max(128)
  .refine((value) => semver.valid(value) === value, "must be a semantic version such as 1.2.0")
  .describe("Semantic version, e.g. 1.2.0");

export const timestampSchema = z.iso.datetime().describe("ISO-8601 UTC timestamp");

export const iso = (date: Date) => date.toISOString();
export const isoOrNull = (date: Date | null) => (date ? date.toISOString() : null);

export const nameSchema = storable(z.string().trim().min(1, "must not be empty").max(200));

export const labelsSchema = z
  .record(storable(z.string().min(1).max(63)), storable(z.string().max(255)))
  .refine((labels) => Object.keys(labels).length <= 64, "at most 64 labels")
  .describe("Free-form string labels");
