/**
 * `npm start`: deploys a stack of this project (index.ts, by default with the `local` stack's
 * config) to an embedded Personalize emulator, with no Pulumi CLI and no AWS account; prints
 * progress, the stack outputs, the solution version's metrics, the quality gate's table and
 * recommendations for a few users; then destroys everything. It takes your own data
 * (`--data`, `--schema`), any stack's config, a policy pack as `pulumi up --policy-pack` runs
 * one, and tears down what `--keep` left (`--destroy`). See `--help`.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, rmSync, statSync } from "fs";
import { resolve } from "path";
import { GetSolutionMetricsCommand, PersonalizeClient } from "@aws-sdk/client-personalize";
import {
  GetRecommendationsCommand,
  PersonalizeRuntimeClient,
} from "@aws-sdk/client-personalize-runtime";
import {
  numberFlag,
  parseCommandLine,
  urlFlag,
  usageMessage,
  UsageError,
  userPath,
} from "../cli/args";
import { startEmulator } from "../emulator";
import { createDataPlane } from "../emulator/data";
import { csvRecords } from "../schemas/csv";
import { fileChunks } from "../schemas/file-chunks";
import { CONFIG_KEYS, PROJECT } from "../stack/config";
import { ApiRecorder, startApiRecorder, StatusReport } from "./api-recorder";
import { OfflineEngine, PolicyPackSpec, ResourceState, Step, StepEvent } from "./engine";
import {
  deadEndpoint,
  defaultStateFile,
  explainDead,
  explainElsewhere,
  keptStack,
  RUN_NOTE,
  RunNote,
  sameEndpoint,
  shownPath,
  Situation,
} from "./kept-stack";
import { parsePolicyPackConfig, PolicyViolation } from "./policy";
import { urnParts } from "./program";
import { readStack, Stack, stackEngine } from "./stack-config";

// The SDK warns once per process that releases after January 2027 need Node 22; this
// project pins its SDK versions, and the warning would land in the middle of the progress.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const PROJECT_DIR = resolve(__dirname, "..");
const COMMAND = "npm start";
const DEFAULT_STACK = "local";
const USERS = 3;
const RESULTS = 5;

const USAGE = `usage: npm start [-- flags]

Deploys a stack of this project (index.ts) to an embedded Personalize emulator, without the
Pulumi CLI or an AWS account: prints progress, the stack outputs, the solution version's
metrics, the quality gate's table and recommendations, then destroys everything.

Config, each layer over the one before: the defaults in Pulumi.yaml, then Pulumi.<stack>.yaml
(the local stack's unless --stack), then --data, --schema and --config; a local stack's
Personalize and S3 endpoint is always the emulator's. A stack whose target is aws (dev, prod)
is only previewed here, with its own config: the program runs and the policy packs check it,
nothing is deployed.

flags:
  --data FILE           the interactions CSV to import (config dataFile)
  --schema FILE         its Avro schema (config schemaFile)
  --stack NAME          the stack whose Pulumi.NAME.yaml to use (default ${DEFAULT_STACK})
  --config KEY=VALUE    one config value for this run, e.g. --config recipe=aws-sims; a KEY
                        without a namespace is the project's; repeatable; nothing is saved
  --keep                leave the stack deployed, its state in the state file (an embedded
                        emulator keeps serving until Ctrl-C)
  --destroy             tear down what a --keep run left: everything in the state file,
                        then the file
  --state FILE          the state file; without it, --keep, --destroy and --endpoint use
                        .pulumi-offline/<stack>.json, and a run that ends with nothing
                        deployed deletes that file
  --endpoint URL        use a running emulator (npm run emulator) instead of an embedded one
                        (progress then shows steps only, not each status transition)
  --policy-pack DIR     run the CrossGuard policy pack in DIR (e.g. policy) as
                        pulumi up --policy-pack does: a preview first, and a mandatory
                        violation stops the run before anything is created; repeatable
  --policy-pack-config FILE
                        the pack's config (JSON, as pulumi's --policy-pack-config), one per
                        --policy-pack in the same order
  --json                progress on stderr, one JSON object on stdout; with npm, write
                        npm start --silent -- --json so that npm prints nothing of its own
  --duration-scale N    scale the embedded emulator's lifecycle durations (0 = instant; default 1)
  --users N             recommendations for the first N users of the data file (default ${USERS})
  --help                print this help

Relative paths are taken from the directory you run npm in.`;

/** Flags of `npm start`, as util.parseArgs takes them (cli/args.ts). */
const FLAGS = {
  data: { type: "string" },
  schema: { type: "string" },
  stack: { type: "string" },
  config: { type: "string", multiple: true },
  keep: { type: "boolean" },
  destroy: { type: "boolean" },
  state: { type: "string" },
  endpoint: { type: "string" },
  "policy-pack": { type: "string", multiple: true },
  "policy-pack-config": { type: "string", multiple: true },
  json: { type: "boolean" },
  "duration-scale": { type: "string" },
  users: { type: "string" },
} as const;

