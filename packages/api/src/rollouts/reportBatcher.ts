import type { RolloutStatusRow } from "@signalbeam/db";
import type { Context } from "../trpc";
import { applyReports, type DeviceReport } from "./reportDeviceStatus";

/**
 * Group commit for agent reports. Every report moves its rollout's counters, so every report
 * needs that rollout's row lock; taken once per report, the lock (held through a commit) caps a
 * rollout at a few hundred reports a second however many devices it has. Here, reports that
 * arrive while a rollout's batch is being written wait for the next batch, and each batch takes
 * the lock once: an idle server writes a report at once (a batch of one), a busy one writes
 * hundreds per transaction. Every caller still gets its own answer — its row, 404 or 409 —
 * exactly as if its report had been applied alone, in arrival order.
 */
export interface ReportBatcher {
  submit(report: DeviceReport): Promise<RolloutStatusRow>;
}

interface Waiting {
  report: DeviceReport;
  resolve(row: RolloutStatusRow): void;
  reject(error: unknown): void;
}

export function createReportBatcher(ctx: Pick<Context, "db" | "clock">, maxBatch = 1_000): ReportBatcher {
  const queues = new Map<string, Waiting[]>();

  async function drain(rolloutId: string, queue: Waiting[]) {
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      try {
        const outcomes = await applyReports(
          ctx,
          rolloutId,
          batch.map((waiting) => waiting.report),
        );
        outcomes.forEach((outcome, index) =>
          outcome.ok ? batch[index]!.resolve(outcome.row) : batch[index]!.reject(outcome.error),
        );
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
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
