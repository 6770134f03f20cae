/**
 * `npm run bench [-- [--json] [--only NAME]]`: runs every `bench/*.bench.ts` module in turn.
 * Each module exports `run(): Promise<BenchReport>`; speed is reported as ratios against a
 * peer and a floor measured in the same run, never as a bare time.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseCommandLine, runCommand, UsageError } from "../cli/args";

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

const COMMAND = "npm run bench";
const FLAGS = { json: { type: "boolean" }, only: { type: "string" } } as const;
const HELP = `usage: ${COMMAND} [-- [--json] [--only NAME]]
  --json   print one JSON object as the last line
  --only   run only the benchmark modules whose file name contains NAME`;

async function main(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, FLAGS);
  if (line === "help") {
    console.log(HELP);
    return 0;
  }
  const { json = false, only } = line.values;
  const all = readdirSync(__dirname)
    .filter((f) => f.endsWith(".bench.ts"))
    .sort();
  const files = all.filter((f) => !only || f.includes(only));
  if (files.length === 0)
    throw new UsageError(
      `--only ${JSON.stringify(only)} matches no benchmark; there are: ${all.map((f) => f.replace(".bench.ts", "")).join(", ")}`,
    );
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
  return 0;
}

runCommand(COMMAND, () => main(process.argv.slice(2)));
