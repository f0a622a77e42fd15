import { Anchor, Table, Text } from "@mantine/core";
import { Link } from "react-router";
import { formatTime, type RolloutStatus } from "../lib/format";
import { StatusBadge } from "./StatusBadge";

export interface RolloutRow {
  id: string;
  bundleId: string;
  version: string;
  status: RolloutStatus;
  progress: { total: number; succeeded: number };
  createdAt: string;
}

/** The rollout history table shared by the Rollouts page, the dashboard and a bundle's Rollouts tab. */
export function RolloutTable({ rollouts, bundleName }: { rollouts: RolloutRow[]; bundleName?: (id: string) => string }) {
  if (rollouts.length === 0) return <Text c="dimmed">No rollouts yet.</Text>;
  return (
    <Table striped highlightOnHover>
      <Table.Thead>
        <Table.Tr>
          {bundleName && <Table.Th>Bundle</Table.Th>}
          <Table.Th>Version</Table.Th>
          <Table.Th>Status</Table.Th>
          <Table.Th>Progress</Table.Th>
          <Table.Th>Created</Table.Th>
          <Table.Th />
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rollouts.map((rollout) => (
          <Table.Tr key={rollout.id}>
            {bundleName && <Table.Td>{bundleName(rollout.bundleId)}</Table.Td>}
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
  );
}
