import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { createDataPlane } from "../../emulator/data";
import { ApiCall, ApiRecorder, startApiRecorder } from "../../offline/api-recorder";
import { startTestEmulator, TestEmulator } from "../support/emulator";
import { leftovers } from "../../offline/leftovers";

// `npm start --keep --state S` killed outright (SIGKILL of its process group and of the
// provider host's) at each resource of the pipeline, just after the service accepted its
// create and before the answer reached the provider (the worst moment: the resource exists,
// the state knows nothing of it), then run again with the same state: the second run must
// converge, and its destroy must leave nothing behind.
const ROOT = resolve(__dirname, "../..");
const START = ["-r", "ts-node/register/transpile-only", join(ROOT, "offline/start.ts")];

/** The pipeline, in the order of its creates: the call that creates each resource. */
const PHASES: [string, (call: ApiCall) => boolean][] = [
  ["LocalBucket", (c) => c.service === "s3" && /^PUT \/[^/]+\/?$/.test(c.operation)],
  ["LocalObject", (c) => c.service === "s3" && /^PUT \/[^/]+\/.+/.test(c.operation)],
  ...[
    "DatasetGroup",
    "Schema",
    "Dataset",
    "DatasetImportJob",
    "Solution",
    "SolutionVersion",
    "Campaign",
  ].map((kind): [string, (call: ApiCall) => boolean] => [
    kind,
    (c) => c.operation === `Create${kind}` && c.status === 200,
  ]),
];

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, [...START, ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
}

/** The process and every process under it, from /proc (the provider host runs in a group of its own). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/** SIGKILL to the process group of npm start and of everything it started. */
function killEverything(pid: number): void {
  for (const p of processTree(pid).reverse()) {
    for (const target of [-p, p]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // Not a group leader, or gone already.
      }
    }
  }
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) => child.once("exit", (code) => r(code)));

describe("npm start killed at every phase of the deploy, then run again", function () {
  this.timeout(300_000);
  let env: TestEmulator;
  let recorder: ApiRecorder;
  let tmp: string;
  let onCall: (call: ApiCall) => void = () => undefined;

  beforeEach(async () => {
    // Lifecycles at a tenth of their default lengths: each run takes seconds.
    env = await startTestEmulator({ dataPlane: createDataPlane, durationScale: 0.1 });
    recorder = await startApiRecorder(env.emulator.url, { onCall: (call) => onCall(call) });
    tmp = mkdtempSync(join(tmpdir(), "interrupt-"));
  });
  afterEach(async () => {
    onCall = () => undefined;
    await recorder?.close();
    await env?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const [phase, creates] of PHASES) {
    it(`killed as the service creates the ${phase}: the next run converges, and destroy leaves nothing`, async () => {
      const state = join(tmp, "state.json");
      const common = ["--endpoint", recorder.url, "--state", state];
      const first = start([...common, "--keep"]);
      let output = "";
      first.stdout!.on("data", (d) => (output += d));
      let killed = false;
      onCall = (call) => {
        if (killed || !creates(call)) return;
        killed = true;
        killEverything(first.pid!);
      };
      await exited(first);
      assert.ok(killed, `never saw the ${phase} created:\n${output}`);

      const second = start([...common, "--json"]);
      let out = "";
      second.stdout!.on("data", (d) => (out += d));
      let err = "";
      second.stderr!.on("data", (d) => (err += d));
      const code = await exited(second);
      const report = JSON.parse(out.trimEnd().split("\n").pop() ?? "{}");
      assert.equal(code, 0, `the second run failed: ${report.error}\n${err}`);
      assert.equal(report.ok, true);
      assert.equal(report.destroyed, true);
      assert.ok(Object.keys(report.recommendations).length > 0, "the campaign answered");
      assert.deepEqual(await leftovers(env), []);
    });
  }
});
