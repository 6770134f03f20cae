/**
 * Preloaded into a benchmark's child process (`node -r ts-node/register/transpile-only -r
 * bench/peak-rss.ts ...`): at exit it writes the process's peak resident set size to stderr as
 * `peak-rss-kb N`, which the parent reads (`peakRssOf`). The child is the real command, run as
 * npm would run it, with nothing of the parent's memory in the figure.
 *
 * On Linux the figure is `VmHWM` of /proc/self/status, the high-water mark of this process's
 * own memory. `getrusage`'s `ru_maxrss` (Node's `resourceUsage().maxRSS`) is no use here: a
 * spawned child starts as a fork of its parent, and exec keeps the fork's high-water mark
 * (`setmax_mm_hiwater_rss` in `exec_mmap`, fs/exec.c in torvalds/linux), so a child of a parent
 * holding 500 MB reports at least 500 MB. Elsewhere, where there is no /proc, `maxRSS` it is.
 */
import { readFileSync } from "fs";

/** The peak resident set size of this process, in KiB. */
function peakRssKb(): number {
  try {
    const hwm = /^VmHWM:\s*(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (hwm) return Number(hwm[1]);
  } catch {
    // No /proc: not Linux.
  }
  return process.resourceUsage().maxRSS;
}

process.on("exit", () => {
  process.stderr.write(`\npeak-rss-kb ${peakRssKb()}\n`);
});
