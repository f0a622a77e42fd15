export * from "./schema";
export { openDatabase, type DatabaseHandle, type DatabaseKind, type DatabaseOptions } from "./connect";
export { migrateToLatest, MigrationError } from "./migrations";
export { seedDemoFleet, isEmptyFleet } from "./demoSeed";
export { sql, type Kysely, type Transaction } from "kysely";
