import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { ContainerSpec, Database, DeviceRolloutState, RolloutState } from "./schema";

/**
 * The demo fleet a new user sees on first start: three bundles with versions, 25 devices, two
 * groups, and three past rollouts (completed, failed, cancelled). Written with plain inserts so the
 * db package stays independent of the API; counters are counted from the rows written here.
 */

const HOUR = 3_600_000;

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

const demoBundles: DemoBundle[] = [
  {
    id: "f9c15f6f-a40f-40a8-9c6f-a2bf2786f590",
    name: "Warehouse Telemetry",
    description: "Temperature and humidity collection with an MQTT forwarder",
    versions: ["1.0.0", "1.1.0", "1.2.0"].map((version) => ({ version, containers: telemetry(version) })),
  },
  {
    name: "Edge Gateway",
    description: "Protocol gateway for PLCs and sensors",
    versions: ["2.0.0", "2.1.0"].map((version) => ({
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

interface PastRollout {
  bundle: string;
  version: string;
  target: { type: "device"; ids: string[] } | { type: "group"; group: string };
  hoursAgo: number;
  outcome: (deviceId: string, index: number) => { status: DeviceRolloutState; error?: string };
  /** Stated, not derived: the api package's tests check it against the derivation rules. */
  status: RolloutState;
  cancelled?: boolean;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, offset) => `device-${String(from + offset).padStart(3, "0")}`);

const pastRollouts: PastRollout[] = [
  {
    bundle: "Warehouse Telemetry",
    version: "1.0.0",
    target: { type: "device", ids: range(1, 10) },
    hoursAgo: 72,
    outcome: () => ({ status: "succeeded" }),
    status: "completed",
  },
  {
    bundle: "Warehouse Telemetry",
    version: "1.1.0",
    target: { type: "group", group: "Warehouse A" },
    hoursAgo: 26,
    outcome: (_id, index) =>
      index === 6
        ? { status: "failed", error: "image pull failed: signalbeam/mqtt-forwarder:1.1.0: connection reset by registry" }
        : { status: "succeeded" },
    status: "failed",
  },
  {
    bundle: "Edge Gateway",
    version: "2.0.0",
    target: { type: "device", ids: range(21, 25) },
    hoursAgo: 5,
    outcome: (_id, index) => (index < 2 ? { status: "succeeded" } : { status: "cancelled" }),
    status: "cancelled",
    cancelled: true,
  },
];

const groups = [
  { name: "Warehouse A", members: range(1, 10) },
  { name: "Loading Docks", members: range(16, 20) },
];

/** True when the database holds no bundles and no devices: a first start. */
export async function isEmptyFleet(db: Kysely<Database>): Promise<boolean> {
  const [bundle, device] = await Promise.all([
    db.selectFrom("bundles").select("id").limit(1).executeTakeFirst(),
    db.selectFrom("devices").select("id").limit(1).executeTakeFirst(),
  ]);
  return !bundle && !device;
}

/** Loads the demo fleet in one transaction. Returns false (and writes nothing) if data exists. */
export async function seedDemoFleet(db: Kysely<Database>, now: Date = new Date()): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    if (!(await isEmptyFleet(tx))) return false;
    const ago = (hours: number) => new Date(now.getTime() - hours * HOUR);

    const devices = demoDevices();
    await tx
      .insertInto("devices")
      .values(
        devices.map((device) => ({
          id: device.id,
          name: device.name,
          labels: JSON.stringify(device.labels),
          created_at: ago(24 * 7),
        })),
      )
      .execute();
    await tx
      .insertInto("device_desired_states")
      .values(devices.map((device) => ({ device_id: device.id, updated_at: ago(24 * 7) })))
      .execute();

    const bundleIds = new Map<string, string>();
    for (const bundle of demoBundles) {
      const { id } = await tx
        .insertInto("bundles")
        .values({
          ...(bundle.id ? { id: bundle.id } : {}),
          name: bundle.name,
          description: bundle.description,
          created_at: ago(24 * 10),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      bundleIds.set(bundle.name, id);
      await tx
        .insertInto("bundle_versions")
        .values(
          bundle.versions.map((version, index) => ({
            bundle_id: id,
            version: version.version,
            containers: JSON.stringify(version.containers),
            created_at: ago(24 * (10 - index)),
          })),
        )
        .execute();
    }

    const groupIds = new Map<string, string>();
    for (const group of groups) {
      const { id } = await tx
        .insertInto("device_groups")
        .values({ name: group.name, created_at: ago(24 * 7) })
        .returning("id")
        .executeTakeFirstOrThrow();
      groupIds.set(group.name, id);
      await tx
        .insertInto("group_members")
        .values(group.members.map((deviceId) => ({ group_id: id, device_id: deviceId })))
        .execute();
    }

    // Each device remembers what it ran before each rollout, so cancel/rollback has a target.
    const running = new Map<string, { bundleId: string; version: string; rolloutId: string }>();
    for (const past of pastRollouts) {
      const bundleId = bundleIds.get(past.bundle)!;
      const rolloutId = randomUUID();
      const deviceIds =
        past.target.type === "device"
          ? past.target.ids
          : groups.find((g) => g.name === (past.target as { group: string }).group)!.members;
      const targetIds = past.target.type === "device" ? past.target.ids : [groupIds.get(past.target.group)!];
      const createdAt = ago(past.hoursAgo);
      const counts: Record<DeviceRolloutState, number> = { pending: 0, updating: 0, succeeded: 0, failed: 0, cancelled: 0 };
      const rows = deviceIds.map((deviceId, index) => {
        const outcome = past.outcome(deviceId, index);
        counts[outcome.status]++;
        const previous = running.get(deviceId);
        const startedAt = outcome.status === "cancelled" ? null : new Date(createdAt.getTime() + (index + 1) * 20_000);
        return {
          rollout_id: rolloutId,
          device_id: deviceId,
          device_name: devices.find((device) => device.id === deviceId)!.name,
          status: outcome.status,
          attempt: 1,
          started_at: startedAt,
          completed_at: new Date(createdAt.getTime() + (index + 1) * 20_000 + 45_000 + index * 7_000),
          error_message: outcome.error ?? null,
          updated_at: ago(past.hoursAgo - 1),
          previous_bundle_id: previous?.bundleId ?? null,
          previous_version: previous?.version ?? null,
        };
      });
      await tx
        .insertInto("rollouts")
        .values({
          id: rolloutId,
          bundle_id: bundleId,
          version: past.version,
          target_type: past.target.type,
          target_ids: JSON.stringify(targetIds),
          status: past.status,
          cancel_requested_at: past.cancelled ? ago(past.hoursAgo - 1) : null,
          total: rows.length,
          ...counts,
          created_at: createdAt,
          updated_at: ago(past.hoursAgo - 1),
          completed_at: ago(past.hoursAgo - 1),
        })
        .execute();
      await tx.insertInto("rollout_statuses").values(rows).execute();
      for (const row of rows) {
        if (row.status === "succeeded") running.set(row.device_id, { bundleId, version: past.version, rolloutId });
        // A failed device keeps being asked for the version until someone retries or moves on.
        const desired =
          row.status === "cancelled" ? (running.get(row.device_id) ?? null) : { bundleId, version: past.version, rolloutId };
        await tx
          .updateTable("device_desired_states")
          .set({
            rollout_id: row.status === "cancelled" ? null : (desired?.rolloutId ?? null),
            bundle_id: desired?.bundleId ?? null,
            version: desired?.version ?? null,
            updated_at: ago(past.hoursAgo - 1),
          })
          .where("device_id", "=", row.device_id)
          .execute();
      }
    }

    for (const [deviceId, current] of running) {
      await tx
        .updateTable("devices")
        .set({ reported_bundle_id: current.bundleId, reported_version: current.version, agent_version: "0.1.0" })
        .where("id", "=", deviceId)
        .execute();
    }
    return true;
  });
}
