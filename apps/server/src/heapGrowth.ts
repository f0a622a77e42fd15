import v8 from "node:v8";

/**
 * How far V8 lets the heap grow past what survived the last full collection before collecting
 * again. Its default adapts up to 4× when allocation is fast — which is exactly what a server
 * answering thousands of agents is — so a process whose live heap is ~100 MB climbs to 800 MB–1 GB
 * of RSS made of garbage (the benchmark's B5, 10,000 agents). The default here, 50 %, keeps B5's
 * peak near 340 MB (100 %: 380–430 MB). Much lower costs latency: at 20 % a full collection ran
 * every ~300 ms under operator reads and their p99 at 8 connections went from 11 to 17 ms, for
 * more CPU per update too. Unlike a fixed `--max-old-space-size`, this still lets the heap grow
 * with a larger fleet instead of crashing. A GC heuristic, read at each collection, so setting it
 * once the process runs is safe. `SIGNALBEAM_HEAP_GROWTH_PERCENT` sets it (0 leaves V8's own).
 */
export function limitHeapGrowth(percent: number): void {
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
