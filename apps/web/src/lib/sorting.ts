import type { SortingState } from "@tanstack/react-table";

/** The device table sorts on the server: TanStack Table's sorting state ↔ the API's `sort` parameter. */
export function toServerSort(sorting: SortingState): string | undefined {
  const first = sorting[0];
  if (!first) return undefined;
  return first.desc ? `-${first.id}` : first.id;
}

export function fromServerSort(sort: string | undefined): SortingState {
  if (!sort) return [];
  return sort.startsWith("-") ? [{ id: sort.slice(1), desc: true }] : [{ id: sort, desc: false }];
}
