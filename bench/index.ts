/**
 * `npm run bench [-- --json] [-- --only NAME]`: runs every `bench/*.bench.ts` module in turn.
 * Each module exports `run(): Promise<BenchReport>`; speed is reported as ratios against a
 * peer and a floor measured in the same run, never as a bare time.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

// The SDK warns once per process that its releases after January 2027 need Node 22; the
// project pins its SDK versions, and the warning would land in the middle of the report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export interface BenchReport {
  name: string;
  /** Human-readable lines, printed as they are. */
  lines: string[];
  /** The same figures as data, for `--json`. */
  json: Record<string, unknown>;
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help")) {
    console.log(
      "usage: npm run bench [-- --json] [-- --only NAME]\n  --json   print one JSON object as the last line\n  --only   run only the benchmark modules whose file name contains NAME",
    );
    return;
  }
  const json = argv.includes("--json");
  const onlyIndex = argv.indexOf("--only");
  const only = onlyIndex >= 0 ? argv[onlyIndex + 1] : undefined;
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith(".bench.ts"))
    .filter((f) => !only || f.includes(only))
    .sort();
  const reports: BenchReport[] = [];
  for (const file of files) {
    const mod = require(join(__dirname, file)) as { run(): Promise<BenchReport> };
    const report = await mod.run();
    reports.push(report);
    if (!json) {
      console.log(`\n## ${report.name}`);
      for (const line of report.lines) console.log(line);
    }
  }
  if (json) console.log(JSON.stringify(Object.fromEntries(reports.map((r) => [r.name, r.json]))));
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