/** Pulumi's stack names: letters, digits, `-`, `_`, `.` (they also name files here). */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const CONFIG_KEY = /^(?:[A-Za-z][A-Za-z0-9_-]*:)?[A-Za-z][A-Za-z0-9_.-]*$/;

export interface StartOptions {
  /** The stack whose config to use (`Pulumi.<stack>.yaml`). */
  stack: string;
  /** Config on top of the stack's: `--data`, `--schema` and `--config`, keys as given. */
  config: Record<string, string>;
  keep: boolean;
  destroy: boolean;
  endpoint?: string;
  json: boolean;
  /** The `--state` file, absolute. */
  state?: string;
  durationScale?: number;
  users: number;
  /** `--policy-pack` directories with their parsed `--policy-pack-config`, if any. */
  policyPacks: PolicyPackSpec[];
}

/** `util.parseArgs`-style flags to options; every problem is a UsageError naming it. */
export function parseStartArgs(argv: string[]): StartOptions | "help" {
  const parsed = parseCommandLine(argv, FLAGS);
  if (parsed === "help") return "help";
  const { values } = parsed;
  const options: StartOptions = {
    stack: values.stack ?? DEFAULT_STACK,
    config: {},
    keep: values.keep ?? false,
    destroy: values.destroy ?? false,
    json: values.json ?? false,
    users:
      values.users === undefined
        ? USERS
        : numberFlag("--users", values.users, { integer: true, min: 0 }),
    policyPacks: [],
  };
  if (!STACK_NAME.test(options.stack)) {
    throw new UsageError(
      `--stack must be a stack name (letters, digits, "-", "_", "."), got ${JSON.stringify(options.stack)}`,
    );
  }
  if (values.endpoint !== undefined) options.endpoint = urlFlag("--endpoint", values.endpoint);
  if (values.state !== undefined) options.state = userPath(values.state);
  if (values["duration-scale"] !== undefined) {
    options.durationScale = numberFlag("--duration-scale", values["duration-scale"], { min: 0 });
  }
  for (const pair of values.config ?? []) {
    const [key, value] = splitPair(pair);
    options.config[key] = value;
  }
  if (values.data !== undefined) options.config.dataFile = readableFile("--data", values.data);
  if (values.schema !== undefined) {
    options.config.schemaFile = readableFile("--schema", values.schema);
  }
  const packs = values["policy-pack"] ?? [];
  const packConfigs = values["policy-pack-config"] ?? [];
  if (packConfigs.length > 0 && packConfigs.length !== packs.length) {
    throw new UsageError(
      `--policy-pack-config must be given once per --policy-pack (${packs.length}), got ${packConfigs.length}`,
    );
  }
  options.policyPacks = packs.map((dir, i) => ({
    dir: userPath(dir),
    ...(packConfigs[i] === undefined ? {} : { config: packConfig(packConfigs[i]) }),
  }));

  if (options.durationScale !== undefined && options.endpoint) {
    throw new UsageError("--duration-scale applies to the embedded emulator, not to --endpoint");
  }
  if (options.destroy) {
    const pointless = (
      [
        ["--keep", options.keep],
        ["--data", values.data !== undefined],
        ["--schema", values.schema !== undefined],
        ["--config", values.config !== undefined],
        ["--policy-pack", packs.length > 0],
        ["--duration-scale", options.durationScale !== undefined],
        ["--users", values.users !== undefined],
      ] as const
    ).filter(([, given]) => given);
    if (pointless.length > 0) {
      throw new UsageError(
        `--destroy deletes what the state file lists and runs nothing else, so ${pointless
          .map(([flag]) => flag)
          .join(", ")} cannot go with it`,
      );
    }
  }
  return options;
}

