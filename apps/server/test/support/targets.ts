import { type Database, type Kysely, openDatabase } from "@signalbeam/db";
import { startServer } from "../../src/server";
import { testDatabases } from "./databases";
import { loadBalancerAvailable } from "./loadBalancer";
import { startReplicaSet } from "./replicas";

/** A running product to test over HTTP, with a view of its database for ground truth. */
export interface ServedTarget {
  url: string;
  /** The bootstrap admin's API key. */
  token: string;
  db: Kysely<Database>;
  close(): Promise<void>;
}

export interface TestTarget {
  name: string;
  serve(options: { demo: boolean }): Promise<ServedTarget>;
}

/** One server in this process, on each test database. */
const inProcess: TestTarget[] = testDatabases.map((database) => ({
  name: database.name,
  async serve({ demo }) {
    const created = await database.create();
    const server = await startServer({ databaseUrl: created.url, dataDir: created.dataDir, demo });
    return {
      url: server.url,
      token: server.bootstrap!.generatedToken!,
      db: server.database.db,
      close: async () => {
        await server.close();
        await created.drop();
      },
    };
  },
}));

/** Three server processes on one PostgreSQL database behind HAProxy: what a scaled-out deployment answers. */
const balanced: TestTarget = {
  name: "postgres-balanced",
  async serve({ demo }) {
    const created = await testDatabases.find((database) => database.name === "postgres")!.create();
    const set = await startReplicaSet({ databaseUrl: created.url!, count: 3, demo });
    const handle = await openDatabase({ databaseUrl: created.url, maxConnections: 2 });
    return {
      url: set.url,
      token: set.adminToken,
      db: handle.db,
      close: async () => {
        await set.close();
        await handle.close();
        await created.drop();
      },
    };
  },
};

const postgresReady = testDatabases.some((database) => database.name === "postgres");

/** Where the REST contract runs: every database in process, and three replicas behind the balancer. */
export const restTargets: TestTarget[] = [...inProcess, ...(postgresReady && loadBalancerAvailable ? [balanced] : [])];
