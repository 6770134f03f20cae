/**
 * Control-plane Describe throughput of the emulator under ~50 concurrent keep-alive clients,
 * next to a bare `node:http` server that answers a fixed JSON body, measured in the same run.
 * Each server runs alone in a child process; the load generator runs in this one. Short
 * rounds alternate between the two servers so that other work on the machine hits both alike.
 * Server CPU per request is reported too: on a small machine the load generator, not the
 * server, can limit throughput, and then only the CPU figure compares the servers.
 */
import { fork, type ChildProcess } from "node:child_process";
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import type { BenchReport } from "./index";

const CONCURRENCY = 50;
const WARMUP_MS = 500;
const MEASURE_MS = 6000;
const ROUNDS = 6;
const AUTH =
  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/personalize/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000";
const GROUP_ARN = "arn:aws:personalize:us-east-1:000000000000:dataset-group/bench";
const FIXED_BODY = JSON.stringify({
  datasetGroup: {
    name: "bench",
    datasetGroupArn: GROUP_ARN,
    status: "ACTIVE",
    creationDateTime: 1767225600,
    lastUpdatedDateTime: 1767225601.5,
  },
});

interface Server {
  child: ChildProcess;
  url: string;
}

interface Round {
  latencies: number[];
  seconds: number;
  errors: number;
  /** Server CPU time during the round, microseconds. */
  cpuMicros: number;
}

interface Result {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  cpuMicrosPerRequest: number;
}

/** Child-process mode: serve, report the URL, answer CPU-time queries, run until killed. */
async function serve(kind: string): Promise<void> {
  let url: string;
  if (kind === "emulator") {
    const { startEmulator } = await import("../emulator");
    url = (await startEmulator({ durationScale: 0 })).url;
  } else {
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, {
          "content-type": "application/x-amz-json-1.1",
          "content-length": Buffer.byteLength(FIXED_BODY),
        });
        res.end(FIXED_BODY);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  process.on("message", () => {
    const { user, system } = process.cpuUsage();
    process.send!({ cpuMicros: user + system });
  });
  process.send!({ url });
}

function startChild(kind: string): Promise<Server> {
  const child = fork(__filename, ["--serve", kind], {
    execArgv: ["-r", "ts-node/register/transpile-only"],
    stdio: "inherit",
  });
  return new Promise((resolve, reject) => {
    child.once("message", (m: { url: string }) => resolve({ child, url: m.url }));
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once("message", (m: { cpuMicros: number }) => resolve(m.cpuMicros));
    child.send("cpu");
  });
}

function call(agent: Agent, url: string, target: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/`,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": target,
          "x-amz-date": "20260101T000000Z",
          authorization: AUTH,
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode!));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Drives the server with CONCURRENCY keep-alive clients for `ms`. */
async function load(server: Server, ms: number): Promise<Round> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const body = JSON.stringify({ datasetGroupArn: GROUP_ARN });
  const latencies: number[] = [];
  let errors = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const start = process.hrtime.bigint();
      const status = await call(agent, server.url, "AmazonPersonalize.DescribeDatasetGroup", body);
      if (status !== 200) errors++;
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  };
  const cpuBefore = await cpuOf(server.child);
  const began = process.hrtime.bigint();
  const workers = Array.from({ length: CONCURRENCY }, worker);
  await new Promise((r) => setTimeout(r, ms));
  stop = true;
  await Promise.all(workers);
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  const cpuMicros = (await cpuOf(server.child)) - cpuBefore;
  agent.destroy();
  return { latencies, seconds, errors, cpuMicros };
}

function summarize(rounds: Round[]): Result {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50: at(0.5),
    p99: at(0.99),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    cpuMicrosPerRequest: rounds.reduce((sum, r) => sum + r.cpuMicros, 0) / latencies.length,
  };
}

export async function run(): Promise<BenchReport> {
  const bare = await startChild("bare");
  let emulator: Server | undefined;
  const bareRounds: Round[] = [];
  const emulatorRounds: Round[] = [];
  try {
    emulator = await startChild("emulator");
    const created = await call(
      new Agent(),
      emulator.url,
      "AmazonPersonalize.CreateDatasetGroup",
      JSON.stringify({ name: "bench" }),
    );
    if (created !== 200) throw new Error(`CreateDatasetGroup answered ${created}`);
    await load(bare, WARMUP_MS);
    await load(emulator, WARMUP_MS);
    for (let round = 0; round < ROUNDS; round++) {
      bareRounds.push(await load(bare, MEASURE_MS / ROUNDS));
      emulatorRounds.push(await load(emulator, MEASURE_MS / ROUNDS));
    }
  } finally {
    bare.child.kill();
    emulator?.child.kill();
  }
  const bareResult = summarize(bareRounds);
  const emulatorResult = summarize(emulatorRounds);
  const ratio = emulatorResult.rps / bareResult.rps;
  const cpuRatio = bareResult.cpuMicrosPerRequest / emulatorResult.cpuMicrosPerRequest;
  const rps = (r: Round) => r.latencies.length / r.seconds;
  const roundRatios = emulatorRounds.map((r, i) => rps(r) / rps(bareRounds[i]));
  const fmt = (r: Result) =>
    `${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ` +
    `${r.cpuMicrosPerRequest.toFixed(0)} us server CPU/request, ${r.requests} requests, ${r.errors} non-200`;
  return {
    name: "control-plane",
    lines: [
      `DescribeDatasetGroup, ${CONCURRENCY} concurrent keep-alive clients, ${ROUNDS} alternating rounds of ${MEASURE_MS / ROUNDS} ms per server`,
      `  emulator:        ${fmt(emulatorResult)}`,
      `  bare node:http:  ${fmt(bareResult)}`,
      `  throughput ratio emulator/bare: ${ratio.toFixed(2)} (aim >= 0.5; rounds ${Math.min(...roundRatios).toFixed(2)}..${Math.max(...roundRatios).toFixed(2)})`,
      `  server CPU per request, bare/emulator: ${cpuRatio.toFixed(2)} (the throughput ratio when the server, not the load generator, is the limit)`,
    ],
    json: {
      concurrency: CONCURRENCY,
      emulator: emulatorResult,
      bare: bareResult,
      ratio,
      cpuRatio,
      roundRatios,
    },
  };
}

if (require.main === module && process.argv[2] === "--serve") {
  serve(process.argv[3]).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
