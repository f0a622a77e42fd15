import { Anchor, Group, Pagination, Select, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { StatusBadge } from "../components/StatusBadge";
import { formatTime, type RolloutStatus } from "../lib/format";
import { useTRPC } from "../trpc";

const statuses: RolloutStatus[] = ["pending", "in_progress", "completed", "failed", "cancelled"];

export function RolloutsPage() {
  const trpc = useTRPC();
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<RolloutStatus | null>(null);
  const rollouts = useQuery({
    ...trpc.rollouts.list.queryOptions({ page, pageSize: 20, status: status ?? undefined }),
    refetchInterval: 5_000,
  });
  const bundles = useQuery(trpc.bundles.list.queryOptions({ page: 1, pageSize: 100 }));
  const bundleName = (id: string) => bundles.data?.data.find((bundle) => bundle.id === id)?.name ?? id.slice(0, 8);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Rollouts</Title>
        <Select
          label="Status"
          placeholder="Any status"
          clearable
          data={statuses.map((value) => ({ value, label: value.replace("_", " ") }))}
          value={status}
          onChange={(value) => (setStatus(value as RolloutStatus | null), setPage(1))}
        />
      </Group>
      <Table striped highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Bundle</Table.Th>
            <Table.Th>Version</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Progress</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rollouts.data?.data.map((rollout) => (
            <Table.Tr key={rollout.id}>
              <Table.Td>{bundleName(rollout.bundleId)}</Table.Td>
              <Table.Td>{rollout.version}</Table.Td>
              <Table.Td>
                <StatusBadge status={rollout.status} />
              </Table.Td>
              <Table.Td>
                {rollout.progress.succeeded}/{rollout.progress.total} succeeded
              </Table.Td>
              <Table.Td>{formatTime(rollout.createdAt)}</Table.Td>
              <Table.Td>
                <Anchor component={Link} to={`/rollouts/${rollout.id}`}>
                  View Details
                </Anchor>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {rollouts.data?.totalCount === 0 && <Text c="dimmed">No rollouts yet.</Text>}
      {rollouts.data && rollouts.data.totalPages > 1 && (
        <Pagination total={rollouts.data.totalPages} value={page} onChange={setPage} />
      )}
    </Stack>
  );
}
