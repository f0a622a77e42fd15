import { Anchor, Stack, Table, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useTRPC } from "../trpc";

export function BundlesPage() {
  const trpc = useTRPC();
  const bundles = useQuery(trpc.bundles.list.queryOptions({ page: 1, pageSize: 100 }));
  return (
    <Stack>
      <Title order={2}>Bundles</Title>
      <Table striped highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Description</Table.Th>
            <Table.Th>Latest version</Table.Th>
            <Table.Th>Versions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {bundles.data?.data.map((bundle) => (
            <Table.Tr key={bundle.id}>
              <Table.Td>
                <Anchor component={Link} to={`/bundles/${bundle.id}`}>
                  {bundle.name}
                </Anchor>
              </Table.Td>
              <Table.Td>{bundle.description}</Table.Td>
              <Table.Td>{bundle.latestVersion ?? "—"}</Table.Td>
              <Table.Td>{bundle.versionCount}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
