import type { components } from "../api/schema";

export type ContainerSpec = components["schemas"]["ContainerSpec"];
export type DesiredState = components["schemas"]["DesiredState"];

/** What the agent wants a container to be: the spec plus its identity on this host. */
export interface DesiredContainer {
  spec: ContainerSpec;
  /** Engine-level container name, unique per device and spec version. */
  name: string;
  /** Identifies the exact spec (bundle, version, container) so unchanged containers are kept. */
  specHash: string;
  labels: Record<string, string>;
}

/** A container this agent created (found by its io.signalbeam.* labels). */
export interface ManagedContainer {
  id: string;
  name: string;
  specName: string;
  specHash: string;
  bundleId: string | null;
  version: string | null;
  running: boolean;
  hostPorts: string[];
}

export type Step =
  | { kind: "report"; status: "updating" | "succeeded" }
  | { kind: "pull"; image: string }
  | { kind: "stop"; container: { id: string; name: string }; reason: string }
  | { kind: "create"; container: DesiredContainer }
  | { kind: "start"; name: string }
  | { kind: "await-running"; name: string; specName: string }
  | { kind: "remove"; container: { id: string; name: string }; reason: string };
