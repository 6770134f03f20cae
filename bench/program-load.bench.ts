/**
 * The program's load as `pulumi preview` and `pulumi up` run it, type-checked against
 * transpile-only in the same run, on the local stack and on the dev stack (target aws, whose
 * program also loads `@pulumi/aws`). Each measurement is a fresh process started as the nodejs
 * language host starts it (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go: the
 * `PULUMI_CONFIG` and `PULUMI_NODEJS_*` environment, then `node @pulumi/pulumi/cmd/run --pwd
 * <project> ... <entry point>`), with the stack's config and the SDK's mock monitor in place
 * of the engine (bench/language-host.js). The SDK's cmd/run registers ts-node itself, from the
 * tsconfig Pulumi.yaml names, and the program checks its own types (stack/typecheck.ts). The
 * modes, as a user gets them:
 * - `typecheck`: the default, with the check's cache as the run before left it (nothing changed);
 * - `typecheck-edited`: the same after an edit of index.ts (a comment line added);
 * - `typecheck-cold`: the same with empty caches (a first run, or the first after an upgrade);
 * - `ts-node-check`: ts-node checking every module it loads, as the host does for a tsconfig
 *   without `noCheck` and without the project's transpiler (PULUMI_NODEJS_TSCONFIG_PATH names
 *   TS_NODE_TSCONFIG, written into the copy): the peer;
 * - `ts-node-transpile`: the same tsconfig, PULUMI_NODEJS_TRANSPILE_ONLY=true: ts-node's own
 *   transpiler, which keeps nothing between runs (tsconfig.json names stack/cached-transpiler.js,
 *   which keeps each module's output);
 * - `transpile-only`: PULUMI_NODEJS_TRANSPILE_ONLY=true, as CI runs it, with the transpile cache
 *   as the run before left it (a job's second run: its first, after `npm ci`, transpiles): the
 *   floor.
 * The figure is the time from the process's start to the entry point's module having been
 * evaluated (every resource constructed), the CPU time beside it, the median of alternating
 * rounds. The runs load a copy of the project, which the edits change.
 */
import { spawn } from "child_process";
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, relative, resolve } from "path";
import { loadStackConfig, readYaml } from "../offline/stack-config";
import type { BenchReport } from "./index";

const ROOT = resolve(__dirname, "..");
/** The sample stack, and an aws one: only target aws loads `@pulumi/aws` (stack/datastore.ts). */
const STACKS = ["local", "dev"] as const;
type Stack = (typeof STACKS)[number];
const ROUNDS = 3;
/** A run this slow is stuck, not slow (a type-checked load took 80 s on a 2-core machine at load 13). */
const TIMEOUT_MS = 10 * 60_000;

const MODES = [
  "typecheck",
  "typecheck-edited",
  "typecheck-cold",
  "ts-node-check",
  "ts-node-transpile",
  "transpile-only",
] as const;
type Mode = (typeof MODES)[number];
interface Load {
  loadMs: number;
  cpuMs: number;
}

/**
 * tsconfig.json without the project's transpiler (which ts-node refuses beside its check), for
 * the modes that measure ts-node on its own.
 */
const TS_NODE_TSCONFIG = "tsconfig.ts-node.json";

/** How the language host starts the program's process. */
export interface Launch {
  env: NodeJS.ProcessEnv;
  args: string[];
  cwd: string;
}

/** What the language host sets for the program's process, from Pulumi.yaml and the stack. */
export function hostLaunch(stack: string, root = ROOT): Launch {
  const files = loadStackConfig(root, stack);
  const runtime = readYaml(join(root, "Pulumi.yaml")).runtime as {
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
  const runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [root] });
  const args = [
    runPath,
    ...["--monitor", "mock", "--project", files.project, "--root-directory", root],
    ...["--stack", stack, "--pwd", root, "--dry-run"],
    files.main,
  ];
  return { env, args, cwd: root };
}

/**
 * One load of the program, with `env` over the host's environment; fails with what the process
 * printed when the program does not load.
 */
