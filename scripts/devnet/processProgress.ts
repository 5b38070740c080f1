import { readFileSync, statSync } from "node:fs";

/**
 * A mark that changes while a process works: the size of its log file and the CPU time it used
 * (Linux `/proc/<pid>/stat`, utime and stime). A starting oracle node spends its first seconds
 * loading modules through tsx with no output at all, so output alone would call a slow start
 * stuck on a busy machine; CPU time still moves then. Compare marks, don't parse them.
 */
export function processProgress(pid: number | undefined, logFile: string): string {
  return `${logSize(logFile)}:${pid === undefined ? "" : cpuTicks(pid)}`;
}

function logSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    // Not created yet: no output so far.
    return 0;
  }
}

function cpuTicks(pid: number): string {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    // Not Linux, or the process is gone: its log size is all there is to go by.
    return "";
  }
  // The command name (field 2) may hold spaces and parentheses; the fields after its last ")" start
  // at field 3 (state), so utime (14) and stime (15) are the 12th and 13th of them.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return `${fields[11]}+${fields[12]}`;
}
