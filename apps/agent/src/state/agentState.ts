import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { RolloutOutcome } from "../reconcile/decide";

/** What survives an agent restart, kept as JSON in SIGNALBEAM_STATE_DIR. */
export interface AgentState {
  /** What the agent last heard back about each rollout it worked on (most recent first). */
  outcomes: RolloutOutcome[];
  /** An update that was running when the agent stopped: finished or reported on the next start. */
  inFlight: { rolloutId: string | null; attempt: number | null; version: string | null; stoppedContainers: string[] } | null;
}

const emptyState = (): AgentState => ({ outcomes: [], inFlight: null });

const MAX_OUTCOMES = 50;

export function recordOutcome(state: AgentState, outcome: RolloutOutcome): AgentState {
  const others = state.outcomes.filter((known) => known.rolloutId !== outcome.rolloutId);
  return { ...state, outcomes: [outcome, ...others].slice(0, MAX_OUTCOMES) };
}

export interface StateStore {
  load(): Promise<AgentState>;
  save(state: AgentState): Promise<void>;
}

/** A JSON file written atomically (temp file + rename), so a crash never leaves half a state. */
export function fileStateStore(directory: string): StateStore {
  const file = path.join(directory, "agent-state.json");
  return {
    async load() {
      try {
        const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<AgentState>;
        return { outcomes: Array.isArray(parsed.outcomes) ? parsed.outcomes : [], inFlight: parsed.inFlight ?? null };
      } catch (error) {
        if ((error as { code?: string }).code === "ENOENT") return emptyState();
        throw new Error(`cannot read agent state ${file}: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
    },
    async save(state) {
      await mkdir(directory, { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(state, null, 2));
      await rename(temporary, file);
    },
  };
}

/** For simulated agents: state lives as long as the process. */
export function memoryStateStore(initial: AgentState = emptyState()): StateStore {
  let state = initial;
  return {
    load: async () => state,
    save: async (next) => {
      state = next;
    },
  };
}
