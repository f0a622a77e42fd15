import type { ContainerSpec, Database, Kysely } from "@signalbeam/db";
import { SYSTEM_ACTOR } from "../audit/auditLog";
import { createBundle, publishBundleVersion } from "../bundles/bundleWrites";
import type { WriteDeps } from "../deps";
import { registerDevice } from "../devices/deviceCredentials";
import { createGroup } from "../groups/groupWrites";
import { cancelRollout } from "../rollouts/cancelRollout";
import { createRollout } from "../rollouts/createRollout";
import { reportDeviceStatus } from "../rollouts/reportDeviceStatus";

/**
 * The demo fleet a new user sees on first start: three bundles with versions, 25 devices, two
 * groups, and three past rollouts (completed, failed, cancelled). Written through the same domain
 * functions the API calls — registration, rollout creation, agent reports, cancel — on a clock
 * that walks through the past, so the demo can never show something the rules would not produce.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface DemoBundle {
  /** Fixed for the bundle the seed document's curl walkthrough names, so it works as written. */
  id?: string;
  name: string;
  description: string;
  versions: { version: string; containers: ContainerSpec[] }[];
}

const telemetry = (tag: string): ContainerSpec[] => [
  {
    name: "collector",
    image: `signalbeam/telemetry-collector:${tag}`,
    env: { SAMPLE_INTERVAL: "5s" },
    restartPolicy: "unless-stopped",
  },
  {
    name: "forwarder",
    image: `signalbeam/mqtt-forwarder:${tag}`,
    ports: [{ containerPort: 1883, hostPort: 1883, protocol: "tcp" }],
    restartPolicy: "unless-stopped",
  },
];

const DEMO_BUNDLE_ID = "f9c15f6f-a40f-40a8-9c6f-a2bf2786f590";

const demoBundles: DemoBundle[] = [
  {
    id: DEMO_BUNDLE_ID,
    name: "Warehouse Telemetry",
    description: "Temperature and humidity collection with an MQTT forwarder",
    versions: ["1.0.0", "1.1.0", "1.2.0"].map((version) => ({ version, containers: telemetry(version) })),
  },
  {
    name: "Edge Gateway",
    description: "Protocol gateway for PLCs and sensors",
    // 2.2.0 is the demo's bad release: `npm start`'s simulated agents fail it on about half the devices.
    versions: ["2.0.0", "2.1.0", "2.2.0"].map((version) => ({
      version,
      containers: [
        {
          name: "gateway",
          image: `signalbeam/edge-gateway:${version}`,
          ports: [{ containerPort: 8080, hostPort: 8080 }],
          restartPolicy: "always",
        },
      ],
    })),
  },
  {
    name: "Vision Inference",
    description: "Camera frame analysis for the loading docks",
    versions: ["0.9.0", "1.0.0"].map((version) => ({
      version,
      containers: [
        {
          name: "inference",
          image: `signalbeam/vision-inference:${version}`,
          env: { MODEL: "pallet-detector" },
          command: ["serve", "--port", "9000"],
          restartPolicy: "on-failure",
        },
      ],
    })),
  },
];

interface DemoDevice {
  id: string;
  name: string;
  labels: Record<string, string>;
}

function demoDevices(): DemoDevice[] {
  const families = [
    { name: "Warehouse Sensor", count: 15, labels: { site: "warehouse-a", role: "sensor" } },
    { name: "Loading Dock Camera", count: 5, labels: { site: "warehouse-a", role: "camera" } },
    { name: "Cold Storage Gateway", count: 5, labels: { site: "cold-storage", role: "gateway" } },
  ];
  const devices: DemoDevice[] = [];
  for (const family of families) {
    for (let index = 1; index <= family.count; index++) {
      const id = `device-${String(devices.length + 1).padStart(3, "0")}`;
      // demo=true: `npm start` runs simulated agents for these devices.
      devices.push({ id, name: `${family.name} ${index}`, labels: { ...family.labels, demo: "true" } });
    }
  }
  return devices;
}

type Outcome = { report: "succeeded" } | { report: "failed"; error: string } | { report: "none" };

interface PastRollout {
  bundle: string;
  version: string;
  target: { type: "device"; ids: string[] } | { type: "group"; group: string };
  hoursAgo: number;
  /** What each device's agent reported, by its position in the target list. */
  outcome: (index: number) => Outcome;
  /** Cancelled by a manager an hour after it was created. */
  cancelled?: boolean;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, offset) => `device-${String(from + offset).padStart(3, "0")}`);

