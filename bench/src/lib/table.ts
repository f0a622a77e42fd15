import type { Figure } from "../types";

const format = (value: number, unit: string) =>
  unit === "req/s" || unit === "reports/s"
    ? `${Math.round(value).toLocaleString("en-US")} ${unit}`
    : `${value.toFixed(value < 10 ? 2 : 1)} ${unit}`;

/** The results as a fixed-width table: figure, value, p99, baseline, ratio, target, verdict. */
export function printTable(figures: Figure[], say: (line: string) => void) {
  const rows = figures.map((figure) => [
    figure.id,
    figure.name,
    format(figure.value, figure.unit),
    figure.p99Ms !== undefined ? `${figure.p99Ms.toFixed(1)} ms` : "",
    figure.baseline ? `${format(figure.baseline.value, figure.unit)} (${figure.baseline.name})` : "",
    figure.ratio !== undefined ? figure.ratio.toFixed(2) : "",
    figure.target,
    figure.met ? "met" : "NOT MET",
  ]);
  const headers = ["figure", "what", "value", "p99", "baseline", "ratio", "target", ""];
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  say("");
  say(line(headers));
  say(line(widths.map((width) => "─".repeat(width))));
  for (const row of rows) say(line(row));
  for (const figure of figures) if (figure.notes) say(`  ${figure.id}: ${figure.notes}`);
}
