import { type Kysely, type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from "kysely";
import * as initial from "../migrations/2026-11-26_0001_initial";
import * as access from "../migrations/2026-11-26_0002_access";
import * as statusDeviceNames from "../migrations/2026-11-27_0003_status_device_names";
import * as rolloutTargetCount from "../migrations/2026-12-02_0004_rollout_target_count";
import * as progressiveDelivery from "../migrations/2026-12-02_0005_progressive_delivery";
import * as integrations from "../migrations/2026-12-02_0006_integrations";
import * as loginAttempts from "../migrations/2026-12-02_0007_login_attempts";

/**
 * Migrations are listed here rather than discovered on disk so that they run the same from
 * TypeScript source, a bundle, or a test runner. Keys sort by date prefix.
 */
const migrations: Record<string, Migration> = {
  "2026-11-26_0001_initial": initial,
  "2026-11-26_0002_access": access,
  "2026-11-27_0003_status_device_names": statusDeviceNames,
  "2026-12-02_0004_rollout_target_count": rolloutTargetCount,
  "2026-12-02_0005_progressive_delivery": progressiveDelivery,
  "2026-12-02_0006_integrations": integrations,
  "2026-12-02_0007_login_attempts": loginAttempts,
};

const staticProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly results: MigrationResultSet["results"],
  ) {
    super(message);
    this.name = "MigrationError";
  }
}

/** Brings the schema to the latest migration; throws (and the caller exits non-zero) on failure. */
export const migrateToLatest = (db: Kysely<any>): Promise<string[]> => migrate(db, (migrator) => migrator.migrateToLatest());

/** Brings the schema up to the named migration only: tests of a later migration start from an older schema. */
export const migrateUpTo = (db: Kysely<any>, name: string): Promise<string[]> =>
  migrate(db, (migrator) => migrator.migrateTo(name));

async function migrate(db: Kysely<any>, step: (migrator: Migrator) => Promise<MigrationResultSet>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: staticProvider });
  const { error, results } = await step(migrator);
  if (error) {
    const failed = results?.find((result) => result.status === "Error");
    throw new MigrationError(
      `migration ${failed?.migrationName ?? "(unknown)"} failed: ${error instanceof Error ? error.message : String(error)}`,
      results,
    );
  }
  return (results ?? []).filter((result) => result.status === "Success").map((result) => result.migrationName);
}
