/**
 * Control-plane Describe throughput of the emulator under ~50 concurrent keep-alive clients,
 * next to a bare `node:http` server that answers a fixed JSON body, measured in the same run.
 * Each server runs alone in a child process (one core), the load generator in this one, so
 * the ratio compares servers, not the load generator against itself.
 */
import { fork, type ChildProcess } from "node:child_process";
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import type { BenchReport } from "./index";

const CONCURRENCY = 50;
const WARMUP_MS = 500;
const MEASURE_MS = 3000;
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

interface Result {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Child-process mode: serve, report the URL to the parent, run until killed. */
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
  process.send!({ url });
}

function startChild(kind: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(__filename, ["--serve", kind], {
    execArgv: ["-r", "ts-node/register/transpile-only"],
    stdio: "inherit",
  });
  return new Promise((resolve, reject) => {
    child.once("message", (m: { url: string }) => resolve({ child, url: m.url }));
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
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

async function load(url: string): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const body = JSON.stringify({ datasetGroupArn: GROUP_ARN });
  const latencies: number[] = [];
  let errors = 0;
  let measuring = false;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const start = process.hrtime.bigint();
      const status = await call(agent, url, "AmazonPersonalize.DescribeDatasetGroup", body);
      if (status !== 200) errors++;
      if (measuring) latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, worker);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  measuring = true;
  const began = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  measuring = false;
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  stop = true;
  await Promise.all(workers);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50: at(0.5),
    p99: at(0.99),
    errors,
  };
}

export async function run(): Promise<BenchReport> {
  const bare = await startChild("bare");
  let bareResult: Result;
  try {
    bareResult = await load(bare.url);
  } finally {
    bare.child.kill();
  }
  const emulator = await startChild("emulator");
  let emulatorResult: Result;
  try {
    const created = await call(
      new Agent(),
      emulator.url,
      "AmazonPersonalize.CreateDatasetGroup",
      JSON.stringify({ name: "bench" }),
    );
    if (created !== 200) throw new Error(`CreateDatasetGroup answered ${created}`);
    emulatorResult = await load(emulator.url);
  } finally {
    emulator.child.kill();
  }
  const ratio = emulatorResult.rps / bareResult.rps;
  const fmt = (r: Result) =>
    `${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.requests} requests, ${r.errors} non-200`;
  return {
    name: "control-plane",
    lines: [
      `DescribeDatasetGroup, ${CONCURRENCY} concurrent keep-alive clients, ${MEASURE_MS} ms after ${WARMUP_MS} ms warm-up`,
      `  emulator:        ${fmt(emulatorResult)}`,
      `  bare node:http:  ${fmt(bareResult)}`,
      `  ratio emulator/bare: ${ratio.toFixed(2)} (aim >= 0.5)`,
    ],
    json: { concurrency: CONCURRENCY, emulator: emulatorResult, bare: bareResult, ratio },
  };
}

if (require.main === module && process.argv[2] === "--serve") {
  serve(process.argv[3]).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
