/**
 * A deployment that `npm start --keep` left, as its state file records it: where that file is
 * by default, which emulator holds the resources and whether it still answers, and what to tell
 * the user when it does not. An embedded emulator keeps its resources in memory and lives exactly
 * as long as the `npm start` that started it, so a state file can outlive everything it lists.
 */
import { request as httpRequest } from "http";
import { request as httpsRequest } from "https";
import { isAbsolute, join, relative } from "path";
import { EngineState } from "./engine";

/** Where `npm start` keeps state files unless `--state` says otherwise (gitignored). */
export const STATE_DIR = ".pulumi-offline";

/** The state file `--keep` and `--destroy` use without `--state`: `.pulumi-offline/<stack>.json`. */
export function defaultStateFile(projectDir: string, stack: string): string {
  return join(projectDir, STATE_DIR, `${stack}.json`);
}

/** The key of {@link RunNote} in the state's notes. */
export const RUN_NOTE = "npmStart";

/** What `npm start` notes in the state about the run that deploys with it. */
export interface RunNote {
  /** `embedded`: the emulator lived inside that run; `given`: the run's `--endpoint`. */
  emulator: "embedded" | "given";
  /** The endpoint the run gave the program. */
  endpoint: string;
  /** The run's process id (an embedded emulator lives exactly as long as it). */
  pid: number;
  /** When the run started, ISO 8601. */
  started: string;
}

/** What a state file holds, as far as the next run needs to know. */
export interface KeptStack {
  /** Custom resources the state lists (components not counted: nothing holds them). */
  resources: number;
  /** Provider calls that were in flight when the run that wrote it was interrupted. */
  pending: number;
  /** Every endpoint the resources were deployed to (the note's first). */
  endpoints: string[];
  run?: RunNote;
}

function isRunNote(value: unknown): value is RunNote {
  const note = value as RunNote | undefined;
  return (
    typeof note === "object" &&
    note !== null &&
    (note.emulator === "embedded" || note.emulator === "given") &&
    typeof note.endpoint === "string" &&
    typeof note.pid === "number" &&
    typeof note.started === "string"
  );
}

/** The deployment a state holds, or undefined when it holds nothing (no resources, no calls). */
export function keptStack(state: EngineState): KeptStack | undefined {
  const pending = state.pendingOperations?.length ?? 0;
  const resources = state.resources.filter((r) => r.custom !== false).length;
  if (resources === 0 && pending === 0) return undefined;
  const note = state.notes?.[RUN_NOTE];
  const run = isRunNote(note) ? note : undefined;
  const endpoints = new Set<string>(run ? [run.endpoint] : []);
  for (const r of state.resources) {
    const endpoint = r.inputs?.endpoint;
    if (typeof endpoint === "string" && endpoint !== "") endpoints.add(endpoint);
  }
  return {
    resources,
    pending,
    endpoints: [...endpoints],
    ...(run ? { run } : {}),
  };
}

/** Whether two endpoint URLs name the same place (`http://h:1` and `http://h:1/` do). */
export function sameEndpoint(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

/** How long an endpoint may take to answer anything before it counts as gone. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * Why nothing answers at `endpoint` (`connect ECONNREFUSED 127.0.0.1:4599`), or undefined when
 * something does: any HTTP answer counts, the emulator's and AWS's alike.
 */
export function unreachable(endpoint: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return resolve(`${JSON.stringify(endpoint)} is not a URL`);
    }
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(url, { method: "GET", timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(undefined);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer in ${PROBE_TIMEOUT_MS / 1000} s`)));
    req.on("error", (err) => resolve(err.message));
    req.end();
  });
}

/** The first of the state's endpoints where nothing answers, and why; undefined if all do. */
export async function deadEndpoint(
  kept: KeptStack,
): Promise<{ endpoint: string; reason: string } | undefined> {
  const probed = await Promise.all(
    kept.endpoints.map(async (endpoint) => ({ endpoint, reason: await unreachable(endpoint) })),
  );
  const dead = probed.find((p) => p.reason !== undefined);
  return dead && { endpoint: dead.endpoint, reason: dead.reason! };
}

/** Where the explanations send the user, and how to name things for them. */
export interface Situation {
  stack: string;
  stateFile: string;
  /** The flags that select this stack and state again (`--stack dev --state s.json`), or "". */
  selectors: string;
  projectDir: string;
}

/** A path inside the project as the user would type it from there; elsewhere, in full. */
export function shownPath(projectDir: string, file: string): string {
  const inside = relative(projectDir, file);
  return inside && !inside.startsWith("..") && !isAbsolute(inside) ? inside : file;
}

function describe(kept: KeptStack, where: Situation): string {
  const file = shownPath(where.projectDir, where.stateFile);
  const what =
    `${kept.resources} resource${kept.resources === 1 ? "" : "s"}` +
    (kept.pending > 0
      ? ` and ${kept.pending} interrupted call${kept.pending === 1 ? "" : "s"}`
      : "");
  return `stack "${where.stack}" has ${what} in the state file ${file}`;
}

function command(where: Situation, flags: string): string {
  return `npm start -- ${[flags, where.selectors].filter((f) => f !== "").join(" ")}`;
}

/** Nothing answers where the state's resources are: what happened, and what to do. */
export function explainDead(
  kept: KeptStack,
  endpoint: string,
  reason: string,
  where: Situation,
): string {
  const run = kept.run;
  if (run?.emulator === "embedded" && sameEndpoint(run.endpoint, endpoint)) {
    return (
      `${describe(kept, where)}, deployed by an npm start --keep (pid ${run.pid}, started ` +
      `${run.started}) to the emulator it embedded at ${endpoint}. That run has ended (Ctrl-C, ` +
      `or it was stopped), and its emulator with it: nothing answers there (${reason}), and ` +
      `those resources no longer exist.\n` +
      `To start afresh, clear the state: ${command(where, "--destroy")}`
    );
  }
  const port = URL.canParse(endpoint) ? new URL(endpoint).port : "";
  return (
    `${describe(kept, where)}, deployed to ${endpoint}, and nothing answers there (${reason}).\n` +
    `If that emulator was stopped, start it again at that address ` +
    `(npm run emulator -- --port ${port || "PORT"} --data-dir DIR, with the data dir it had) and ` +
    `run this again. If it ran without --data-dir, its resources went with it: delete ` +
    `${where.stateFile} to start afresh.`
  );
}

/** The state's resources live at another, answering endpoint than this run's. */
export function explainElsewhere(kept: KeptStack, endpoint: string, where: Situation): string {
  const run = kept.run;
  const serving =
    run?.emulator === "embedded" && sameEndpoint(run.endpoint, endpoint)
      ? ` on the emulator embedded in npm start --keep (pid ${run.pid}), which still serves at ${endpoint}`
      : ` at ${endpoint}`;
  return (
    `${describe(kept, where)}${serving}: this run would deploy a second copy elsewhere.\n` +
    `To deploy to it again: ${command(where, `--endpoint ${endpoint}`)}; to tear it down: ` +
    `${command(where, "--destroy")}`
  );
}
