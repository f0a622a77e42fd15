import { Button, Code, Group, Pagination, Stack, Table, Tabs, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router";
import { useCan } from "../auth/identity";
import { AssignDialog } from "../components/AssignDialog";
import { RolloutTable } from "../components/RolloutTable";
import { formatTime } from "../lib/format";
import { useTRPC } from "../trpc";

export function BundleDetailPage() {
  const { bundleId = "" } = useParams();
  const trpc = useTRPC();
  const [assigning, setAssigning] = useState(false);
  const [page, setPage] = useState(1);
  const canOperate = useCan("operator");
  const bundle = useQuery({ ...trpc.bundles.byId.queryOptions({ bundleId }), retry: false });
  const versions = useQuery({
    ...trpc.bundles.versions.queryOptions({ bundleId, page: 1, pageSize: 100 }),
    enabled: bundle.isSuccess,
  });
  const rollouts = useQuery({
    ...trpc.rollouts.list.queryOptions({ bundleId, page, pageSize: 10, targets: "summary" }),
    enabled: bundle.isSuccess,
    refetchInterval: 5_000,
  });

  if (bundle.error) return <Title order={2}>Bundle not found</Title>;
  if (!bundle.data) return <Text>Loading…</Text>;

  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={2}>{bundle.data.name}</Title>
          <Text c="dimmed">{bundle.data.description}</Text>
        </div>
        {canOperate && (
          <Button onClick={() => setAssigning(true)} disabled={!versions.data?.data.length}>
            Assign to Devices
          </Button>
        )}
      </Group>
      <Tabs defaultValue="versions">
        <Tabs.List>
          <Tabs.Tab value="versions">Versions ({bundle.data.versionCount})</Tabs.Tab>
          <Tabs.Tab value="rollouts">Rollouts ({rollouts.data?.totalCount ?? "…"})</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="versions" pt="md">
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Version</Table.Th>
                <Table.Th>Containers</Table.Th>
                <Table.Th>Published</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {versions.data?.data.map((version) => (
                <Table.Tr key={version.version}>
                  <Table.Td>{version.version}</Table.Td>
                  <Table.Td>
                    {version.containers.map((container) => (
                      <div key={container.name}>
                        {container.name}: <Code>{container.image}</Code>
                      </div>
                    ))}
                  </Table.Td>
                  <Table.Td>{formatTime(version.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Tabs.Panel>
        <Tabs.Panel value="rollouts" pt="md">
          {rollouts.data && <RolloutTable rollouts={rollouts.data.data} />}
          {rollouts.data && rollouts.data.totalPages > 1 && (
            <Pagination mt="md" total={rollouts.data.totalPages} value={page} onChange={setPage} />
          )}
        </Tabs.Panel>
      </Tabs>
      {versions.data && (
        <AssignDialog
          bundleId={bundleId}
          versions={versions.data.data.map((version) => version.version)}
          opened={assigning}
          onClose={() => setAssigning(false)}
        />
      )}
    </Stack>
  );
}