/**
 * `KEY=VALUE` of `--config`. A key of this project's (with or without its namespace) must be
 * one the program reads, so that a typo fails here instead of changing nothing.
 */
function splitPair(pair: string): [string, string] {
  const eq = pair.indexOf("=");
  const key = eq < 0 ? pair : pair.slice(0, eq);
  if (eq < 0 || !CONFIG_KEY.test(key)) {
    throw new UsageError(`--config must be KEY=VALUE, got ${JSON.stringify(pair)}`);
  }
  const [namespace, name] = key.includes(":") ? key.split(":") : [PROJECT, key];
  if (namespace === PROJECT && !(CONFIG_KEYS as readonly string[]).includes(name)) {
    throw new UsageError(
      `--config ${JSON.stringify(key)}: ${name} is no config key of ${PROJECT} (${CONFIG_KEYS.join(", ")})`,
    );
  }
  return [key, pair.slice(eq + 1)];
}

/** The absolute path of a file the user named, which must be a readable file. */
function readableFile(flag: string, path: string): string {
  const file = userPath(path);
  let why: string | undefined;
  try {
    accessSync(file, constants.R_OK);
    if (statSync(file).isDirectory()) why = "it is a directory";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    why = code === "ENOENT" ? "no such file" : (err as Error).message;
  }
  if (why) throw new UsageError(`${flag} ${JSON.stringify(path)} cannot be read: ${why}`);
  return file;
}

