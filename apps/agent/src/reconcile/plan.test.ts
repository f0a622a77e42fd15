import { describe, expect, it } from "vitest";
import { desiredContainers } from "./labels";
import { planUpdate } from "./plan";
import type { ContainerSpec, DesiredState, ManagedContainer, Step } from "./types";

const desiredState = (version: string, containers: ContainerSpec[], rolloutId: string | null = "r-1"): DesiredState => ({
  deviceId: "dev-1",
  rolloutId,
  bundleId: "b-1",
  version,
  containers,
  attempt: 1,
});

const app = (tag: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: "app",
  image: `local/app:${tag}`,
  ...extra,
});
const sidecar = (tag: string): ContainerSpec => ({ name: "sidecar", image: `local/sidecar:${tag}` });

/** A managed container as the engine would list it, for the given release's spec. */
function running(version: string, spec: ContainerSpec, state: Partial<ManagedContainer> = {}): ManagedContainer {
  const [wanted] = desiredContainers(desiredState(version, [spec]));
  return {
    id: `id-${wanted!.name}`,
    name: wanted!.name,
    specName: spec.name,
    specHash: wanted!.specHash,
    bundleId: "b-1",
    version,
    running: true,
    hostPorts: (spec.ports ?? []).filter((port) => port.hostPort).map((port) => `${port.hostPort}/${port.protocol ?? "tcp"}`),
    ...state,
  };
}

const kinds = (steps: Step[]) =>
  steps.map((step) => {
    switch (step.kind) {
      case "report":
        return `report ${step.status}`;
      case "pull":
        return `pull ${step.image}`;
      case "create":
        return `create ${step.container.spec.image}`;
      case "start":
      case "await-running":
        return `${step.kind} ${step.name.replace(/^sb-dev-1-/, "").replace(/-[0-9a-f]{12}$/, "")}`;
      case "stop":
      case "remove":
        return `${step.kind} ${step.container.id.replace(/-[0-9a-f]{12}$/, "")}`;
    }
  });

describe("planUpdate", () => {
  it.each([
    {
      name: "first deploy pulls, starts, waits, reports",
      current: [],
      desired: desiredState("1.0.0", [app("1")]),
      present: [],
      expected: [
        "report updating",
        "pull local/app:1",
        "create local/app:1",
        "start app",
        "await-running app",
        "report succeeded",
      ],
    },
    {
      name: "images already present are not pulled",
      current: [],
      desired: desiredState("1.0.0", [app("1")]),
      present: ["local/app:1"],
      expected: ["report updating", "create local/app:1", "start app", "await-running app", "report succeeded"],
    },
    {
      name: "upgrade starts the new before removing the old",
      current: [running("1.0.0", app("1"))],
      desired: desiredState("2.0.0", [app("2")]),
      present: [],
      expected: [
        "report updating",
        "pull local/app:2",
        "create local/app:2",
        "start app",
        "await-running app",
        "remove id-sb-dev-1-app",
        "report succeeded",
      ],
    },
    {
      name: "an unchanged container is kept while its neighbour is replaced",
      current: [running("1.0.0", app("1")), running("1.0.0", sidecar("1"))],
      desired: desiredState("1.1.0", [app("1"), sidecar("2")]),
      present: ["local/sidecar:2"],
      // app's spec is the same, so its hash is too: only the sidecar changes.
      expected: [
        "report updating",
        "create local/sidecar:2",
        "start sidecar",
        "await-running sidecar",
        "remove id-sb-dev-1-sidecar",
        "report succeeded",
      ],
    },
    {
      name: "an old container holding a needed host port is stopped first",
      current: [running("1.0.0", app("1", { ports: [{ containerPort: 80, hostPort: 8080 }] }))],
      desired: desiredState("2.0.0", [app("2", { ports: [{ containerPort: 80, hostPort: 8080 }] })]),
      present: ["local/app:2"],
      expected: [
        "report updating",
        "stop id-sb-dev-1-app",
        "create local/app:2",
        "start app",
        "await-running app",
        "remove id-sb-dev-1-app",
        "report succeeded",
      ],
    },
    {
      name: "a stopped copy of the wanted container is cleared and recreated",
      current: [running("1.0.0", app("1"), { running: false })],
      desired: desiredState("1.0.0", [app("1")]),
      present: ["local/app:1"],
      expected: [
        "report updating",
        "remove id-sb-dev-1-app",
        "create local/app:1",
        "start app",
        "await-running app",
        "report succeeded",
      ],
    },
    {
      name: "nothing to report when the desired state has no rollout",
      current: [],
      desired: desiredState("1.0.0", [app("1")], null),
      present: ["local/app:1"],
      expected: ["create local/app:1", "start app", "await-running app"],
    },
    {
      name: "already in the desired state: nothing to do",
      current: [running("1.0.0", app("1"))],
      desired: desiredState("1.0.0", [app("1")]),
      present: ["local/app:1"],
      expected: [],
    },
    {
      name: "in the desired state with a leftover: only the leftover goes",
      current: [running("1.0.0", app("1")), running("0.9.0", sidecar("0"))],
      desired: desiredState("1.0.0", [app("1")]),
      present: [],
      expected: ["remove id-sb-dev-1-sidecar"],
    },
  ])("$name", ({ current, desired, present, expected }) => {
    const steps = planUpdate({
      current,
      desired: desiredContainers(desired),
      presentImages: new Set(present),
      reportTo: desired.rolloutId !== null,
    });
    expect(kinds(steps)).toEqual(expected);
  });

  it("pulls an image shared by two containers once", () => {
    const desired = desiredState("1.0.0", [app("1"), { name: "worker", image: "local/app:1", command: ["work"] }]);
    const steps = planUpdate({ current: [], desired: desiredContainers(desired), presentImages: new Set(), reportTo: true });
    expect(steps.filter((step) => step.kind === "pull")).toHaveLength(1);
  });
});

describe("desiredContainers", () => {
  it("hashes a spec the same whatever its key order", () => {
    const [a] = desiredContainers(desiredState("1", [{ name: "app", image: "x", env: { A: "1", B: "2" } }]));
    const [b] = desiredContainers(desiredState("1", [{ env: { B: "2", A: "1" }, image: "x", name: "app" }]));
    expect(a!.specHash).toBe(b!.specHash);
  });

  it("labels every container so the agent can find it and nothing else", () => {
    const [container] = desiredContainers(desiredState("1.2.0", [app("1")]));
    expect(container!.labels).toEqual({
      "io.signalbeam.managed": "true",
      "io.signalbeam.device": "dev-1",
      "io.signalbeam.bundle": "b-1",
      "io.signalbeam.version": "1.2.0",
      "io.signalbeam.rollout": "r-1",
      "io.signalbeam.container": "app",
      "io.signalbeam.spec-hash": container!.specHash,
    });
    expect(container!.name).toMatch(/^sb-dev-1-app-[0-9a-f]{12}$/);
  });
});
