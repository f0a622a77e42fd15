import type { Database, Kysely } from "@signalbeam/db";
import type { TRPCRouterRecord } from "@trpc/server";
import semver from "semver";
import { assertBundleExists, type BundleRow, createBundle, publishBundleVersion } from "./bundleWrites";
import { pageOffset, toPage } from "../shared/pagination";
import { iso } from "../shared/schemas";
import { operatorProcedure, viewerProcedure } from "../trpc";
import {
  bundleIdInput,
  bundleSchema,
  bundleVersionSchema,
  createBundleInput,
  createBundleOutput,
  createVersionInput,
  listBundlesInput,
  listBundlesOutput,
  listVersionsInput,
  listVersionsOutput,
} from "./bundleSchemas";

const tags = ["bundles"];

/** Newest semantic version first (1.10.0 before 1.9.0, which string order gets wrong). */
const bySemverDescending = (a: string, b: string) => semver.rcompare(a, b);

async function versionsByBundle(db: Kysely<Database>, bundleIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (bundleIds.length === 0) return map;
  const rows = await db
    .selectFrom("bundle_versions")
    .select(["bundle_id", "version"])
    .where("bundle_id", "in", bundleIds)
    .execute();
  for (const row of rows) map.set(row.bundle_id, [...(map.get(row.bundle_id) ?? []), row.version]);
  for (const versions of map.values()) versions.sort(bySemverDescending);
  return map;
}

const toBundleDto = (row: BundleRow, versions: string[] = []) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  createdAt: iso(row.created_at),
  latestVersion: versions[0] ?? null,
  versionCount: versions.length,
});

export const bundleRouter = {
  create: operatorProcedure
    .meta({ openapi: { method: "POST", path: "/bundles", tags, summary: "Create a bundle" }, successStatus: 201 })
    .input(createBundleInput)
    .output(createBundleOutput)
    .mutation(async ({ ctx, input }) => {
      const row = await createBundle(ctx, input);
      return { id: row.id, name: row.name, description: row.description, createdAt: iso(row.created_at) };
    }),

  list: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/bundles", tags, summary: "List bundles" } })
    .input(listBundlesInput)
    .output(listBundlesOutput)
    .query(async ({ ctx, input }) => {
      const [rows, count] = await Promise.all([
        ctx.db.selectFrom("bundles").selectAll().orderBy("name").limit(input.pageSize).offset(pageOffset(input)).execute(),
        ctx.db
          .selectFrom("bundles")
          .select((eb) => eb.fn.countAll<number>().as("count"))
          .executeTakeFirstOrThrow(),
      ]);
      const versions = await versionsByBundle(
        ctx.db,
        rows.map((row) => row.id),
      );
      return toPage(
        rows.map((row) => toBundleDto(row, versions.get(row.id))),
        input,
        Number(count.count),
      );
    }),

  byId: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/bundles/{bundleId}", tags, summary: "Get a bundle" } })
    .input(bundleIdInput)
    .output(bundleSchema)
    .query(async ({ ctx, input }) => {
      const row = await assertBundleExists(ctx.db, input.bundleId);
      return toBundleDto(row, (await versionsByBundle(ctx.db, [row.id])).get(row.id));
    }),

  createVersion: operatorProcedure
    .meta({
      openapi: { method: "POST", path: "/bundles/{bundleId}/versions", tags, summary: "Publish a bundle version" },
      successStatus: 201,
    })
    .input(createVersionInput)
    .output(bundleVersionSchema)
    .mutation(async ({ ctx, input }) => {
      const row = await publishBundleVersion(ctx, input);
      return { bundleId: row.bundle_id, version: row.version, containers: row.containers, createdAt: iso(row.created_at) };
    }),

  versions: viewerProcedure
    .meta({
      openapi: { method: "GET", path: "/bundles/{bundleId}/versions", tags, summary: "List a bundle's versions, newest first" },
    })
    .input(listVersionsInput)
    .output(listVersionsOutput)
    .query(async ({ ctx, input }) => {
      await assertBundleExists(ctx.db, input.bundleId);
      // A bundle has tens of versions, not millions: sort by semver here, then page.
      const rows = await ctx.db.selectFrom("bundle_versions").selectAll().where("bundle_id", "=", input.bundleId).execute();
      rows.sort((a, b) => bySemverDescending(a.version, b.version));
      const offset = pageOffset(input);
      return toPage(
        rows.slice(offset, offset + input.pageSize).map((row) => ({
          bundleId: row.bundle_id,
          version: row.version,
          containers: row.containers,
          createdAt: iso(row.created_at),
        })),
        input,
        rows.length,
      );
    }),
} satisfies TRPCRouterRecord;
