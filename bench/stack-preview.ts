/**
 * `bench/stack-preview.ts FILE`: previews the local stack (`index.ts` through the offline
 * engine, as `pulumi preview -s local` would run it) with `dataFile` set to FILE, and prints
 * one JSON line: how long it took and the planned steps. Run by the validator benchmark in a
 * child process, to preview a data file larger than 2 GiB and read its peak RSS.
 */
import { readStack, stackEngine } from "../offline/stack-config";
import { PROJECT_DIR } from "../stack/workshop";

async function main(file: string): Promise<void> {
  const stack = readStack(PROJECT_DIR, "local");
  // A preview only checks and diffs: nothing reaches the endpoint, so none needs to run.
  const engine = stackEngine(stack, "http://127.0.0.1:9");
  engine.config[`${stack.project}:dataFile`] = file;
  const started = process.hrtime.bigint();
  const plan = await engine.preview();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ seconds, steps: plan.steps.map((s) => `${s.op} ${s.type}`) }));
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
