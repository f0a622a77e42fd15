import { Anchor, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { RolloutTable } from "../components/RolloutTable";
import { useTRPC } from "../trpc";

function Stat({ label, value, testId }: { label: string; value: number | undefined; testId: string }) {
  return (
    <Card withBorder>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="xl" data-testid={testId}>
        {value ?? "…"}
      </Text>
    </Card>
  );
}

export function DashboardPage() {
  const trpc = useTRPC();
  const summary = useQuery({ ...trpc.fleet.summary.queryOptions(), refetchInterval: 10_000 });
  const recent = useQuery({
    ...trpc.rollouts.list.queryOptions({ page: 1, pageSize: 5, targets: "summary" }),
    refetchInterval: 5_000,
  });
  const bundles = useQuery(trpc.bundles.list.queryOptions({ page: 1, pageSize: 100 }));
  const bundleName = (id: string) => bundles.data?.data.find((bundle) => bundle.id === id)?.name ?? id.slice(0, 8);
  const data = summary.data;
  return (
    <Stack>
      <Title order={2}>Fleet</Title>
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <Stat label="Devices" value={data?.devices} testId="stat-devices" />
        <Stat label="Online" value={data?.online} testId="stat-online" />
        <Stat label="Offline" value={data ? data.devices - data.online : undefined} testId="stat-offline" />
        <Stat label="Active rollouts" value={data?.activeRollouts} testId="stat-active" />
      </SimpleGrid>
      <Group justify="space-between">
        <Title order={3}>Recent rollouts</Title>
        <Anchor component={Link} to="/rollouts">
          All rollouts
        </Anchor>
      </Group>
      {recent.data && <RolloutTable rollouts={recent.data.data} bundleName={bundleName} />}
    </Stack>
  );
}
