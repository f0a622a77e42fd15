import { Group, Pagination, Select, Stack, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { RolloutTable } from "../components/RolloutTable";
import type { RolloutStatus } from "../lib/format";
import { useTRPC } from "../trpc";

const statuses: RolloutStatus[] = ["scheduled", "paused", "pending", "in_progress", "completed", "failed", "cancelled"];

export function RolloutsPage() {
  const trpc = useTRPC();
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<RolloutStatus | null>(null);
  const [bundleId, setBundleId] = useState<string | null>(null);
  const bundles = useQuery(trpc.bundles.list.queryOptions({ page: 1, pageSize: 100 }));
  const rollouts = useQuery({
    ...trpc.rollouts.list.queryOptions({
      page,
      pageSize: 20,
      status: status ?? undefined,
      bundleId: bundleId ?? undefined,
      targets: "summary",
    }),
    refetchInterval: 5_000,
  });
  const bundleName = (id: string) => bundles.data?.data.find((bundle) => bundle.id === id)?.name ?? id.slice(0, 8);

  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <Title order={2}>Rollouts</Title>
        <Group>
          <Select
            label="Bundle"
            placeholder="Any bundle"
            clearable
            data={(bundles.data?.data ?? []).map((bundle) => ({ value: bundle.id, label: bundle.name }))}
            value={bundleId}
            onChange={(value) => (setBundleId(value), setPage(1))}
          />
          <Select
            label="Status"
            placeholder="Any status"
            clearable
            data={statuses.map((value) => ({ value, label: value.replace("_", " ") }))}
            value={status}
            onChange={(value) => (setStatus(value as RolloutStatus | null), setPage(1))}
          />
        </Group>
      </Group>
      {rollouts.data && <RolloutTable rollouts={rollouts.data.data} bundleName={bundleName} />}
      {rollouts.data && rollouts.data.totalPages > 1 && (
        <Pagination total={rollouts.data.totalPages} value={page} onChange={setPage} />
      )}
    </Stack>
  );
}
