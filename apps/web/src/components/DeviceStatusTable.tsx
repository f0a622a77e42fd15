import { Table, UnstyledButton } from "@mantine/core";
import { type ColumnDef, flexRender, getCoreRowModel, type SortingState, useReactTable } from "@tanstack/react-table";
import { type DeviceStatus, formatDuration, formatTime } from "../lib/format";
import { StatusBadge } from "./StatusBadge";

export interface DeviceStatusRow {
  deviceId: string;
  deviceName: string;
  status: DeviceStatus;
  startedAt: string | null;
  completedAt: string | null;
  errorMessage: string | null;
  wave?: number | null;
  attempt?: number;
}

const columns: ColumnDef<DeviceStatusRow>[] = [
  { id: "deviceName", header: "Device Name", accessorKey: "deviceName" },
  { id: "status", header: "Status", accessorKey: "status", cell: (info) => <StatusBadge status={info.row.original.status} /> },
  { id: "startedAt", header: "Started At", cell: (info) => formatTime(info.row.original.startedAt) },
  { id: "completedAt", header: "Completed At", cell: (info) => formatTime(info.row.original.completedAt) },
  {
    id: "duration",
    header: "Duration",
    cell: (info) => formatDuration(info.row.original.startedAt, info.row.original.completedAt),
  },
  { id: "errorMessage", header: "Error Message", enableSorting: false, cell: (info) => info.row.original.errorMessage ?? "" },
];

/**
 * One page of a rollout's devices. Sorting is the server's (a rollout may have 100,000 devices):
 * the table only reports which column the manager asked for.
 */
export function DeviceStatusTable({
  rows,
  sorting,
  onSortingChange,
}: {
  rows: DeviceStatusRow[];
  sorting: SortingState;
  onSortingChange: (sorting: SortingState) => void;
}) {
  const table = useReactTable({
    data: rows,
    columns,
    state: { sorting },
    manualSorting: true,
    enableSortingRemoval: false,
    onSortingChange: (updater) => onSortingChange(typeof updater === "function" ? updater(sorting) : updater),
    getCoreRowModel: getCoreRowModel(),
    getRowId: (row) => row.deviceId,
  });
  return (
    <Table striped highlightOnHover>
      <Table.Thead>
        {table.getHeaderGroups().map((group) => (
          <Table.Tr key={group.id}>
            {group.headers.map((header) => {
              const sorted = header.column.getIsSorted();
              const label = flexRender(header.column.columnDef.header, header.getContext());
              return (
                <Table.Th key={header.id} aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none"}>
                  {header.column.getCanSort() ? (
                    <UnstyledButton onClick={header.column.getToggleSortingHandler()}>
                      {label} {sorted === "asc" ? "▲" : sorted === "desc" ? "▼" : ""}
                    </UnstyledButton>
                  ) : (
                    label
                  )}
                </Table.Th>
              );
            })}
          </Table.Tr>
        ))}
      </Table.Thead>
      <Table.Tbody>
        {table.getRowModel().rows.map((row) => (
          <Table.Tr key={row.id}>
            {row.getVisibleCells().map((cell) => (
              <Table.Td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</Table.Td>
            ))}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
