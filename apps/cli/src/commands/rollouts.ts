import { readFileSync } from "node:fs";
import type { RouterOutputs } from "@signalbeam/client";
import { Command, Option } from "commander";
import { type CommandContext, resolveBundle, resolveGroup, rolloutIdArgument } from "../context";
import { UsageError } from "../errors";
import { colours, printFields, printJson, printPageFooter, printTable, stateColour } from "../output";
import { parseFailOn, type PolicyFlags, policyFromFlags } from "../parse";
import { summaryLine, waitingText, watchRollout } from "../watch";

type Rollout = RouterOutputs["rollouts"]["byId"];
export type Run = (command: Command, action: (context: CommandContext) => Promise<number | void>) => void;

const ROLLOUT_STATES = ["scheduled", "paused", "pending", "in_progress", "completed", "failed", "cancelled"];
const DEVICE_STATES = ["queued", "pending", "updating", "succeeded", "failed", "cancelled"];

function showRollout(context: CommandContext, rollout: Rollout) {
  if (context.json) return printJson(context.io, rollout);
  const c = colours(context.io);
  const p = rollout.progress;
  printFields(context.io, [
    ["rollout", rollout.id],
    ["status", stateColour(c, rollout.status)],
    ["version", rollout.version],
    ["bundle", rollout.bundleId],
    ["targets", `${rollout.targetCount} ${rollout.targetType === "group" ? "group(s)" : "device(s)"}`],
    [
      "progress",
      `${p.succeeded}/${p.total} succeeded, ${p.failed} failed, ${p.inProgress} updating, ${p.pending} pending, ${p.queued} queued`,
    ],
    ["waiting", waitingText(rollout, context.io.now())],
    ["created", rollout.createdAt],
  ]);
  if (rollout.waves.length)
    printTable(
      context.io,
      ["wave", "name", "size", "started", "passed", "succeeded", "failed"],
      rollout.waves.map((wave) => [
        wave.index + 1,
        wave.name,
        wave.size,
        wave.startedAt,
        wave.passedAt,
        wave.progress.succeeded,
        wave.progress.failed,
      ]),
    );
}

function listOfIds(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((id) => id.trim())
    .filter(Boolean);
}

