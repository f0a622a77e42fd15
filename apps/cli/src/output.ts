import Table from "cli-table3";

/** Where a command writes, and what it knows of the terminal (injected: tests capture both streams). */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org). */
export function colours(io: Io) {
  const on = Boolean(io.stdout.isTTY) && !io.env.NO_COLOR && io.env.TERM !== "dumb";
  const wrap = (open: number, close: number) => (text: string) => (on ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return {
    enabled: on,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

export type Colours = ReturnType<typeof colours>;

/** The API's own shape, pretty-printed: what `--json` promises scripts. */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A human table; cells are stringified, null shown as "–". */
export function printTable(io: Io, head: string[], rows: unknown[][]): void {
  const c = colours(io);
  const table = new Table({
    head: head.map((title) => c.bold(title)),
    style: { head: [], border: [] },
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined ? "–" : String(cell))));
  io.stdout.write(`${table.toString()}\n`);
}

/** The line under a paged table: where this page sits in the whole list. */
export function printPageFooter(io: Io, page: { page: number; totalPages: number; totalCount: number }, noun: string): void {
  io.stdout.write(`page ${page.page} of ${Math.max(page.totalPages, 1)} (${page.totalCount} ${noun})\n`);
}

/** "key: value" lines for one object's summary. */
export function printFields(io: Io, fields: [string, unknown][]): void {
  const c = colours(io);
  const width = Math.max(...fields.map(([name]) => name.length));
  for (const [name, value] of fields)
    io.stdout.write(`${c.dim(`${name.padEnd(width)}`)}  ${value === null || value === undefined ? "–" : String(value)}\n`);
}

/** Colours a rollout or device state the way the dashboard does. */
export function stateColour(c: Colours, state: string): string {
  if (["succeeded", "completed"].includes(state)) return c.green(state);
  if (["failed", "cancelled"].includes(state)) return c.red(state);
  if (["paused", "scheduled", "queued"].includes(state)) return c.yellow(state);
  if (["updating", "in_progress"].includes(state)) return c.cyan(state);
  return state;
}
