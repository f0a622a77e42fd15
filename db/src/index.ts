export * from "./schema";
export { DatabaseUnavailableError, openDatabase, type DatabaseHandle, type DatabaseKind, type DatabaseOptions } from "./connect";
export { migrateToLatest, migrateUpTo, MigrationError } from "./migrations";
export { sql, type Kysely, type Transaction } from "kysely";
