/**
 * The program's load as `pulumi preview` and `pulumi up` run it, type-checked against
 * transpile-only in the same run, on the local stack and on the dev stack (target aws, whose
 * program also loads `@pulumi/aws`). Each measurement is a fresh process started as the nodejs
 * language host starts it (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go: the
 * `PULUMI_CONFIG` and `PULUMI_NODEJS_*` environment, then `node @pulumi/pulumi/cmd/run --pwd
 * <project> ... <entry point>`), with the stack's config and the SDK's mock monitor in place
 * of the engine (bench/language-host.js). The SDK's cmd/run registers ts-node itself, from the
 * project's tsconfig; PULUMI_NODEJS_TRANSPILE_ONLY picks the mode, as a user would. The figure is
 * the time from the process's start to the entry point's module having been evaluated (every
 * resource constructed), the CPU time beside it, the median of alternating rounds.
 */
import { spawn } from "child_process";
import { join, resolve } from "path";
import { loadStackConfig, readYaml } from "../offline/stack-config";
import type { BenchReport } from "./index";

const ROOT = resolve(__dirname, "..");
/** The sample stack, and an aws one: only target aws loads `@pulumi/aws` (stack/datastore.ts). */
const STACKS = ["local", "dev"] as const;
type Stack = (typeof STACKS)[number];
const ROUNDS = 3;
/** A run this slow is stuck, not slow (a type-checked load took 80 s on a 2-core machine at load 13). */
const TIMEOUT_MS = 10 * 60_000;

type Mode = "typecheck" | "transpile-only";
interface Load {
  loadMs: number;
  cpuMs: number;
}

/** What the language host sets for the program's process, from Pulumi.yaml and the stack. */
function hostLaunch(stack: Stack): { env: NodeJS.ProcessEnv; args: string[] } {
  const files = loadStackConfig(ROOT, stack);
  const runtime = readYaml(join(ROOT, "Pulumi.yaml")).runtime as {
    options?: { typescript?: boolean; tsconfig?: string };
  };
  // The host hands config over as `<namespace>:config:<name>` (its constructConfig).
  const config = Object.fromEntries(
    Object.entries(files.config).map(([key, value]) => {
      const at = key.indexOf(":");
      return [`${key.slice(0, at)}:config:${key.slice(at + 1)}`, value];
    }),
  );
  // Nothing from this process's own runner (ts-node, node options) or a user's Pulumi settings.
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(PULUMI_|TS_NODE_)/.test(key) && key !== "NODE_OPTIONS",
    ),
  );
  env.PULUMI_CONFIG = JSON.stringify(config);
  env.PULUMI_CONFIG_SECRET_KEYS = "[]";
  if (runtime.options?.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (runtime.options?.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = runtime.options.tsconfig;
  const runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [ROOT] });
  const args = [
    runPath,
    ...["--monitor", "mock", "--project", files.project, "--root-directory", ROOT],
    ...["--stack", stack, "--pwd", ROOT, "--dry-run"],
    files.main,
  ];
  return { env, args };
}

function loadOnce(launch: { env: NodeJS.ProcessEnv; args: string[] }, mode: Mode): Promise<Load> {
  const env = { ...launch.env, PULUMI_NODEJS_TRANSPILE_ONLY: String(mode === "transpile-only") };
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(__dirname, "language-host.js"), ...launch.args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      // The report line is the success: the worker exits right after it, with registrations
      // still in flight, which the SDK's exit hook reports as leaked promises (exit 1).
      const line = stdout.trim().split("\n").pop() ?? "";
      if (line.startsWith("{")) return done(JSON.parse(line) as Load);
      fail(
        new Error(
          `the program did not load (${mode}, exit ${signal ?? code}):\n${stderr.trim() || stdout.trim()}`,
        ),
      );
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export async function run(): Promise<BenchReport> {
  const loads = new Map<string, Load[]>();
  const key = (stack: Stack, mode: Mode) => `${stack} ${mode}`;
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating, and each mode first in turn, so drifting machine load reaches both alike.
    const order: Mode[] =
      round % 2 ? ["transpile-only", "typecheck"] : ["typecheck", "transpile-only"];
    for (const stack of STACKS) {
      const launch = hostLaunch(stack);
      for (const mode of order) {
        const load = await loadOnce(launch, mode);
        loads.set(key(stack, mode), [...(loads.get(key(stack, mode)) ?? []), load]);
      }
    }
  }
  const ms = (stack: Stack, mode: Mode) =>
    median(loads.get(key(stack, mode))!.map((l) => l.loadMs));
  const cpu = (stack: Stack, mode: Mode) =>
    median(loads.get(key(stack, mode))!.map((l) => l.cpuMs));
  const s = (value: number) => `${(value / 1000).toFixed(2)} s`;
  const lines = [
    `index.ts, cmd/run's own ts-node registration; median of ${ROUNDS} processes each:`,
  ];
  const json: Record<string, unknown> = {};
  for (const stack of STACKS) {
    const ratio = ms(stack, "typecheck") / ms(stack, "transpile-only");
    const cpuRatio = cpu(stack, "typecheck") / cpu(stack, "transpile-only");
    lines.push(
      `${stack} stack: type-checked ${s(ms(stack, "typecheck"))} (CPU ${s(cpu(stack, "typecheck"))}), ` +
        `transpile-only ${s(ms(stack, "transpile-only"))} (CPU ${s(cpu(stack, "transpile-only"))}): ` +
        `${ratio.toFixed(2)}x (CPU ${cpuRatio.toFixed(2)}x)`,
    );
    // The sample (local) stack's keys as they were; the aws stack's with a suffix.
    const suffix = stack === "local" ? "" : `_${stack}`;
    Object.assign(json, {
      [`program_load_typecheck_ms${suffix}`]: ms(stack, "typecheck"),
      [`program_load_transpile_only_ms${suffix}`]: ms(stack, "transpile-only"),
      [`program_load_typecheck_ratio${suffix}`]: ratio,
      [`program_load_typecheck_cpu_ms${suffix}`]: cpu(stack, "typecheck"),
      [`program_load_transpile_only_cpu_ms${suffix}`]: cpu(stack, "transpile-only"),
      [`program_load_typecheck_cpu_ratio${suffix}`]: cpuRatio,
    });
  }
  return {
    name: "program load as the nodejs language host runs it, type-checked vs transpile-only",
    lines,
    json: { ...json, rounds: ROUNDS },
  };
}
