import { Badge, Group, Pagination, Stack, Table, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formatTime } from "../lib/format";
import { useTRPC } from "../trpc";

export function DevicesPage() {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [debounced] = useDebouncedValue(search, 200);
  const [page, setPage] = useState(1);
  const devices = useQuery({
    ...trpc.devices.list.queryOptions({ search: debounced || undefined, page, pageSize: 50 }),
    refetchInterval: 10_000,
  });
  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <Title order={2}>Devices</Title>
        <TextInput
          label="Search"
          placeholder="Name or id"
          value={search}
          onChange={(event) => (setSearch(event.currentTarget.value), setPage(1))}
        />
      </Group>
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Id</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>Current version</Table.Th>
            <Table.Th>Last seen</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {devices.data?.data.map((device) => (
            <Table.Tr key={device.id}>
              <Table.Td>{device.name}</Table.Td>
              <Table.Td>{device.id}</Table.Td>
              <Table.Td>
                <Badge color={device.online ? "green" : "gray"} variant="light">
                  {device.online ? "Online" : "Offline"}
                </Badge>
              </Table.Td>
              <Table.Td>{device.currentVersion ?? "—"}</Table.Td>
              <Table.Td>{formatTime(device.lastSeenAt)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {devices.data && devices.data.totalPages > 1 && (
        <Pagination total={devices.data.totalPages} value={page} onChange={setPage} />
      )}
    </Stack>
  );
}
