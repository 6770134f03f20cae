/**
 * Preloaded into a benchmark's child process (`node -r ts-node/register/transpile-only -r
 * bench/peak-rss.ts ...`): at exit it writes the process's peak resident set size to stderr as
 * `peak-rss-kb N`, which the parent reads (`peakRssOf`). The child is the real command, run as
 * npm would run it, with nothing of the parent's memory in the figure.
 */
process.on("exit", () => {
  process.stderr.write(`\npeak-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
