import type { RouterOutputs } from "@signalbeam/client";
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { CommandContext } from "./context";
import { EXIT } from "./errors";
import { colours } from "./output";
import type { FailOnState } from "./parse";

type Rollout = RouterOutputs["rollouts"]["byId"];
/** What a summary needs: the rollout as read, or as just created (which has no pausedReason). */
type RolloutView = Pick<Rollout, "id" | "status" | "progress" | "waves" | "currentWave" | "waitingFor" | "nextActionAt"> & {
  pausedReason?: string | null;
};

const FINAL = new Set(["completed", "failed", "cancelled"]);

/** What the rollout waits for, as a person would say it (null when nothing holds it back). */
export function waitingText(rollout: RolloutView, now: Date): string | null {
  if (rollout.status === "paused")
    return `paused: ${rollout.pausedReason ?? "by a manager"} — signalbeam rollouts resume ${rollout.id}`;
  if (!rollout.waitingFor) return null;
  const when = rollout.nextActionAt ? ` (${relative(new Date(rollout.nextActionAt), now)})` : "";
  const reasons: Record<string, string> = {
    schedule: "waiting for its start time",
    window: "waiting for a maintenance window",
    soak: "soaking before the next wave",
    approval: `waiting for approval — signalbeam rollouts advance ${rollout.id}`,
    gate: "waiting for the wave's gate",
    rate: "held by the rate limit",
    retry: "waiting to retry failed devices",
  };
  return `${reasons[rollout.waitingFor] ?? rollout.waitingFor}${when}`;
}

function relative(at: Date, now: Date): string {
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  if (seconds <= 0) return "now";
  if (seconds < 90) return `in ${seconds} s`;
  if (seconds < 5400) return `in ${Math.round(seconds / 60)} min`;
  return `at ${at.toISOString().replace(".000", "")}`;
}

/** One line for logs and non-terminal output: status, wave, counts, what it waits for. */
export function summaryLine(rollout: RolloutView, now: Date): string {
  const p = rollout.progress;
  const wave =
    rollout.waves.length > 0
      ? ` · wave ${rollout.currentWave === null ? 0 : rollout.currentWave + 1}/${rollout.waves.length}`
      : "";
  const counts = `${p.succeeded}/${p.total} succeeded, ${p.failed} failed, ${p.inProgress} updating, ${p.pending} pending, ${p.queued} queued`;
  const waiting = waitingText(rollout, now);
  return `${rollout.status}${wave} · ${counts}${waiting ? ` · ${waiting}` : ""}`;
}

/** How `watch` ends: when the rollout is over (or reaches a --fail-on state), with which exit code. */
export function watchOutcome(rollout: Rollout, failOn: readonly FailOnState[]): { done: boolean; exitCode: number } {
  if ((failOn as readonly string[]).includes(rollout.status)) return { done: true, exitCode: EXIT.rolloutFailed };
  if (FINAL.has(rollout.status)) return { done: true, exitCode: EXIT.ok };
  return { done: false, exitCode: EXIT.ok };
}

interface View {
  show(rollout: Rollout): void;
  stop(): void;
}

/** On a terminal: an overall bar, a bar per wave, and a status line, redrawn in place. */
function barsView(context: CommandContext): View {
  const c = colours(context.io);
  const multibar = new MultiBar(
    {
      stream: context.io.stdout as NodeJS.WriteStream,
      format: "{label} {bar} {value}/{total} {detail}",
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      forceRedraw: true,
      noTTYOutput: false,
      // A line longer than the terminal must not wrap: the redraw moves up one line per bar.
      linewrap: false,
    },
    Presets.shades_classic,
  );
  let overall: SingleBar | undefined;
  const waves: SingleBar[] = [];
  let status: SingleBar | undefined;
  let stopped = false;
  return {
    show(rollout) {
      const p = rollout.progress;
      const detail = `${c.green(`${p.succeeded} ok`)} ${p.failed ? c.red(`${p.failed} failed`) : "0 failed"} ${p.inProgress} updating`;
      overall ??= multibar.create(p.total, 0, { label: "overall ".padEnd(12), detail });
      overall.setTotal(p.total);
      overall.update(p.succeeded + p.failed + p.cancelled, { detail });
      rollout.waves.forEach((wave, index) => {
        const label = `${`wave ${index + 1}`}${wave.name ? ` ${wave.name}` : ""}`.slice(0, 11).padEnd(12);
        const state = wave.passedAt ? "passed" : wave.startedAt ? "running" : "waiting";
        const done = wave.progress.succeeded + wave.progress.failed + wave.progress.cancelled;
        const waveDetail = `${state}, ${wave.progress.succeeded} ok, ${wave.progress.failed} failed`;
        if (!waves[index]) waves[index] = multibar.create(Math.max(wave.size, 1), done, { label, detail: waveDetail });
        waves[index]!.update(done, { detail: waveDetail });
      });
      const line = `${c.bold(rollout.status)}${waitingText(rollout, context.io.now()) ? ` — ${waitingText(rollout, context.io.now())}` : ""}`;
      status ??= multibar.create(1, 0, { label: "", detail: line }, { format: "{detail}" });
      status.update(0, { detail: line.slice(0, Math.max(20, (context.io.stdout.columns ?? 120) - 1)) });
    },
    stop() {
      // Once: a second stop redraws the bars over whatever was written below them since.
      if (stopped) return;
      stopped = true;
      multibar.stop();
    },
  };
}