function packConfig(path: string): PolicyPackSpec["config"] {
  const file = readableFile("--policy-pack-config", path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(
      `--policy-pack-config ${JSON.stringify(path)} is not JSON: ${(err as Error).message}`,
    );
  }
  try {
    return parsePolicyPackConfig(json);
  } catch (err) {
    throw new UsageError(`--policy-pack-config ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}

/** A policy violation as `--json` reports it: the pack's fields and the resource's. */
export interface ReportedViolation extends PolicyViolation {
  /** The resource's short type (`personalize:Solution`); absent for the stack itself. */
  type?: string;
  name?: string;
}

/** What `--json` prints: a stable interface (add keys freely, never rename). */
export interface StartReport {
  ok: boolean;
  /** What the run did: deploy (and destroy unless --keep), preview only, or destroy. */
  operation: "deploy" | "preview" | "destroy";
  stack: string;
  endpoint?: string;
  /** The state file the run used, if any. */
  stateFile?: string;
  /** Deployed (deploy), or in the state file (destroy). */
  resources: { type: string; name: string; arn?: string; status?: string; seconds: number }[];
  outputs: Record<string, unknown>;
  metrics: Record<string, number>;
  recommendations: Record<string, string[]>;
  destroyed: boolean;
  seconds: number;
  /**
   * Personalize control-plane calls by operation, as the providers made them (embedded
   * emulator only; with --endpoint the calls are not observed).
   */
  apiCalls: Record<string, number>;
  /** What the policy packs reported, each violation once. */
  policyViolations: ReportedViolation[];
  /**
   * The quality gate's decision, when the stack has one: its verdict, the version it approved
   * and that version's metrics, its settings and the bar, and the table as text (new vs
   * serving). A gate that fails ends the run: its table is then in `error`.
   */
  qualityGate?: {
    verdict: string;
    approvedVersionArn: string;
    approvedMetrics: Record<string, number>;
    metric: string;
    minimum: number;
    maxDrop: number;
    threshold: number;
    report: string;
  };
  /** The steps a preview planned (with --policy-pack, and for a stack that targets aws). */
  plan?: { op: string; type: string; name: string }[];
  error?: string;
}

/** `pulumi-nodejs:dynamic/personalize:DatasetGroup` -> `personalize:DatasetGroup`. */
function shortType(type: string): string {
  return type.replace(/^pulumi-nodejs:dynamic\//, "");
}

const PAST: Record<string, string> = {
  create: "created",
  update: "updated",
  replace: "replaced",
  delete: "deleted",
  "delete-replaced": "deleted (replaced)",
  same: "unchanged",
  refresh: "refreshed",
};
const PRESENT: Record<string, string> = {
  create: "creating",
  update: "updating",
  replace: "replacing",
  delete: "deleting",
  "delete-replaced": "deleting (replaced)",
  same: "checking",
  refresh: "refreshing",
};

/**
 * The first `count` distinct USER_IDs of the interactions CSV (text, or the file's bytes in
 * pieces, e.g. `fileChunks(path)`), read only as far as needed.
 */
export function firstUsers(csv: string | Iterable<Uint8Array>, count: number): string[] {
  const users = new Set<string>();
  let column = -1;
  for (const record of csvRecords(typeof csv === "string" ? [csv] : csv)) {
    if (column < 0) {
      const header = Array.from({ length: record.count }, (_, i) => record.field(i));
      column = header.map((c) => c.trim().toUpperCase()).indexOf("USER_ID");
      if (column < 0) {
        throw new Error(`the data file has no USER_ID column (header: ${header.join(",")})`);
      }
      continue;
    }
    if (users.size >= count) break;
    const user = record.count > column ? record.field(column).trim() : "";
    if (user) users.add(user);
  }
  return [...users];
}

/**
 * The state file a run uses: `--state`; else the stack's default file when the run keeps the
 * stack, destroys it, deploys to a given endpoint (whose resources outlive this process), or
 * when that file already records a deployment; else none (the state lives in memory).
 */
export function stateFileFor(options: StartOptions, projectDir = PROJECT_DIR): string | undefined {
  if (options.state) return options.state;
  const file = defaultStateFile(projectDir, options.stack);
  return options.keep || options.destroy || options.endpoint || existsSync(file) ? file : undefined;
}

/** Reads the stack, naming the stacks there are when its file is missing. */
function stackOf(options: StartOptions): Stack {
  if (!existsSync(resolve(PROJECT_DIR, `Pulumi.${options.stack}.yaml`))) {
    const stacks = readdirSync(PROJECT_DIR)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined);
    throw new UsageError(
      `--stack ${JSON.stringify(options.stack)} has no Pulumi.${options.stack}.yaml (stacks here: ${stacks.join(", ")})`,
    );
  }
  return readStack(PROJECT_DIR, options.stack, options.config);
}

export async function start(options: StartOptions): Promise<StartReport> {
  const started = Date.now();
  // A closed pipe (`npm start | head`) stops the printing, not the run: what was deployed
  // must still be destroyed.
  let closed = false;
  const say = (line: string) => {
    if (closed) return;
    try {
      if (options.json) console.error(line);
      else console.log(line);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EPIPE") throw err;
      closed = true;
    }
  };
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      closed = true;
    });
  }
  // Progress lines carry the time since start, so a slow step stands out.
  const progress = (line: string) =>
    say(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);

  const report: StartReport = {
    ok: false,
    operation: options.destroy ? "destroy" : "deploy",
    stack: options.stack,
    resources: [],
    outputs: {},
    metrics: {},
    recommendations: {},
    destroyed: false,
    seconds: 0,
    apiCalls: {},
    policyViolations: [],
  };
  const run = new StartRun(options, report, say, progress);
  try {
    await run.go();
  } catch (err) {
    // Refused before anything started: the caller reports it as a usage error.
    if (err instanceof UsageError) throw err;
    report.error = err instanceof Error ? err.message : String(err);
  } finally {
    report.seconds = (Date.now() - started) / 1000;
  }
  return report;
}

/** One `npm start`: the stack, its engine and emulator, and what the report collects. */
class StartRun {
  private readonly stateFile: string | undefined;
  private stack!: Stack;
  private engine?: OfflineEngine;
  private recorder?: ApiRecorder;
  private emulator?: Awaited<ReturnType<typeof startEmulator>>;
  private readonly shown = new Set<string>();
  private interrupts = 0;

  constructor(
    private readonly options: StartOptions,
    private readonly report: StartReport,
    private readonly say: (line: string) => void,
    private readonly progress: (line: string) => void,
  ) {
    this.stateFile = stateFileFor(options);
    if (this.stateFile) report.stateFile = this.stateFile;
  }

  async go(): Promise<void> {
    // Validated as the program will validate it, so bad config fails before anything starts.
    this.stack = stackOf(this.options);
    if (this.options.destroy) return this.destroyKept();
    if (this.stack.parsed.target === "aws") return this.previewOnly();
    return this.deploy();
  }

  private situation(): Situation {
    const selectors = [
      ...(this.options.stack !== DEFAULT_STACK ? [`--stack ${this.options.stack}`] : []),
      ...(this.options.state ? [`--state ${this.options.state}`] : []),
    ];
    return {
      stack: this.options.stack,
      stateFile: this.stateFile ?? defaultStateFile(PROJECT_DIR, this.options.stack),
      selectors: selectors.join(" "),
      projectDir: PROJECT_DIR,
    };
  }

  private newEngine(endpoint: string | undefined): OfflineEngine {
    const engine = stackEngine(this.stack, endpoint, {
      ...(this.stateFile ? { stateFile: this.stateFile } : {}),
      onEvent: (e) => this.onEvent(e),
      onLog: (line) => this.say(line),
      policyPacks: this.options.policyPacks,
      onPolicyViolation: (v) => this.onViolation(v),
    });
    this.engine = engine;
    return engine;
  }

  private onEvent(e: StepEvent): void {
    if (e.op === "same" && e.phase !== "failed") return;
    const what = `${shortType(e.type)} ${e.name}`;
    if (e.preview) {
      if (e.phase !== "done") return;
      (this.report.plan ??= []).push({ op: e.op, type: shortType(e.type), name: e.name });
      this.progress(`  would ${e.op} ${what}`);
    } else if (e.phase === "start") this.progress(`${PRESENT[e.op] ?? e.op} ${what}`);
    else if (e.phase === "done")
      this.progress(`${PAST[e.op] ?? e.op} ${what} (${e.seconds.toFixed(1)}s)`);
    else this.progress(`FAILED to ${e.op} ${what} after ${e.seconds.toFixed(1)}s: ${e.error}`);
  }

  /** Each violation once, as the CLI lists them: pack, level, policy, resource, message. */
  private onViolation(v: PolicyViolation): void {
    const key = JSON.stringify([v.policyPackName, v.policyName, v.urn, v.message]);
    if (this.shown.has(key)) return;
    this.shown.add(key);
    const resource = v.urn ? urnParts(v.urn) : undefined;
    this.report.policyViolations.push({
      ...v,
      ...(resource ? { type: shortType(resource.type), name: resource.name } : {}),
    });
    const where = resource ? `${shortType(resource.type)} ${resource.name}` : "the stack";
    this.progress(
      `policy ${v.policyPackName}@v${v.policyPackVersion} [${v.enforcementLevel}] ${v.policyName} (${where})`,
    );
    for (const line of v.message.split("\n")) this.say(`          ${line}`);
  }

  /**
   * A deployment the state file records stands in the way unless this run deploys to the same,
   * answering, endpoint. Returns the endpoint the state's resources are at, if any.
   */
  private async checkKept(engine: OfflineEngine): Promise<string | undefined> {
    const kept = keptStack(engine.getState());
    if (!kept) return undefined;
    const dead = await deadEndpoint(kept);
    if (dead) throw new Error(explainDead(kept, dead.endpoint, dead.reason, this.situation()));
    const at = kept.endpoints[0];
    if (at !== undefined && !(this.options.endpoint && sameEndpoint(this.options.endpoint, at))) {
      throw new Error(explainElsewhere(kept, at, this.situation()));
    }
    return at;
  }

  /** `--destroy`: deletes what the state file lists, with the providers stored in it. */
  private async destroyKept(): Promise<void> {
    const path = this.stateFile!;
    const file = shownPath(PROJECT_DIR, path);
    if (!existsSync(path)) {
      this.say(`Nothing to destroy: there is no state file ${file}.`);
      this.report.ok = true;
      return;
    }
    const engine = this.newEngine(undefined);
    const kept = keptStack(engine.getState());
    if (!kept) {
      this.say(`Nothing to destroy: the state file ${file} lists no resources.`);
      rmSync(path, { force: true });
      this.report.ok = true;
      return;
    }
    this.report.resources = describeResources(engine.resources(), []);
    const dead = await deadEndpoint(kept);
    if (dead) {
      // An embedded emulator's resources lived in its memory: with it gone, so are they.
      if (
        kept.run?.emulator === "embedded" &&
        kept.endpoints.every((e) => sameEndpoint(e, kept.run!.endpoint))
      ) {
        rmSync(path, { force: true });
        this.say(
          `The ${kept.resources} resources of stack "${this.options.stack}" were on the emulator ` +
            `that npm start --keep (pid ${kept.run.pid}) embedded at ${kept.run.endpoint}; it ` +
            `stopped with that run, and they with it. Nothing is left to delete: removed the state file ${file}.`,
        );
        this.report.destroyed = true;
        this.report.ok = true;
        return;
      }
      throw new Error(explainDead(kept, dead.endpoint, dead.reason, this.situation()));
    }
    const at = kept.endpoints[0];
    if (this.options.endpoint && at !== undefined && !sameEndpoint(this.options.endpoint, at)) {
      throw new Error(
        `--endpoint ${this.options.endpoint} is not where the state's resources are (${at}); ` +
          `--destroy deletes them where they are, so leave --endpoint out or give ${at}`,
      );
    }
    if (at !== undefined) this.report.endpoint = at;
    this.say(`Destroying stack "${this.options.stack}" (${kept.resources} resources in ${file})`);
    await this.withInterrupts(() => engine.destroy());
    this.report.destroyed = true;
    this.report.ok = true;
    this.forgetIfEmpty();
  }

  /** A stack that targets AWS: previewed with the policy packs, never deployed from here. */
  private async previewOnly(): Promise<void> {
    this.report.operation = "preview";
    for (const [flag, given] of [
      ["--keep", this.options.keep],
      ["--endpoint", this.options.endpoint !== undefined],
      ["--state", this.options.state !== undefined],
      ["--duration-scale", this.options.durationScale !== undefined],
    ] as const) {
      if (given) {
        throw new UsageError(
          `stack "${this.options.stack}" targets aws, which npm start only previews, so ${flag} does not apply`,
        );
      }
    }
    const engine = this.newEngine(undefined);
    this.say(
      `Stack "${this.options.stack}" targets aws: previewing it${this.packsText()}; nothing is ` +
        `deployed (pulumi up -s ${this.options.stack} does that)`,
    );
    await this.withInterrupts(() => engine.preview());
    this.report.ok = true;
  }

  private packsText(): string {
    const packs = this.options.policyPacks;
    return packs.length === 0
      ? ""
      : ` with the policy pack${packs.length > 1 ? "s" : ""} ${packs.map((p) => p.dir).join(", ")}`;
  }

  private async deploy(): Promise<void> {
    const { options, report, say, progress } = this;
    const engine = this.newEngine(undefined);
    const keptAt = await this.checkKept(engine);
    const { region } = this.stack.parsed;

    this.emulator = options.endpoint
      ? undefined
      : await startEmulator({
          port: 0,
          dataPlane: createDataPlane,
          ...(options.durationScale !== undefined ? { durationScale: options.durationScale } : {}),
        });
    const endpoint = options.endpoint ?? this.emulator!.url;
    report.endpoint = endpoint;
    say(
      this.emulator
        ? `Embedded Personalize emulator at ${endpoint}`
        : `Using the Personalize endpoint ${endpoint}`,
    );
    // Status transitions, as the providers' own Describe calls reveal them.
    const seen = new Map<string, { status: string; since: number }>();
    const onStatus = (r: StatusReport) => {
      const last = seen.get(r.arn);
      if (last?.status === r.status) return;
      const now = Date.now();
      const took = last ? ` after ${((now - last.since) / 1000).toFixed(1)}s` : "";
      seen.set(r.arn, { status: r.status, since: now });
      const reason = r.failureReason ? `: ${r.failureReason}` : "";
      progress(
        `  ${r.kind} ${r.name ?? r.arn}: ${last ? `${last.status} -> ` : ""}${r.status}${took}${reason}`,
      );
    };
    try {
      // The stack's endpoint is stored in its state. An embedded emulator lives only as long as
      // this process, so its traffic can go through the recorder; a given --endpoint is used
      // as is (or as the kept state has it), so that a kept stack still finds it next time.
      if (this.emulator) this.recorder = await startApiRecorder(endpoint, { onStatus });
      const programEndpoint = this.recorder?.url ?? keptAt ?? endpoint;
      engine.config[`${this.stack.project}:endpoint`] = programEndpoint;
      const note: RunNote = {
        emulator: this.emulator ? "embedded" : "given",
        endpoint: programEndpoint,
        pid: process.pid,
        started: new Date().toISOString(),
      };
      engine.note(RUN_NOTE, note);

      if (options.policyPacks.length > 0) {
        // `pulumi up` previews first: a mandatory violation ends the run before any step.
        say(`Previewing stack "${options.stack}"${this.packsText()}`);
        await this.withInterrupts(() => engine.preview());
      }
      say(`Deploying stack "${options.stack}" of ${this.stack.project} (${this.stack.main})`);
      const up = await this.withInterrupts(() => engine.up());
      report.outputs = up.outputs;
      report.resources = describeResources(engine.resources(), up.steps);
      say("\nOutputs:");
      for (const [k, v] of Object.entries(up.outputs)) say(`  ${k}: ${JSON.stringify(v)}`);

      const solutionVersionArn = up.outputs.solutionVersionArn;
      if (typeof solutionVersionArn === "string") {
        const personalize = new PersonalizeClient({ region, endpoint, credentials: DUMMY });
        const answer = await personalize.send(
          new GetSolutionMetricsCommand({ solutionVersionArn }),
        );
        report.metrics = answer.metrics ?? {};
        say(`\nMetrics of ${solutionVersionArn}:`);
        for (const [k, v] of Object.entries(report.metrics)) say(`  ${k}: ${v}`);
      }

      const gate = engine.resources("QualityGate")[0]?.outputs;
      if (gate && typeof gate.report === "string") {
        report.qualityGate = {
          verdict: gate.verdict as string,
          approvedVersionArn: gate.approvedVersionArn as string,
          approvedMetrics: gate.approvedMetrics as Record<string, number>,
          metric: gate.metric as string,
          minimum: gate.minimum as number,
          maxDrop: gate.maxDrop as number,
          threshold: gate.threshold as number,
          report: gate.report,
        };
        const [title, ...rows] = gate.report.split("\n");
        say(`\n${title}`);
        for (const row of rows) say(`  ${row}`);
      }

      const campaignArn = up.outputs.campaignArn;
      if (typeof campaignArn === "string" && options.users > 0) {
        const path = resolve(PROJECT_DIR, this.stack.parsed.dataFile);
        const runtime = new PersonalizeRuntimeClient({ region, endpoint, credentials: DUMMY });
        say(`\nRecommendations from ${campaignArn}:`);
        for (const userId of firstUsers(fileChunks(path), options.users)) {
          const answer = await runtime.send(
            new GetRecommendationsCommand({ campaignArn, userId, numResults: RESULTS }),
          );
          const items = (answer.itemList ?? []).map((i) => i.itemId ?? "");
          report.recommendations[userId] = items;
          say(`  user ${userId}: ${items.join(", ")}`);
        }
      }

      if (!options.keep) {
        say("\nDestroying the stack");
        await engine.destroy();
        report.destroyed = true;
        this.forgetIfEmpty();
      }
      report.ok = true;
    } catch (err) {
      if (!options.keep && engine.resources().length > 0) {
        // Leave nothing behind on a failed run either; the first error is the one to report.
        say("\nDestroying what was deployed");
        try {
          await engine.destroy();
          report.destroyed = true;
          this.forgetIfEmpty();
        } catch (destroyErr) {
          say(`  destroy failed too: ${(destroyErr as Error).message}`);
        }
      }
      throw err;
    } finally {
      report.apiCalls = countControlPlane(this.recorder);
      if (!options.keep || !report.ok) await this.close();
      if (options.keep && this.stateFile && engine.resources().length > 0) {
        say(
          `\nThe state is in ${shownPath(PROJECT_DIR, this.stateFile)}; npm start -- --destroy${this.selectorFlags()} tears the stack down.`,
        );
      }
    }
    if (options.keep && this.emulator) {
      say(
        `\nThe stack stays deployed; the emulator keeps serving at ${endpoint} until Ctrl-C, and ` +
          `what it holds goes with it.`,
      );
      this.serveUntilInterrupted();
    }
  }

  private selectorFlags(): string {
    const s = this.situation().selectors;
    return s ? ` ${s}` : "";
  }

  /** The embedded emulator of a --keep run, until Ctrl-C: then it stops, and the process. */
  private serveUntilInterrupted(): void {
    process.once("SIGINT", () => {
      this.say(
        `\nStopping the emulator: the stack's resources go with it. Clear the state with ` +
          `npm start -- --destroy${this.selectorFlags()}`,
      );
      void this.close().finally(() => process.exit(130));
    });
  }

  private async close(): Promise<void> {
    await this.recorder?.close();
    await this.emulator?.close();
  }

  /**
   * The state file goes once the stack is gone, so the next run starts clean: after --destroy
   * always, after a deploy only the default file (a --state file is the user's to keep).
   */
  private forgetIfEmpty(): void {
    const file = this.stateFile;
    if (!file || (this.options.state && !this.options.destroy) || !this.engine) return;
    const state = this.engine.getState();
    if (state.resources.length === 0 && !(state.pendingOperations ?? []).length) {
      rmSync(file, { force: true });
    }
  }

  /**
   * Runs an operation with Ctrl-C as the CLI takes it: the first lets the steps in flight finish
   * and starts no new one; the second stops at once, killing the provider host as the CLI kills
   * its plugins.
   */
  private async withInterrupts<T>(operation: () => Promise<T>): Promise<T> {
    const onInterrupt = () => {
      this.interrupts += 1;
      if (this.interrupts === 1) {
        this.say(
          "\nInterrupted: finishing the steps in flight, starting no new ones (Ctrl-C again to stop now)",
        );
        void this.engine?.cancel();
        return;
      }
      this.say(`\nStopped.${this.afterStop()}`);
      void (this.engine?.kill() ?? Promise.resolve()).finally(() => process.exit(130));
    };
    process.on("SIGINT", onInterrupt);
    try {
      return await operation();
    } finally {
      process.removeListener("SIGINT", onInterrupt);
    }
  }

  /** What a user can do after a hard stop, as far as the state allows. */
  private afterStop(): string {
    if (!this.stateFile) return "";
    const flags = this.selectorFlags();
    return this.emulator
      ? ` The embedded emulator stops with this run, and what it held with it; clear the state ` +
          `(${shownPath(PROJECT_DIR, this.stateFile)}) with npm start -- --destroy${flags}.`
      : ` The state is in ${shownPath(PROJECT_DIR, this.stateFile)}: npm start with the same flags picks up where this ` +
          `stopped, npm start -- --destroy${flags} tears it down.`;
  }
}

