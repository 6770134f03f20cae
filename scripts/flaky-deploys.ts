/**
 * `npm run flaky-deploys [-- [--seeds N] [--json]]`: deploys and destroys the workshop stack
 * (the `local` stack, through the offline engine and the real provider host) against an
 * emulator that throttles 30% of the control-plane calls and fails 5% with a 500, once per
 * seed 1..N (default 10), and reports how many runs deployed, destroyed and left nothing
 * behind. Exit 0 when all did.
 */
import { resolve } from "path";
import { PersonalizeClient } from "@aws-sdk/client-personalize";
import { S3Client } from "@aws-sdk/client-s3";
import { numberFlag, parseCommandLine, runCommand } from "../cli/args";
import { startEmulator } from "../emulator";
import { createDataPlane } from "../emulator/data";
import { leftovers } from "../offline/leftovers";
import { readStack, stackEngine } from "../offline/stack-config";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const ROOT = resolve(__dirname, "..");
const FAULTS = { throttleRate: 0.3, errorRate: 0.05 };

interface SeedResult {
  seed: number;
  clean: boolean;
  seconds: number;
  left: string[];
  error?: string;
}

async function runSeed(seed: number): Promise<SeedResult> {
  const started = Date.now();
  const emulator = await startEmulator({
    port: 0,
    durationScale: 0,
    dataPlane: createDataPlane,
    faults: { ...FAULTS, seed },
  });
  const config = {
    endpoint: emulator.url,
    region: "us-east-1",
    credentials: { accessKeyId: "emulator", secretAccessKey: "emulator" },
  };
  const personalize = new PersonalizeClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  let error: string | undefined;
  try {
    const engine = stackEngine(readStack(ROOT, "local"), emulator.url);
    await engine.up();
    await engine.destroy();
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  emulator.setFaults({});
  const left = await leftovers({ personalize, s3 });
  personalize.destroy();
  s3.destroy();
  await emulator.close();
  return {
    seed,
    clean: error === undefined && left.length === 0,
    seconds: (Date.now() - started) / 1000,
    left,
    ...(error === undefined ? {} : { error }),
  };
}

const COMMAND = "npm run flaky-deploys";
const FLAGS = { seeds: { type: "string" }, json: { type: "boolean" } } as const;
const HELP = `usage: ${COMMAND} [-- [--seeds N] [--json]]
  --seeds N  deploy and destroy once per seed 1..N (default 10)
  --json     print the results as one JSON object (the per-seed lines go to stderr)`;

async function main(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, FLAGS);
  if (line === "help") {
    console.log(HELP);
    return 0;
  }
  const { values } = line;
  const seeds = numberFlag("--seeds", values.seeds ?? "10", { min: 1, integer: true });
  const results: SeedResult[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const result = await runSeed(seed);
    results.push(result);
    const what = result.clean
      ? "clean"
      : `NOT clean: ${result.error ?? ""}${result.left.length ? ` left ${result.left.join(", ")}` : ""}`;
    (values.json ? console.error : console.log)(
      `seed ${seed}: ${what} (${result.seconds.toFixed(1)}s)`,
    );
  }
  const clean = results.filter((r) => r.clean).length;
  if (values.json) console.log(JSON.stringify({ faults: FAULTS, seeds, clean, results }));
  else console.log(`${clean} of ${seeds} seeds deployed, destroyed and left nothing behind`);
  return clean === seeds ? 0 : 1;
}

if (require.main === module) runCommand(COMMAND, () => main(process.argv.slice(2)));
