/**
 * `npm start`: deploys the workshop stack (index.ts, with the `local` stack's config) to an
 * embedded Personalize emulator, with no Pulumi CLI and no AWS account; prints progress, the
 * stack outputs, the solution version's metrics and recommendations for a few users; then
 * destroys everything. See `--help`.
 */
import { resolve } from "path";
import { GetSolutionMetricsCommand, PersonalizeClient } from "@aws-sdk/client-personalize";
import {
  GetRecommendationsCommand,
  PersonalizeRuntimeClient,
} from "@aws-sdk/client-personalize-runtime";
import { startEmulator } from "../emulator";
import { createDataPlane } from "../emulator/data";
import { csvRecords } from "../schemas/csv";
import { fileChunks } from "../schemas/file-chunks";
import { ApiRecorder, startApiRecorder, StatusReport } from "./api-recorder";
import { OfflineEngine, ResourceState, Step, StepEvent } from "./engine";
import { readStack, stackEngine } from "./stack-config";

// The SDK warns once per process that releases after January 2027 need Node 22; this
// project pins its SDK versions, and the warning would land in the middle of the progress.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const PROJECT_DIR = resolve(__dirname, "..");
const STACK = "local";
const USERS = 3;
const RESULTS = 5;

const USAGE = `usage: npm start [-- options]

Deploys the workshop stack (index.ts, config from Pulumi.local.yaml) to an embedded
Personalize emulator without the Pulumi CLI or an AWS account, prints progress, the stack
outputs, the solution version's metrics and recommendations, then destroys everything.

options:
  --keep                leave the stack deployed (and an embedded emulator serving until Ctrl-C)
  --endpoint URL        use a running emulator (npm run emulator) instead of an embedded one
                        (progress then shows steps only, not each status transition)
  --json                print progress on stderr and one JSON object as the last line of stdout
  --state FILE          keep the deployment state in FILE (useful with --endpoint and --keep)
  --duration-scale N    scale the embedded emulator's lifecycle durations (0 = instant; default 1)
  --users N             recommendations for the first N users of the data file (default ${USERS})
  --help                print this help`;

class UsageError extends Error {}

export interface StartOptions {
  keep: boolean;
  endpoint?: string;
  json: boolean;
  state?: string;
  durationScale?: number;
  users: number;
}

export function parseStartArgs(argv: string[]): StartOptions | "help" {
  const options: StartOptions = { keep: false, json: false, users: USERS };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--help":
      case "-h":
        return "help";
      case "--keep":
        options.keep = true;
        break;
      case "--json":
        options.json = true;
        break;
      case "--endpoint": {
        const url = value();
        if (!/^https?:\/\/[^/]+/.test(url)) {
          throw new UsageError(`--endpoint must be an http(s) URL, not "${url}"`);
        }
        options.endpoint = url;
        break;
      }
      case "--state":
        options.state = resolve(value());
        break;
      case "--duration-scale": {
        const v = value();
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0) {
          throw new UsageError(`--duration-scale must be a number >= 0, not "${v}"`);
        }
        options.durationScale = n;
        break;
      }
      case "--users": {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) {
          throw new UsageError(`--users must be a whole number >= 0, not "${v}"`);
        }
        options.users = n;
        break;
      }
      default:
        throw new UsageError(`unknown option "${flag}"`);
    }
  }
  if (options.durationScale !== undefined && options.endpoint) {
    throw new UsageError("--duration-scale applies to the embedded emulator, not to --endpoint");
  }
  return options;
}

/** What `--json` prints: a stable interface (add keys freely, never rename). */
export interface StartReport {
  ok: boolean;
  endpoint?: string;
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
  // Validated as the program will validate it, so bad config fails before anything starts.
  const files = readStack(PROJECT_DIR, STACK);
  const { region } = files.parsed;

