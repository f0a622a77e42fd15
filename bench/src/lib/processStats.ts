import { readFileSync } from "node:fs";

/** CPU seconds (user + system) and peak resident memory of a process, read from /proc (Linux). */
export interface ProcessStats {
  cpuSeconds: number;
  peakRssMb: number;
  rssMb: number;
}

const CLOCK_TICKS_PER_SECOND = 100; // sysconf(_SC_CLK_TCK) on every Linux this runs on

export function readProcessStats(pid: number): ProcessStats {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return { cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_SECOND, peakRssMb: kb("VmHWM") / 1024, rssMb: kb("VmRSS") / 1024 };
}
