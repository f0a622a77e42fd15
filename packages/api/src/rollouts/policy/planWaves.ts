import type { RolloutPolicy } from "@signalbeam/db";

/** Where a device goes in a staged rollout: its wave, and its place in the release order. */
export interface Placement {
  deviceId: string;
  wave: number;
  order: number;
}

export type WavePlan =
  | { ok: true; sizes: number[]; placements: Placement[] }
  /** `path` names the policy field at fault, e.g. ["policy", "waves", 1]. */
  | { ok: false; path: (string | number)[]; message: string };

/**
 * FNV-1a: a fast, stable 32-bit hash, so a device's place in a rollout's order is the same on
 * every replica and every run (a cryptographic hash would cost 10× more for 100,000 devices and
 * buy nothing here: the order only needs to be deterministic and well spread).
 */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const describeWave = (wave: RolloutPolicy["waves"][number], index: number) =>
  `wave ${index + 1}${wave.name ? ` (${wave.name})` : ""}`;

/**
 * Places every device in a wave (docs/DESIGN.md): devices matching a wave's selector come first in
 * that wave, then the rest in the order of a hash of (rolloutId, deviceId). Waves are cumulative:
 * wave k reaches `percent` % of the devices (rounded down) or `count` devices; a wave with only a
 * selector reaches its matching devices. The last wave reaches everyone. A wave left empty by
 * rounding is an error naming it, never a silently skipped step.
 *
 * `matching[k]`: the devices wave k's selector matches (empty when it has none).
 */
export function planWaves(
  rolloutId: string,
  deviceIds: readonly string[],
  waves: RolloutPolicy["waves"],
  matching: readonly ReadonlySet<string>[],
): WavePlan {
  const total = deviceIds.length;
  const hashed = deviceIds
    .map((deviceId) => ({ deviceId, hash: stableHash(`${rolloutId}:${deviceId}`) }))
    .sort((a, b) => a.hash - b.hash || (a.deviceId < b.deviceId ? -1 : 1))
    .map((entry) => entry.deviceId);
  // Devices a later wave's selector wants wait for that wave unless an earlier one runs out of others.
  const reserved = new Set<string>();
  matching.forEach((set) => set.forEach((id) => reserved.add(id)));

  const placed = new Set<string>();
  const placements: Placement[] = [];
  const sizes: number[] = [];
  const place = (deviceId: string, wave: number) => {
    placed.add(deviceId);
    placements.push({ deviceId, wave, order: placements.length });
  };

  for (let index = 0; index < waves.length; index++) {
    const wave = waves[index]!;
    const selected = hashed.filter((id) => matching[index]?.has(id) && !placed.has(id));
    const last = index === waves.length - 1;
    let reach: number;
    if (wave.percent !== undefined) reach = wave.percent === 100 ? total : Math.floor((wave.percent * total) / 100);
    else if (wave.count !== undefined) reach = Math.min(wave.count, total);
    else reach = placed.size + selected.length;
    if (last && reach < total)
      return {
        ok: false,
        path: ["policy", "waves", index, wave.count !== undefined ? "count" : "percent"],
        message: `the last wave must reach every target device (${total}), but it reaches ${reach}`,
      };
    if (reach <= placed.size)
      return {
        ok: false,
        path: ["policy", "waves", index],
        message:
          `${describeWave(wave, index)} would be empty with these ${total} target device(s): it reaches ${reach}, ` +
          `and the waves before it already reach ${placed.size}`,
      };
    const before = placed.size;
    for (const id of selected) if (placed.size < reach) place(id, index);
    for (const pass of [false, true]) {
      // First devices no later selector wants, then (only if needed) those too.
      for (const id of hashed) {
        if (placed.size >= reach) break;
        if (!placed.has(id) && reserved.has(id) === pass) place(id, index);
      }
    }
    sizes.push(placed.size - before);
  }
  return { ok: true, sizes, placements };
}