  const emulator = options.endpoint
    ? undefined
    : await startEmulator({
        port: 0,
        dataPlane: createDataPlane,
        ...(options.durationScale !== undefined ? { durationScale: options.durationScale } : {}),
      });
  const endpoint = options.endpoint ?? emulator!.url;
  say(
    emulator
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
  let recorder: ApiRecorder | undefined;
  const report: StartReport = {
    ok: false,
    endpoint,
    resources: [],
    outputs: {},
    metrics: {},
    recommendations: {},
    destroyed: false,
    seconds: 0,
    apiCalls: {},
  };
  let engine: OfflineEngine | undefined;
  // Ctrl-C as the CLI takes it: the first one lets the steps in flight finish and starts no
  // new one; the second stops at once, killing the provider host as the CLI kills its plugins.
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts === 1) {
      say(
        "\nInterrupted: finishing the steps in flight, starting no new ones (Ctrl-C again to stop now)",
      );
      void engine?.cancel();
      return;
    }
    say(
      options.state
        ? `\nStopped. The state is in ${options.state}; run npm start with the same --state to pick up where this stopped.`
        : "\nStopped.",
    );
    void (engine?.kill() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on("SIGINT", onInterrupt);
  try {
    // The stack's endpoint is stored in its state. An embedded emulator lives only as long as
    // this process, so its traffic can go through the recorder; a given --endpoint is used
    // as is, so that a kept stack (--state) still finds it on the next run.
    if (emulator) recorder = await startApiRecorder(endpoint, { onStatus });
    const onEvent = (e: StepEvent) => {
      if (e.op === "same" && e.phase !== "failed") return;
      const what = `${shortType(e.type)} ${e.name}`;
      if (e.phase === "start") progress(`${PRESENT[e.op] ?? e.op} ${what}`);
      else if (e.phase === "done")
        progress(`${PAST[e.op] ?? e.op} ${what} (${e.seconds.toFixed(1)}s)`);
      else progress(`FAILED to ${e.op} ${what} after ${e.seconds.toFixed(1)}s: ${e.error}`);
    };
    engine = stackEngine(files, recorder?.url ?? endpoint, {
      ...(options.state ? { stateFile: options.state } : {}),
      onEvent,
    });

    say(`Deploying stack "${STACK}" of ${files.project} (${files.main})`);
    const up = await engine.up();
    report.outputs = up.outputs;
    report.resources = describeResources(engine.resources(), up.steps);
    say("\nOutputs:");
    for (const [k, v] of Object.entries(up.outputs)) say(`  ${k}: ${JSON.stringify(v)}`);

    const solutionVersionArn = up.outputs.solutionVersionArn;
    if (typeof solutionVersionArn === "string") {
      const personalize = new PersonalizeClient({ region, endpoint, credentials: DUMMY });
      const answer = await personalize.send(new GetSolutionMetricsCommand({ solutionVersionArn }));
      report.metrics = answer.metrics ?? {};
      say(`\nMetrics of ${solutionVersionArn}:`);
      for (const [k, v] of Object.entries(report.metrics)) say(`  ${k}: ${v}`);
    }

    const campaignArn = up.outputs.campaignArn;
    if (typeof campaignArn === "string" && options.users > 0) {
      const path = resolve(PROJECT_DIR, files.parsed.dataFile);
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
    }
    report.ok = true;
  } catch (err) {
    report.error = err instanceof Error ? err.message : String(err);
    if (engine && !options.keep && engine.resources().length > 0) {
      // Leave nothing behind on a failed run either; the first error is the one to report.
      say("\nDestroying what was deployed");
      try {
        await engine.destroy();
        report.destroyed = true;
      } catch (destroyErr) {
        say(`  destroy failed too: ${(destroyErr as Error).message}`);
      }
    }
  } finally {
    process.removeListener("SIGINT", onInterrupt);
    report.apiCalls = countControlPlane(recorder);
    report.seconds = (Date.now() - started) / 1000;
    if (!options.keep || !report.ok) {
      await recorder?.close();
      await emulator?.close();
    }
  }
  if (options.keep && report.ok && emulator) {
    say(`\nThe stack stays deployed; the emulator keeps serving at ${endpoint} (Ctrl-C to stop).`);
  }
  return report;
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
    console.error(`${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  const report = await start(options);
  if (options.json) console.log(JSON.stringify(report));
  if (!report.ok) {
    console.error(`\nnpm start failed: ${report.error}`);
    return 1;
  }
  if (!options.json) console.log(`\nDone in ${report.seconds.toFixed(1)}s.`);
  return 0;
}

if (require.main === module) {
  // Whatever escapes (a rejection nobody awaited) ends the run as a failure with its message,
  // and with --json still as one JSON object, never as a raw stack trace.
  const json = process.argv.includes("--json");
  process.on("unhandledRejection", (err) => {
    const error = err instanceof Error ? err.message : String(err);
    if (json) console.log(JSON.stringify({ ok: false, error }));
    console.error(`\nnpm start failed: ${error}`);
    process.exit(1);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      // With --keep an embedded emulator holds the process open; otherwise exit now rather
      // than wait for idle keep-alive sockets.
      if (code !== 0 || !process.argv.includes("--keep")) process.exit(code);
    },
    (err) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}