const DUMMY = { accessKeyId: "emulator", secretAccessKey: "emulator" };

function countControlPlane(recorder: ApiRecorder | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of recorder?.calls ?? []) {
    if (c.service === "personalize") counts[c.operation] = (counts[c.operation] ?? 0) + 1;
  }
  return counts;
}

function describeResources(resources: ResourceState[], steps: Step[]): StartReport["resources"] {
  return resources.map((r) => {
    const arn = r.outputs.arn ?? r.outputs.s3Uri;
    const status = r.outputs.status;
    return {
      type: shortType(r.type),
      name: r.name,
      ...(typeof arn === "string" ? { arn } : {}),
      ...(typeof status === "string" ? { status } : {}),
      seconds: steps
        .filter((s) => s.urn === r.urn && s.op !== "delete-replaced")
        .reduce((sum, s) => sum + s.seconds, 0),
    };
  });
}

async function main(argv: string[]): Promise<number> {
  let options: StartOptions | "help";
  try {
    options = parseStartArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const json = argv.includes("--json");
    if (json) console.log(JSON.stringify({ ok: false, error: err.message }));
    console.error(usageMessage(COMMAND, err.message));
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  let report: StartReport;
  try {
    report = await start(options);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (options.json) console.log(JSON.stringify({ ok: false, error: err.message }));
    console.error(usageMessage(COMMAND, err.message));
    return 2;
  }
  if (options.json) console.log(JSON.stringify(report));
  if (!report.ok) {
    console.error(`\n${COMMAND} failed: ${report.error}`);
    return 1;
  }
  if (!options.json) console.log(`\nDone in ${report.seconds.toFixed(1)}s.`);
  // With --keep an embedded emulator serves on until Ctrl-C: the process stays.
  const serving = report.operation === "deploy" && options.keep && !options.endpoint;
  return serving ? SERVING : 0;
}

/** What main returns while a kept embedded emulator holds the process open. */
const SERVING = -1;

if (require.main === module) {
  // Whatever escapes (a rejection nobody awaited) ends the run as a failure with its message,
  // and with --json still as one JSON object, never as a raw stack trace.
  const json = process.argv.includes("--json");
  process.on("unhandledRejection", (err) => {
    const error = err instanceof Error ? err.message : String(err);
    if (json) console.log(JSON.stringify({ ok: false, error }));
    console.error(`\n${COMMAND} failed: ${error}`);
    process.exit(1);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      // Exit now rather than wait for idle keep-alive sockets, unless an emulator serves on.
      if (code !== SERVING) process.exit(code);
    },
    (err) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}