const groups = [
  { name: "Warehouse A", members: range(1, 10) },
  { name: "Loading Docks", members: range(16, 20) },
];

const pastRollouts: PastRollout[] = [
  {
    bundle: "Warehouse Telemetry",
    version: "1.0.0",
    target: { type: "device", ids: range(1, 10) },
    hoursAgo: 72,
    outcome: () => ({ report: "succeeded" }),
  },
  {
    bundle: "Warehouse Telemetry",
    version: "1.1.0",
    target: { type: "group", group: "Warehouse A" },
    hoursAgo: 26,
    outcome: (index) =>
      index === 6
        ? { report: "failed", error: "image pull failed: signalbeam/mqtt-forwarder:1.1.0: connection reset by registry" }
        : { report: "succeeded" },
  },
  {
    bundle: "Edge Gateway",
    version: "2.0.0",
    target: { type: "device", ids: range(21, 25) },
    hoursAgo: 5,
    outcome: (index) => (index < 2 ? { report: "succeeded" } : { report: "none" }),
    cancelled: true,
  },
];

/** True when the database holds no bundles and no devices: a first start. */
async function isEmptyFleet(db: Kysely<Database>): Promise<boolean> {
  const [bundle, device] = await Promise.all([
    db.selectFrom("bundles").select("id").limit(1).executeTakeFirst(),
    db.selectFrom("devices").select("id").limit(1).executeTakeFirst(),
  ]);
  return !bundle && !device;
}

/**
 * Loads the demo fleet into an empty database; returns false (and writes nothing) if it holds
 * bundles or devices. The caller keeps two processes from seeding at once (see the server's start).
 */
export async function seedDemoFleet(deps: WriteDeps): Promise<boolean> {
  if (!(await isEmptyFleet(deps.db))) return false;
  const end = deps.clock().getTime();
  let now = end - 10 * DAY;
  const at = (time: number) => (now = time);
  const seed: WriteDeps = { ...deps, clock: () => new Date(now) };

  const bundleIds = new Map<string, string>();
  for (const bundle of demoBundles) {
    at(end - 10 * DAY);
    const { id } = await createBundle(seed, { name: bundle.name, description: bundle.description }, bundle.id);
    bundleIds.set(bundle.name, id);
    for (const [index, version] of bundle.versions.entries()) {
      at(end - (10 - index) * DAY);
      await publishBundleVersion(seed, { bundleId: id, ...version });
    }
  }

  at(end - 7 * DAY);
  for (const device of demoDevices()) await registerDevice(seed, SYSTEM_ACTOR, device);
  const groupIds = new Map<string, string>();
  for (const group of groups)
    groupIds.set(group.name, (await createGroup(seed, { name: group.name, deviceIds: group.members })).id);

  for (const past of pastRollouts) {
    const createdAt = end - past.hoursAgo * HOUR;
    at(createdAt);
    const bundleId = bundleIds.get(past.bundle)!;
    const { target } = past;
    const { rollout } = await createRollout(seed, SYSTEM_ACTOR, {
      bundleId,
      version: past.version,
      ...(target.type === "device"
        ? { targetType: "device", deviceIds: target.ids }
        : { targetType: "group", groupIds: [groupIds.get(target.group)!] }),
    });
    const deviceIds = target.type === "device" ? target.ids : groups.find((group) => group.name === target.group)!.members;
    for (const [index, deviceId] of deviceIds.entries()) {
      const outcome = past.outcome(index);
      if (outcome.report === "none") continue;
      const report = { rolloutId: rollout.id, deviceId };
      at(createdAt + (index + 1) * 20_000);
      await reportDeviceStatus(seed, { ...report, status: "updating" });
      at(createdAt + (index + 1) * 20_000 + 45_000 + index * 7_000);
      await reportDeviceStatus(
        seed,
        outcome.report === "failed"
          ? { ...report, status: "failed", errorMessage: outcome.error }
          : { ...report, status: "succeeded" },
      );
    }
    if (past.cancelled) {
      at(createdAt + HOUR);
      await cancelRollout(seed, SYSTEM_ACTOR, rollout.id);
    }
  }
  return true;
}
