import type { DatabaseHandle } from "@signalbeam/db";
import type { ServerProcess } from "./lib/serverProcess";

export interface BenchContext {
  smoke: boolean;
  /** Devices seeded (100,000 in a full run). */
  devices: number;
  /** Seconds per load run. */
  seconds: number;
  port: number;
  database: DatabaseHandle;
  databaseUrl: string | undefined;
  server: ServerProcess;
  adminToken: string;
  bundleId: string;
  /** A group of every seeded device. */
  groupId: string;
}

/** One line of the results table. */
export interface Figure {
  id: string;
  name: string;
  value: number;
  unit: string;
  p99Ms?: number;
  baseline?: { name: string; value: number; p99Ms?: number };
  ratio?: number;
  target: string;
  /** Whether the speed target was met. */
  met: boolean;
  /** Whether the run itself was right (no errors, exact counters…), whatever the speed. */
  correct: boolean;
  notes?: string;
}
