import v8 from "node:v8";

/**
 * How far V8 lets the heap grow past what survived the last full collection before collecting
 * again. Its default adapts up to 4× when allocation is fast — which is exactly what a server
 * answering thousands of agents is — so a process whose live heap is ~150 MB climbs to ~1 GB of
 * RSS made of garbage (measured in the benchmark's B5: 773–954 MB peak RSS with 10,000 agents).
 * 100 % (at most twice the live heap) keeps that near 380 MB. Lower is not better: at 20 % a full
 * collection ran every ~300 ms under operator reads, and its pauses tripled their p99 (B4 at 8
 * connections, 17 → 11 ms), for ~35 MB less RSS and more CPU per update (B5: 2.6 vs 2.1 CPU s per
 * 1,000). Unlike a fixed `--max-old-space-size`, this still lets the heap grow with a larger fleet
 * instead of crashing. A GC heuristic, read at each collection, so setting it once the process
 * runs is safe. `SIGNALBEAM_HEAP_GROWTH_PERCENT` sets it (default 100; 0 leaves V8's own).
 */
export function limitHeapGrowth(percent: number): void {
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
