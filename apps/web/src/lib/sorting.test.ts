import { describe, expect, it } from "vitest";
import { fromServerSort, toServerSort } from "./sorting";

describe("server-side sort mapping", () => {
  it.each([
    [[], undefined],
    [[{ id: "deviceName", desc: false }], "deviceName"],
    [[{ id: "duration", desc: true }], "-duration"],
  ])("%o ↔ %s", (sorting, sort) => {
    expect(toServerSort(sorting)).toBe(sort);
    expect(fromServerSort(sort)).toEqual(sorting);
  });
});