/** Elsewhere (CI logs, pipes): a timestamped line each time the summary changes. */
function linesView(context: CommandContext): View {
  let last = "";
  return {
    show(rollout) {
      const line = summaryLine(rollout, context.io.now());
      if (line === last) return;
      last = line;
      context.io.stdout.write(`${context.io.now().toISOString().slice(11, 19)} ${line}\n`);
    },
    stop() {},
  };
}

/** With --json: the rollout as the API returns it, one JSON document per line, each time it changes. */
function jsonView(context: CommandContext): View {
  let last = "";
  return {
    show(rollout) {
      const text = JSON.stringify(rollout);
      if (text !== last) context.io.stdout.write(`${text}\n`);
      last = text;
    },
    stop() {},
  };
}

/**
 * Follows a rollout from the server's change subscription (server-sent events; no polling): reads
 * the rollout when told it changed, at most one read in flight, until it ends or reaches a
 * --fail-on state. Ctrl-C (the signal) stops watching; the rollout carries on.
 */
export async function watchRollout(
  context: CommandContext,
  rolloutId: string,
  failOn: readonly FailOnState[],
  signal: AbortSignal,
): Promise<number> {
  const client = context.client();
  const read = () => client.rollouts.byId.query({ rolloutId, targets: "summary" });
  const view = context.json ? jsonView(context) : context.io.stdout.isTTY ? barsView(context) : linesView(context);
  let rollout = await read();
  view.show(rollout);
  let outcome = watchOutcome(rollout, failOn);
  if (outcome.done) {
    view.stop();
    if (context.json) return outcome.exitCode;
    return finish(context, rollout, outcome.exitCode);
  }

  return new Promise<number>((resolve, reject) => {
    let reading = false;
    let again = false;
    let ended = false;
    const end = (code: number) => {
      if (ended) return;
      ended = true;
      subscription.unsubscribe();
      view.stop();
      signal.removeEventListener("abort", onAbort);
      resolve(code);
    };
    const refresh = async () => {
      if (reading) return void (again = true);
      reading = true;
      try {
        do {
          again = false;
          rollout = await read();
          if (ended) return;
          view.show(rollout);
          outcome = watchOutcome(rollout, failOn);
          if (outcome.done) return end(context.json ? outcome.exitCode : finish(context, rollout, outcome.exitCode));
        } while (again);
      } catch (error) {
        if (!ended) {
          ended = true;
          subscription.unsubscribe();
          view.stop();
          reject(error);
        }
      } finally {
        reading = false;
      }
    };
    const subscription = client.rollouts.onChange.subscribe(
      { rolloutId },
      {
        // Read once connected too: a change between the first read and the subscription is not lost.
        onStarted: () => void refresh(),
        onData: () => void refresh(),
        onError: (error) => {
          if (ended) return;
          ended = true;
          view.stop();
          reject(error);
        },
      },
    );
    const onAbort = () => {
      view.stop();
      if (!context.json) context.io.stderr.write(`stopped watching; rollout ${rolloutId} carries on\n`);
      end(130);
    };
    signal.addEventListener("abort", onAbort);
  });
}

function finish(context: CommandContext, rollout: Rollout, exitCode: number): number {
  const c = colours(context.io);
  const verdict = exitCode === EXIT.ok ? c.green(rollout.status) : c.red(rollout.status);
  context.io.stdout.write(`rollout ${rollout.id} ${verdict}: ${summaryLine(rollout, context.io.now())}\n`);
  return exitCode;
}