export function rolloutCommands(run: Run): Command {
  const rollouts = new Command("rollouts").description("create, follow and control rollouts");

  const list = rollouts
    .command("list")
    .description("rollouts, newest first")
    .option("--bundle <name|id>", "only this bundle's")
    .addOption(new Option("--status <status>", "only rollouts in this state").choices(ROLLOUT_STATES))
    .option("--page <n>", "page number", "1")
    .option("--page-size <n>", "rollouts per page (1–100)", "20");
  run(list, async (context) => {
    const flags = list.opts<{ bundle?: string; status?: string; page: string; pageSize: string }>();
    const bundleId = flags.bundle ? (await resolveBundle(context, flags.bundle)).id : undefined;
    const page = await context.client().rollouts.list.query({
      ...(bundleId ? { bundleId } : {}),
      ...(flags.status ? { status: flags.status as Rollout["status"] } : {}),
      targets: "summary",
      page: Number(flags.page),
      pageSize: Number(flags.pageSize),
    });
    if (context.json) return printJson(context.io, page);
    const c = colours(context.io);
    printTable(
      context.io,
      ["id", "status", "version", "succeeded", "failed", "total", "created"],
      page.data.map((rollout) => [
        rollout.id,
        stateColour(c, rollout.status),
        rollout.version,
        rollout.progress.succeeded,
        rollout.progress.failed,
        rollout.progress.total,
        rollout.createdAt,
      ]),
    );
    printPageFooter(context.io, page, "rollouts");
  });

  const get = rollouts.command("get").description("one rollout: status, progress, waves").argument("<rollout-id>");
  run(get, async (context) => {
    const rollout = await context
      .client()
      .rollouts.byId.query({ rolloutId: rolloutIdArgument(get.args[0]!), targets: "summary" });
    showRollout(context, rollout);
  });

  const devices = rollouts
    .command("devices")
    .description("where each device of a rollout stands")
    .argument("<rollout-id>")
    .addOption(new Option("--status <status>", "only devices in this state").choices(DEVICE_STATES))
    .option("--page <n>", "page number", "1")
    .option("--page-size <n>", "devices per page (1–1000)", "50");
  run(devices, async (context) => {
    const flags = devices.opts<{ status?: string; page: string; pageSize: string }>();
    const page = await context.client().rollouts.devices.query({
      rolloutId: rolloutIdArgument(devices.args[0]!),
      ...(flags.status ? { status: flags.status as "failed" } : {}),
      page: Number(flags.page),
      pageSize: Number(flags.pageSize),
    });
    if (context.json) return printJson(context.io, page);
    const c = colours(context.io);
    printTable(
      context.io,
      ["device", "name", "status", "wave", "attempt", "error"],
      page.devices.map((device) => [
        device.deviceId,
        device.deviceName,
        stateColour(c, device.status),
        device.wave === null ? null : device.wave + 1,
        device.attempt,
        device.errorMessage,
      ]),
    );
    printPageFooter(context.io, page, "devices");
  });

  const create = rollouts
    .command("create")
    .description("roll a bundle version out to devices or groups, at once or in waves")
    .requiredOption("--bundle <name|id>", "the bundle")
    .requiredOption("--version <semver>", "the version to roll out, e.g. 1.3.0")
    .option("--devices <ids>", "device ids, comma-separated")
    .option("--devices-file <file>", "device ids, one per line (or comma-separated); - reads standard input")
    .option("--group <name|id>", "a device group (repeat for several)", (value: string, previous: string[] = []) => [
      ...previous,
      value,
    ])
    .option("--waves <list>", "cumulative waves: shares like 1%,10%,100% or counts like 5,50,100%")
    .option("--canary-label <key=value>", "a first wave of the devices with this label")
    .option("--gate <percent>", "a wave passes when this share of it succeeded (default 100%)")
    .option("--soak <duration>", "wait this long after a wave passes, e.g. 10m")
    .option("--manual", "each next wave waits for `rollouts advance`")
    .option("--max-failures <percent>", "failure threshold over finished devices, e.g. 10%")
    .option("--min-completed <n>", "judge the threshold once this many devices finished (default 1)")
    .addOption(
      new Option("--on-failure <action>", "what crossing the threshold does (default pause)").choices([
        "pause",
        "abort",
        "rollback",
      ]),
    )
    .option("--timeout <duration>", "a device updating longer than this fails, e.g. 30m")
    .option("--retries <n>", "retry a failed device up to n times")
    .option("--retry-backoff <duration>", "first wait before a retry, doubling each time (default 1m)")
    .option("--rate <rate>", "at most this many releases, e.g. 500/min")
    .option("--start-at <time>", "release nothing before this ISO-8601 time, or a delay like +2h")
    .option("--window <cron>", 'release only in windows opening at this cron time, e.g. "0 1 * * *"')
    .option("--window-duration <duration>", "how long each window stays open, e.g. 4h")
    .option("--tz <zone>", "the windows' IANA time zone, e.g. Europe/Berlin")
    .option("--rollout-id <uuid>", "the new rollout's id: the one a --dry-run planned gives exactly its waves")
    .option("--dry-run", "check everything on the server and show which devices land in which wave, creating nothing");
  run(create, async (context) => {
    const flags = create.opts<
      PolicyFlags & {
        bundle: string;
        version: string;
        devices?: string;
        devicesFile?: string;
        group?: string[];
        dryRun?: boolean;
        rolloutId?: string;
      }
    >();
    const policy = policyFromFlags(flags, context.io.now());
    const targetFlags = [flags.devices, flags.devicesFile, flags.group].filter((value) => value !== undefined).length;
    if (targetFlags !== 1) throw new UsageError("give exactly one of --devices, --devices-file or --group");
    const bundle = await resolveBundle(context, flags.bundle);
    let input: Parameters<ReturnType<CommandContext["client"]>["rollouts"]["create"]["mutate"]>[0];
    if (flags.group) {
      const groups = await Promise.all(flags.group.map((group) => resolveGroup(context, group)));
      input = { bundleId: bundle.id, version: flags.version, targetType: "group", groupIds: groups.map((group) => group.id) };
    } else {
      const text = flags.devices ?? readDevicesFile(flags.devicesFile!);
      const deviceIds = listOfIds(text);
      if (!deviceIds.length) throw new UsageError("no device ids given");
      input = { bundleId: bundle.id, version: flags.version, targetType: "device", deviceIds };
    }
    if (policy) input.policy = policy;
    if (flags.rolloutId) input.rolloutId = rolloutIdArgument(flags.rolloutId);
    if (flags.dryRun) {
      const plan = await context.client().rollouts.plan.mutate(input);
      if (context.json) return printJson(context.io, { dryRun: true, request: { ...input, rolloutId: plan.rolloutId }, plan });
      context.io.stdout.write(`dry run — nothing created. ${plan.deviceCount} device(s) of ${bundle.name} ${flags.version}:\n`);
      printTable(
        context.io,
        ["wave", "name", "devices", "first devices, in release order"],
        plan.waves.map((wave) => [
          wave.index + 1,
          wave.name,
          wave.size,
          wave.deviceIds.slice(0, 8).join(", ") + (wave.deviceIds.length > 8 ? ` … and ${wave.deviceIds.length - 8} more` : ""),
        ]),
      );
      context.io.stdout.write(
        `to create exactly this, add --rollout-id ${plan.rolloutId} (without --dry-run); --json lists every device\n`,
      );
      return;
    }
    const created = await context.client().rollouts.create.mutate(input);
    if (context.json) return printJson(context.io, created);
    // The create answer names its id `rolloutId` (the REST contract's name); the rest is the rollout.
    const rollout = { ...created, id: created.rolloutId };
    context.io.stdout.write(
      `created rollout ${rollout.id} (${bundle.name} ${rollout.version}): ${summaryLine(rollout, context.io.now())}\n`,
    );
    context.io.stdout.write(`follow it: signalbeam rollouts watch ${rollout.id}\n`);
  });

  const controls = [
    ["cancel", "cancel a rollout: devices not yet finished are cancelled"],
    ["retry", "send the failed devices the version again"],
    ["pause", "stop releasing devices of a staged rollout (released ones carry on)"],
    ["resume", "release devices of a paused rollout again"],
    ["advance", "start the next wave now, skipping its gate, soak and approval"],
    ["rollback", "cancel it and send devices that started it back to their previous version"],
  ] as const;
  for (const [name, description] of controls) {
    const control = rollouts.command(name).description(description).argument("<rollout-id>");
    run(control, async (context) => {
      const rolloutId = rolloutIdArgument(control.args[0]!);
      const api = context.client().rollouts;
      if (name === "cancel") {
        await api.cancel.mutate({ rolloutId });
        const rollout = await api.byId.query({ rolloutId, targets: "summary" });
        if (context.json) return printJson(context.io, rollout);
        return void context.io.stdout.write(`cancelled ${rolloutId}: ${summaryLine(rollout, context.io.now())}\n`);
      }
      if (name === "rollback") {
        const result = await api.rollback.mutate({ rolloutId });
        if (context.json) return printJson(context.io, result);
        for (const rollout of result.rollouts)
          context.io.stdout.write(
            `rollback rollout ${rollout.id}: ${rollout.progress.total} device(s) back to ${rollout.version}\n`,
          );
        if (result.untouchedDeviceIds.length)
          context.io.stdout.write(`left alone (no previous version): ${result.untouchedDeviceIds.join(", ")}\n`);
        return;
      }
      const rollout = await api[name].mutate({ rolloutId });
      if (context.json) return printJson(context.io, rollout);
      context.io.stdout.write(`${name}: ${summaryLine(rollout, context.io.now())}\n`);
    });
  }

  const watch = rollouts
    .command("watch")
    .description("follow a rollout live until it ends (progress bars on a terminal, a line per change elsewhere)")
    .argument("<rollout-id>")
    .addOption(new Option("--until <when>", "when to stop watching").choices(["done"]).default("done"))
    .option("--fail-on <states>", "exit 1 when the rollout reaches one of these: failed, paused, cancelled", "failed");
  run(watch, async (context) => {
    const flags = watch.opts<{ failOn: string }>();
    const failOn = parseFailOn(flags.failOn);
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once("SIGINT", onSigint);
    try {
      return await watchRollout(context, rolloutIdArgument(watch.args[0]!), failOn, controller.signal);
    } finally {
      process.off("SIGINT", onSigint);
    }
  });

  return rollouts;
}

function readDevicesFile(file: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    throw new UsageError(
      `--devices-file: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
