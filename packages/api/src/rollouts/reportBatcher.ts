import type { RolloutStatusRow } from "@signalbeam/db";
import type { WriteDeps } from "../deps";
import { isDatabaseUnavailable } from "../shared/errors";
import { applyReports, type DeviceReport } from "./reportDeviceStatus";

/**
 * Group commit for agent reports. Every report moves its rollout's counters, so every report
 * needs that rollout's row lock; taken once per report, the lock (held through a commit) caps a
 * rollout at a few hundred reports a second however many devices it has. Here, reports that
 * arrive while a rollout's batch is being written wait for the next batch, and each batch takes
 * the lock once: an idle server writes a report at once (a batch of one), a busy one writes
 * hundreds per transaction. Every caller still gets its own answer — its row, 404 or 409 —
 * exactly as if its report had been applied alone, in arrival order.
 *
 * Reports are independent: if a batch cannot be written (one report holds something the database
 * refuses), its reports are applied again one by one, so only that one fails. A database that is
 * unreachable fails them all at once instead — one at a time would only fail more slowly.
 */
export interface ReportBatcher {
  submit(report: DeviceReport): Promise<RolloutStatusRow>;
}

interface Waiting {
  report: DeviceReport;
  resolve(row: RolloutStatusRow): void;
  reject(error: unknown): void;
}

export function createReportBatcher(deps: WriteDeps, maxBatch = 1_000): ReportBatcher {
  const queues = new Map<string, Waiting[]>();

  async function write(rolloutId: string, batch: Waiting[]) {
    const outcomes = await applyReports(
      deps,
      rolloutId,
      batch.map((waiting) => waiting.report),
    );
    outcomes.forEach((outcome, index) => (outcome.ok ? batch[index]!.resolve(outcome.row) : batch[index]!.reject(outcome.error)));
  }

  async function drain(rolloutId: string, queue: Waiting[]) {
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      try {
        await write(rolloutId, batch);
      } catch (error) {
        if (batch.length === 1 || isDatabaseUnavailable(error)) {
          for (const waiting of batch) waiting.reject(error);
          continue;
        }
        for (const waiting of batch) await write(rolloutId, [waiting]).catch((alone: unknown) => waiting.reject(alone));
      }
    }
    queues.delete(rolloutId);
  }

  return {
    submit(report) {
      return new Promise<RolloutStatusRow>((resolve, reject) => {
        const queue = queues.get(report.rolloutId);
        if (queue) return void queue.push({ report, resolve, reject });
        const fresh: Waiting[] = [{ report, resolve, reject }];
        queues.set(report.rolloutId, fresh);
        void drain(report.rolloutId, fresh);
      });
    },
  };
}
