// An internal tool built on the typed client: prints rollouts as a table.
//   npm run report -- [--url http://localhost:5002] [--api-key sbk_…] [--bundle <bundleId>] [--status failed] [--limit 20]
// The API key (any role) may come from SIGNALBEAM_API_KEY instead.
import { parseArgs } from "node:util";
import { createSignalBeamClient, type RouterInputs, type RouterOutputs } from "@signalbeam/client";

type Rollout = RouterOutputs["rollouts"]["list"]["data"][number];
type Status = NonNullable<RouterInputs["rollouts"]["list"]["status"]>;

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.SIGNALBEAM_URL ?? "http://localhost:5002" },
    "api-key": { type: "string", default: process.env.SIGNALBEAM_API_KEY ?? process.env.SIGNALBEAM_TOKEN },
    bundle: { type: "string" },
    status: { type: "string" },
    limit: { type: "string", default: "20" },
  },
});

const client = createSignalBeamClient({ url: values.url, token: values["api-key"] });

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((width) => "─".repeat(width))), ...rows.map(line)].join("\n");
}

const percent = (rollout: Rollout) =>
  rollout.progress.total === 0 ? "–" : `${Math.round((100 * rollout.progress.succeeded) / rollout.progress.total)}%`;

try {
  const [page, bundles] = await Promise.all([
    client.rollouts.list.query({
      page: 1,
      pageSize: Math.min(Number(values.limit), 100),
      bundleId: values.bundle,
      status: values.status as Status | undefined,
      // The report shows counts, not the (possibly 100,000-id) target lists.
      targets: "summary",
    }),
    client.bundles.list.query({ page: 1, pageSize: 100 }),
  ]);
  const bundleNames = new Map(bundles.data.map((bundle) => [bundle.id, bundle.name]));
  console.log(
    table(
      ["Rollout", "Bundle", "Version", "Status", "Done", "Succeeded", "Failed", "Pending", "Created"],
      page.data.map((rollout) => [
        rollout.id.slice(0, 8),
        bundleNames.get(rollout.bundleId) ?? rollout.bundleId.slice(0, 8),
        rollout.version,
        rollout.status,
        percent(rollout),
        `${rollout.progress.succeeded}/${rollout.progress.total}`,
        String(rollout.progress.failed),
        String(rollout.progress.pending + rollout.progress.inProgress),
        rollout.createdAt.replace("T", " ").slice(0, 19),
      ]),
    ),
  );
  console.log(`\n${page.data.length} of ${page.totalCount} rollouts`);
} catch (error) {
  console.error(`report failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