export function loadOnce(launch: Launch, env: NodeJS.ProcessEnv = {}): Promise<Load> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(__dirname, "language-host.js"), ...launch.args], {
      cwd: launch.cwd,
      env: { ...launch.env, ...env },
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
          `the program did not load (exit ${signal ?? code}):\n${stderr.trim() || stdout.trim()}`,
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

/**
 * A copy of the project in a new directory `name` of `parent`, with the project's node_modules
 * linked in: a program that can be edited. Returns its root.
 */
export function projectCopy(parent: string, name = "project"): string {
  const copy = join(parent, name);
  cpSync(ROOT, copy, {
    recursive: true,
    filter: (source) => !/^(node_modules|\.git)$/.test(relative(ROOT, source)),
  });
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"), "dir");
  writeFileSync(
    join(copy, TS_NODE_TSCONFIG),
    JSON.stringify({ extends: "./tsconfig.json", "ts-node": { transpiler: null } }),
  );
  return copy;
}

export async function run(): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), "program-load-"));
  try {
    // A copy per stack: an edit must not reach the other stack's next `typecheck` run.
    const roots = Object.fromEntries(STACKS.map((stack) => [stack, projectCopy(dir, stack)]));
    return await measure(roots as Record<Stack, string>, join(dir, "caches"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(roots: Record<Stack, string>, caches: string): Promise<BenchReport> {
  let cold = 0;
  let edits = 0;
  // The environment each mode adds; the caches are directories of the bench's own.
  // Every mode but the cold one finds the data check's record (stack/datacheck.ts) in place.
  const records = (name: string) => ({ DATA_CHECK_CACHE_DIR: join(caches, name, "data-check") });
  const caching = (name: string) => ({
    TYPECHECK_CACHE_DIR: join(caches, name, "typecheck"),
    TRANSPILE_CACHE_DIR: join(caches, name, "transpile"),
    ...records(name),
  });
  const modeEnv = (stack: Stack, mode: Mode): NodeJS.ProcessEnv => {
    switch (mode) {
      case "typecheck-edited":
        appendFileSync(join(roots[stack], "index.ts"), `// edit ${++edits}\n`);
        return caching(stack);
      case "typecheck":
        return caching(stack);
      case "typecheck-cold":
        return caching(`cold-${cold++}`);
      case "ts-node-check":
        return { ...records(stack), PULUMI_NODEJS_TSCONFIG_PATH: TS_NODE_TSCONFIG };
      case "ts-node-transpile":
        return {
          ...records(stack),
          PULUMI_NODEJS_TSCONFIG_PATH: TS_NODE_TSCONFIG,
          PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        };
      case "transpile-only":
        return { ...caching(stack), PULUMI_NODEJS_TRANSPILE_ONLY: "true" };
    }
  };
  // One unmeasured run per stack leaves the caches a `typecheck` run finds.
  for (const stack of STACKS) {
    await loadOnce(hostLaunch(stack, roots[stack]), modeEnv(stack, "typecheck"));
  }
  const loads = new Map<string, Load[]>();
  const key = (stack: Stack, mode: Mode) => `${stack} ${mode}`;
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating, each mode first in turn, so drifting machine load reaches every mode alike.
    const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]);
    for (const stack of STACKS) {
      const launch = hostLaunch(stack, roots[stack]);
      for (const mode of order) {
        const load = await loadOnce(launch, modeEnv(stack, mode));
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
    const floor = ms(stack, "transpile-only");
    const ratio = (mode: Mode) => ms(stack, mode) / floor;
    const cpuRatio = cpu(stack, "typecheck") / cpu(stack, "transpile-only");
    lines.push(
      `${stack} stack: transpile-only ${s(floor)} (CPU ${s(cpu(stack, "transpile-only"))}); ` +
        `type-checked ${s(ms(stack, "typecheck"))} (CPU ${s(cpu(stack, "typecheck"))}), ` +
        `${ratio("typecheck").toFixed(2)}x; after an edit of index.ts ` +
        `${s(ms(stack, "typecheck-edited"))}, ${ratio("typecheck-edited").toFixed(2)}x; ` +
        `with an empty cache ${s(ms(stack, "typecheck-cold"))}, ` +
        `${ratio("typecheck-cold").toFixed(2)}x; ts-node checking each module ` +
        `${s(ms(stack, "ts-node-check"))}, ${ratio("ts-node-check").toFixed(2)}x; ` +
        `transpile-only with ts-node's own transpiler ${s(ms(stack, "ts-node-transpile"))}, ` +
        `${ratio("ts-node-transpile").toFixed(2)}x`,
    );
    // The sample (local) stack's keys as they were; the aws stack's with a suffix.
    const suffix = stack === "local" ? "" : `_${stack}`;
    Object.assign(json, {
      [`program_load_typecheck_ms${suffix}`]: ms(stack, "typecheck"),
      [`program_load_transpile_only_ms${suffix}`]: floor,
      [`program_load_typecheck_ratio${suffix}`]: ratio("typecheck"),
      [`program_load_typecheck_edited_ms${suffix}`]: ms(stack, "typecheck-edited"),
      [`program_load_typecheck_edited_ratio${suffix}`]: ratio("typecheck-edited"),
      [`program_load_typecheck_cold_ms${suffix}`]: ms(stack, "typecheck-cold"),
      [`program_load_typecheck_cold_ratio${suffix}`]: ratio("typecheck-cold"),
      [`program_load_ts_node_check_ms${suffix}`]: ms(stack, "ts-node-check"),
      [`program_load_ts_node_check_ratio${suffix}`]: ratio("ts-node-check"),
      [`program_load_ts_node_transpile_ms${suffix}`]: ms(stack, "ts-node-transpile"),
      [`program_load_ts_node_transpile_ratio${suffix}`]: ratio("ts-node-transpile"),
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
