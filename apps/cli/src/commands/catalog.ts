import { readFileSync } from "node:fs";
import { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { resolveBundle } from "../context";
import { CliError, EXIT, UsageError } from "../errors";
import { colours, printFields, printJson, printPageFooter, printTable } from "../output";
import type { Run } from "./rollouts";

/** Devices, groups, bundles and the audit log: what a rollout is made of, and who did what. */
export function catalogCommands(run: Run): Command[] {
  const devices = new Command("devices").description("the fleet's devices");
  const deviceList = devices
    .command("list")
    .description("devices, by name")
    .option("--search <text>", "id or name contains this")
    .option("--page <n>", "page number", "1")
    .option("--page-size <n>", "devices per page (1–100)", "50");
  run(deviceList, async (context) => {
    const flags = deviceList.opts<{ search?: string; page: string; pageSize: string }>();
    const page = await context.client().devices.list.query({
      ...(flags.search ? { search: flags.search } : {}),
      page: Number(flags.page),
      pageSize: Number(flags.pageSize),
    });
    if (context.json) return printJson(context.io, page);
    const c = colours(context.io);
    printTable(
      context.io,
      ["id", "name", "online", "running", "desired", "labels"],
      page.data.map((device) => [
        device.id,
        device.name,
        device.online ? c.green("yes") : c.dim("no"),
        device.currentVersion,
        device.desiredVersion,
        Object.entries(device.labels)
          .map(([key, value]) => `${key}=${value}`)
          .join(" "),
      ]),
    );
    printPageFooter(context.io, page, "devices");
  });
  const deviceGet = devices.command("get").description("one device").argument("<device-id>");
  run(deviceGet, async (context) => {
    const device = await context.client().devices.byId.query({ deviceId: deviceGet.args[0]! });
    if (context.json) return printJson(context.io, device);
    printFields(context.io, [
      ["device", device.id],
      ["name", device.name],
      ["online", device.online],
      ["last seen", device.lastSeenAt],
      ["running", device.currentVersion],
      ["desired", device.desiredVersion],
      ["rollout", device.desiredRolloutId],
      ["agent", device.agentVersion],
    ]);
  });

  const groups = new Command("groups").description("device groups");
  const groupList = groups.command("list").description("groups, by name");
  run(groupList, async (context) => {
    const page = await context.client().groups.list.query({ page: 1, pageSize: 100 });
    if (context.json) return printJson(context.io, page);
    printTable(
      context.io,
      ["id", "name", "devices", "created"],
      page.data.map((group) => [group.id, group.name, group.deviceCount, group.createdAt]),
    );
  });

  const bundles = new Command("bundles").description("bundles and their versions");
  const bundleList = bundles.command("list").description("bundles, by name");
  run(bundleList, async (context) => {
    const page = await context.client().bundles.list.query({ page: 1, pageSize: 100 });
    if (context.json) return printJson(context.io, page);
    printTable(
      context.io,
      ["id", "name", "latest", "versions"],
      page.data.map((bundle) => [bundle.id, bundle.name, bundle.latestVersion, bundle.versionCount]),
    );
  });
  const bundleGet = bundles.command("get").description("a bundle and its versions").argument("<name|id>");
  run(bundleGet, async (context) => {
    const { id } = await resolveBundle(context, bundleGet.args[0]!);
    const bundle = await context.client().bundles.byId.query({ bundleId: id });
    const versions = await context.client().bundles.versions.query({ bundleId: id, page: 1, pageSize: 100 });
    if (context.json) return printJson(context.io, { ...bundle, versions: versions.data });
    printFields(context.io, [
      ["bundle", bundle.id],
      ["name", bundle.name],
      ["description", bundle.description],
      ["latest", bundle.latestVersion],
    ]);
    printTable(
      context.io,
      ["version", "containers", "created"],
      versions.data.map((version) => [
        version.version,
        version.containers.map((container) => container.image).join(", "),
        version.createdAt,
      ]),
    );
  });
  const bundleCreate = bundles
    .command("create")
    .description("a new bundle")
    .requiredOption("--name <name>", "its name")
    .option("--description <text>", "what it is");
  run(bundleCreate, async (context) => {
    const flags = bundleCreate.opts<{ name: string; description?: string }>();
    const bundle = await context.client().bundles.create.mutate({
      name: flags.name,
      ...(flags.description ? { description: flags.description } : {}),
    });
    if (context.json) return printJson(context.io, bundle);
    context.io.stdout.write(`created bundle ${bundle.name} (${bundle.id})\n`);
  });
  const publish = bundles
    .command("publish")
    .description("publish a version from a JSON or YAML file: {version, containers: [{name, image, …}]}")
    .argument("<name|id>", "the bundle")
    .requiredOption("--file <file>", "the version's definition (.json, .yaml or .yml)");
  run(publish, async (context) => {
    const file = publish.opts<{ file: string }>().file;
    const definition = readDefinition(file);
    const { id, name } = await resolveBundle(context, publish.args[0]!);
    const version = await context.client().bundles.createVersion.mutate({ bundleId: id, ...definition } as never);
    if (context.json) return printJson(context.io, version);
    context.io.stdout.write(`published ${name} ${version.version} (${version.containers.length} container(s))\n`);
  });

  const audit = new Command("audit")
    .description("who did what, newest first")
    .option("--rollout <id>", "only about this rollout")
    .option("--page <n>", "page number", "1")
    .option("--page-size <n>", "entries per page (1–200)", "50");
  run(audit, async (context) => {
    const flags = audit.opts<{ rollout?: string; page: string; pageSize: string }>();
    const page = await context.client().audit.list.query({
      ...(flags.rollout ? { targetType: "rollout" as const, targetId: flags.rollout } : {}),
      page: Number(flags.page),
      pageSize: Number(flags.pageSize),
    });
    if (context.json) return printJson(context.io, page);
    printTable(
      context.io,
      ["at", "who", "action", "target"],
      page.data.map((entry) => [entry.at, entry.actor.name, entry.action, `${entry.target.type} ${entry.target.id}`]),
    );
  });

  return [devices, groups, bundles, audit];
}

function readDefinition(file: string): { version: string; containers: unknown[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`--file: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `--file: ${file} is not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"}: ${(error as Error).message}`,
      EXIT.usage,
    );
  }
  const definition = value as { version?: unknown; containers?: unknown };
  if (!definition || typeof definition.version !== "string" || !Array.isArray(definition.containers))
    throw new UsageError(`--file: ${file} must hold a version (like "1.3.0") and a list of containers`);
  return definition as { version: string; containers: unknown[] };
}
