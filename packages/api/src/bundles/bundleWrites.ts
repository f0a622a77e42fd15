import type { Database, Kysely } from "@signalbeam/db";
import type { z } from "zod";
import type { Deps } from "../deps";
import { DomainError, notFound } from "../shared/errors";
import type { createBundleInput, createVersionInput } from "./bundleSchemas";

export type BundleRow = { id: string; name: string; description: string; created_at: Date };

export async function assertBundleExists(db: Kysely<Database>, bundleId: string): Promise<BundleRow> {
  const row = await db.selectFrom("bundles").selectAll().where("id", "=", bundleId).executeTakeFirst();
  if (!row) throw notFound("bundle", bundleId);
  return row;
}

/** A new bundle; names are unique. `id` is chosen by the caller only for the demo fleet's documented bundle. */
export async function createBundle(deps: Pick<Deps, "db" | "clock">, input: z.infer<typeof createBundleInput>, id?: string) {
  const row = await deps.db
    .insertInto("bundles")
    .values({ ...(id ? { id } : {}), name: input.name, description: input.description ?? "", created_at: deps.clock() })
    .onConflict((conflict) => conflict.column("name").doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new DomainError("CONFLICT", `name: a bundle named "${input.name}" already exists`, { field: "name" });
  return row;
}

/** Publishes a version of a bundle; a version is unique per bundle and never changes afterwards. */
export async function publishBundleVersion(deps: Pick<Deps, "db" | "clock">, input: z.infer<typeof createVersionInput>) {
  await assertBundleExists(deps.db, input.bundleId);
  const row = await deps.db
    .insertInto("bundle_versions")
    .values({
      bundle_id: input.bundleId,
      version: input.version,
      containers: JSON.stringify(input.containers),
      created_at: deps.clock(),
    })
    .onConflict((conflict) => conflict.columns(["bundle_id", "version"]).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row)
    throw new DomainError("CONFLICT", `version: bundle ${input.bundleId} already has version ${input.version}`, {
      field: "version",
    });
  return row;
}
