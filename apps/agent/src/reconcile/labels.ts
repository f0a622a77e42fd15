import { createHash } from "node:crypto";
import type { ContainerSpec, DesiredContainer, DesiredState } from "./types";

/** Every container the agent creates carries these labels; it touches no container without them. */
export const LABELS = {
  managed: "io.signalbeam.managed",
  device: "io.signalbeam.device",
  bundle: "io.signalbeam.bundle",
  version: "io.signalbeam.version",
  rollout: "io.signalbeam.rollout",
  container: "io.signalbeam.container",
  specHash: "io.signalbeam.spec-hash",
} as const;

/** JSON with sorted keys, so equal specs hash equally whatever order the server sent. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

const specHash = (deviceId: string, spec: ContainerSpec) =>
  createHash("sha256").update(canonical({ deviceId, spec })).digest("hex").slice(0, 12);

/** Engine container names allow [a-zA-Z0-9_.-]; device ids may also contain ':'. */
const safe = (text: string) => text.replace(/[^a-zA-Z0-9_.-]/g, "_");

export function desiredContainers(desired: DesiredState): DesiredContainer[] {
  return desired.containers.map((spec) => {
    const hash = specHash(desired.deviceId, spec);
    return {
      spec,
      specHash: hash,
      name: `sb-${safe(desired.deviceId)}-${safe(spec.name)}-${hash}`,
      labels: {
        [LABELS.managed]: "true",
        [LABELS.device]: desired.deviceId,
        [LABELS.bundle]: desired.bundleId ?? "",
        [LABELS.version]: desired.version ?? "",
        [LABELS.rollout]: desired.rolloutId ?? "",
        [LABELS.container]: spec.name,
        [LABELS.specHash]: hash,
      },
    };
  });
}

export const hostPortsOf = (spec: ContainerSpec) =>
  (spec.ports ?? []).filter((port) => port.hostPort !== undefined).map((port) => `${port.hostPort}/${port.protocol ?? "tcp"}`);
