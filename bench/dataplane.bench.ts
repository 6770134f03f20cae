/**
 * The emulator's data plane at 1M interactions, each figure a ratio against a peer or floor
 * measured in this same run:
 * - import: a 1M-row CSV through the real server (S3 upload excluded, CreateDatasetImportJob
 *   to ACTIVE) against a bare read of the same file from disk;
 * - training: user-personalization and SIMS versions (training + holdout metrics, in the
 *   worker thread) against one pass over the interaction arrays, and the server's Describe
 *   latency while a model trains;
 * - GetRecommendations under 50 concurrent keep-alive clients against a bare node:http
 *   server returning a fixed body of the same size, with p50/p99 latency (the two servers
 *   alternate, best of three rounds each, every round's ratio reported too), and the data
 *   plane's in-process share of a call. Requests cycle over all 50,000 users (a stride
 *   coprime with the count), so no user repeats within a round and nothing is answered from
 *   a warm per-user state;
 * - peak RSS of the whole process (server, worker and load generator) for 1M interactions,
 *   and of import + training alone, over the RSS just before the import (the file on disk, the
 *   bench holding no copy of it; the emulator's S3 holding one).
 */
import {
  closeSync,
  createReadStream,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateCampaignCommand,
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateDatasetImportJobCommand,
  CreateSchemaCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DescribeCampaignCommand,
  DescribeDatasetCommand,
  DescribeDatasetGroupCommand,
  DescribeDatasetImportJobCommand,
  DescribeSolutionCommand,
  DescribeSolutionVersionCommand,
  PersonalizeClient,
} from "@aws-sdk/client-personalize";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createDataPlane } from "../emulator/data";
import { startEmulator } from "../emulator/index";
import { seededRandom } from "../emulator/random";
import type { BenchReport } from "./index";

const USERS = 50_000;
const PER_USER = 20;
const ITEMS_PER_CATEGORY = 1000;
const CATEGORIES = 20;
const CONCURRENCY = 50;
const LOAD_SECONDS = 3;
const ROUNDS = 3;

const SCHEMA = JSON.stringify({
  type: "record",
  name: "Interactions",
  namespace: "com.amazonaws.personalize.schema",
  fields: [
    { name: "USER_ID", type: "string" },
    { name: "ITEM_ID", type: "string" },
    { name: "EVENT_TYPE", type: "string" },
    { name: "TIMESTAMP", type: "long" },
  ],
  version: "1.0",
});

/**
 * Writes 1M interactions to `file`: each user prefers one category; deterministic. Written in
 * chunks so that the bench itself holds no copy of the file, and the peak RSS is the server's.
 */
function generate(file: string): void {
  const next = seededRandom(987654321);
  const fd = openSync(file, "w");
  writeSync(fd, "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
  const start = 1788220800;
  for (let u0 = 0; u0 < USERS; u0 += 1000) {
    const lines: string[] = [];
    for (let u = u0; u < Math.min(USERS, u0 + 1000); u++) {
      for (let k = 0; k < PER_USER; k++) {
        const category = next() < 0.8 ? u % CATEGORIES : Math.floor(next() * CATEGORIES);
        const item = Math.floor(next() * next() * ITEMS_PER_CATEGORY);
        lines.push(
          `${1000000000 + u},cat${category}-item${item},${k % 4 === 3 ? "Order Completed" : "Product Clicked"},${start + k * 3600 + (u % 3600)}\n`,
        );
      }
    }
    writeSync(fd, lines.join(""));
  }
  closeSync(fd);
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function settle<T extends { status?: string }>(describe: () => Promise<T>): Promise<T> {
  for (;;) {
    const d = await describe();
    if (d.status === "ACTIVE" || d.status?.endsWith("FAILED")) return d;
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** `CONCURRENCY` keep-alive clients posting `body()` to `url` for LOAD_SECONDS. */
async function load(url: string, path: string, body: () => string): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const { hostname, port } = new URL(url);
  const post = (payload: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          agent,
          hostname,
          port,
          path,
          method: "POST",
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(payload),
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  const latencies: number[] = [];
  let errors = 0;
  let measuring = false;
  let stop = false;
  const client = async () => {
    while (!stop) {
      const t0 = process.hrtime.bigint();
      const status = await post(body());
      if (!measuring) continue;
      latencies.push(ms(t0));
      if (status !== 200) errors++;
    }
  };
  const clients = Array.from({ length: CONCURRENCY }, client);
  await new Promise((r) => setTimeout(r, 500));
  measuring = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, LOAD_SECONDS * 1000));
  measuring = false;
  const elapsed = ms(t0) / 1000;
  const count = latencies.length;
  stop = true;
  await Promise.all(clients);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rps: count / elapsed,
    p50: latencies[Math.floor(count * 0.5)],
    p99: latencies[Math.floor(count * 0.99)],
    errors,
  };
}

export async function run(): Promise<BenchReport> {
  let peakRss = process.memoryUsage().rss;
  // Peak since the last reset: import and training alone, without generating and uploading.
  let phasePeak = peakRss;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    phasePeak = Math.max(phasePeak, rss);
  }, 20);
  const dir = mkdtempSync(join(tmpdir(), "dataplane-bench-"));
  const emulator = await startEmulator({ port: 0, durationScale: 0, dataPlane: createDataPlane });
  const cfg = {
    endpoint: emulator.url,
    region: "us-east-1",
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  };
  const p = new PersonalizeClient(cfg);
  const s3 = new S3Client({ ...cfg, forcePathStyle: true });
  try {
    const file = join(dir, "interactions.csv");
    generate(file);

    // Import vs a bare read of the same file.
    let readMs = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      readFileSync(file);
      readMs = Math.min(readMs, ms(t0));
    }
    const fileBytes = statSync(file).size;
    await s3.send(new CreateBucketCommand({ Bucket: "bench" }));
    await s3.send(
      new PutObjectCommand({
        Bucket: "bench",
        Key: "interactions.csv",
        Body: createReadStream(file),
        ContentLength: fileBytes,
      }),
    );
    const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: "bench" }));
    await settle(
      async () =>
        (await p.send(new DescribeDatasetGroupCommand({ datasetGroupArn }))).datasetGroup!,
    );
    const { schemaArn } = await p.send(new CreateSchemaCommand({ name: "bench", schema: SCHEMA }));
    const { datasetArn } = await p.send(
      new CreateDatasetCommand({
        name: "bench",
        datasetGroupArn,
        datasetType: "Interactions",
        schemaArn,
      }),
    );
    await settle(async () => (await p.send(new DescribeDatasetCommand({ datasetArn }))).dataset!);
    const rssBeforeImport = process.memoryUsage.rss();
    phasePeak = rssBeforeImport;
    let t0 = process.hrtime.bigint();
    const { datasetImportJobArn } = await p.send(
      new CreateDatasetImportJobCommand({
        jobName: "bench",
        datasetArn,
        dataSource: { dataLocation: "s3://bench/interactions.csv" },
        roleArn: "arn:aws:iam::000000000000:role/bench",
      }),
    );
    const job = await settle(
      async () =>
        (await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn })))
          .datasetImportJob!,
    );
    const importMs = ms(t0);
    const peakAfterImport = peakRss;
    if (job.status !== "ACTIVE") throw new Error(`bench import failed: ${job.failureReason}`);
    const rows = USERS * PER_USER;

    // Training vs one pass over the arrays (the floor of anything that reads every interaction).
    const items = new Int32Array(rows).map(
      (_, i) => (i * 7919) % (CATEGORIES * ITEMS_PER_CATEGORY),
    );
    let passMs = Infinity;
    for (let i = 0; i < 3; i++) {
      const counts = new Float64Array(CATEGORIES * ITEMS_PER_CATEGORY);
      const t = process.hrtime.bigint();
      for (let r = 0; r < rows; r++) counts[items[r]]++;
      passMs = Math.min(passMs, ms(t));
    }
    const trainings: Record<
      string,
      { ms: number; describeMaxMs: number; describes: number; arn: string }
    > = {};
    for (const recipe of ["aws-user-personalization", "aws-sims"]) {
      const { solutionArn } = await p.send(
        new CreateSolutionCommand({
          name: `bench-${recipe}`,
          datasetGroupArn,
          recipeArn: `arn:aws:personalize:::recipe/${recipe}`,
          performAutoTraining: false,
        }),
      );
      await settle(
        async () => (await p.send(new DescribeSolutionCommand({ solutionArn }))).solution!,
      );
      t0 = process.hrtime.bigint();
      const { solutionVersionArn } = await p.send(
        new CreateSolutionVersionCommand({ solutionArn }),
      );
      let describeMaxMs = 0;
      let describes = 0;
      const version = await settle(async () => {
        const d0 = process.hrtime.bigint();
        const d = (await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn })))
          .solutionVersion!;
        describeMaxMs = Math.max(describeMaxMs, ms(d0));
        describes++;
        return d;
      });
      if (version.status !== "ACTIVE")
        throw new Error(`bench training failed: ${version.failureReason}`);
      trainings[recipe] = { ms: ms(t0), describeMaxMs, describes, arn: solutionVersionArn! };
    }

    const peakAfterTraining = peakRss;
    const importAndTrainingPeak = phasePeak;
    // GetRecommendations through the server vs a bare node:http server with a fixed body.
    const { campaignArn } = await p.send(
      new CreateCampaignCommand({
        name: "bench",
        solutionVersionArn: trainings["aws-user-personalization"].arn,
      }),
    );
    await settle(
      async () => (await p.send(new DescribeCampaignCommand({ campaignArn }))).campaign!,
    );
    let n = 0;
    const ask = () =>
      JSON.stringify({ campaignArn, userId: String(1000000000 + ((n++ * 7919) % USERS)) });
    const sample = await fetch(`${emulator.url}/recommendations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: ask(),
    });
    const fixed = await sample.text();
    if (sample.status !== 200) throw new Error(`bench GetRecommendations failed: ${fixed}`);
    // The data plane's own share of a request, called in-process (no HTTP).
    let handleMs = Infinity;
    for (let round = 0; round < 5; round++) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < 2000; i++) {
        await emulator.dataPlane.handle("POST", "/recommendations", JSON.parse(ask()));
      }
      handleMs = Math.min(handleMs, ms(t) / 2000);
    }
    const bare = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(fixed));
    });
    await new Promise<void>((r) => bare.listen(0, "127.0.0.1", r));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
    // Alternate the two servers and keep each one's best round, so a burst of other work on
    // the machine does not land on one side only.
    let emulatorLoad: Load | undefined;
    let bareLoad: Load | undefined;
    const roundRatios: number[] = [];
    // The stride is coprime with USERS: a round's requests ask distinct users until it has
    // asked them all. Counted from the counter, so both servers' clients do the same work.
    let distinctUsersPerRound = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const before = n;
      const e = await load(emulator.url, "/recommendations", ask);
      distinctUsersPerRound = Math.max(distinctUsersPerRound, Math.min(USERS, n - before));
      const b = await load(bareUrl, "/recommendations", ask);
      roundRatios.push(Math.round((e.rps / b.rps) * 100) / 100);
      if (!emulatorLoad || e.rps > emulatorLoad.rps) emulatorLoad = e;
      if (!bareLoad || b.rps > bareLoad.rps) bareLoad = b;
    }
    bare.closeAllConnections();
    await new Promise((r) => bare.close(r));

    if (!emulatorLoad || !bareLoad) throw new Error("no load rounds ran");
    const up = trainings["aws-user-personalization"];
    const sims = trainings["aws-sims"];
    const json = {
      rows,
      fileMB: Math.round(fileBytes / 1e5) / 10,
      import: {
        ms: Math.round(importMs),
        rowsPerSecond: Math.round(rows / (importMs / 1000)),
        bareReadMs: Math.round(readMs * 10) / 10,
        ratioToBareRead: Math.round((importMs / readMs) * 10) / 10,
      },
      training: {
        onePassMs: Math.round(passMs * 100) / 100,
        userPersonalizationMs: Math.round(up.ms),
        userPersonalizationRatioToOnePass: Math.round(up.ms / passMs),
        simsMs: Math.round(sims.ms),
        simsRatioToOnePass: Math.round(sims.ms / passMs),
        describesWhileTraining: up.describes + sims.describes,
        describeMaxMsWhileTraining:
          Math.round(Math.max(up.describeMaxMs, sims.describeMaxMs) * 10) / 10,
      },
      getRecommendations: {
        concurrency: CONCURRENCY,
        rps: Math.round(emulatorLoad.rps),
        p50ms: Math.round(emulatorLoad.p50 * 100) / 100,
        p99ms: Math.round(emulatorLoad.p99 * 100) / 100,
        errors: emulatorLoad.errors,
        bareRps: Math.round(bareLoad.rps),
        bareP50ms: Math.round(bareLoad.p50 * 100) / 100,
        bareP99ms: Math.round(bareLoad.p99 * 100) / 100,
        ratioToBare: Math.round((emulatorLoad.rps / bareLoad.rps) * 100) / 100,
        roundRatios,
        distinctUsersPerRound,
        bodyBytes: fixed.length,
        inProcessHandleUs: Math.round(handleMs * 1000),
      },
      peakRssMB: Math.round(peakRss / 1e6),
      peakRssMBByPhase: {
        generateAndImport: Math.round(peakAfterImport / 1e6),
        training: Math.round(peakAfterTraining / 1e6),
        load: Math.round(peakRss / 1e6),
      },
      rssMBBeforeImport: Math.round(rssBeforeImport / 1e6),
      importAndTrainingPeakRssMB: Math.round(importAndTrainingPeak / 1e6),
    };
    return {
      name: "dataplane",
      lines: [
        `${rows} interactions, ${json.fileMB} MB CSV`,
        `import: ${json.import.ms} ms (${json.import.rowsPerSecond} rows/s) = ${json.import.ratioToBareRead}x a bare read of the file (${json.import.bareReadMs} ms)`,
        `training user-personalization: ${json.training.userPersonalizationMs} ms = ${json.training.userPersonalizationRatioToOnePass}x one pass over the arrays (${json.training.onePassMs} ms), holdout metrics included`,
        `training sims: ${json.training.simsMs} ms = ${json.training.simsRatioToOnePass}x one pass`,
        `while training: ${json.training.describesWhileTraining} Describe calls answered, slowest ${json.training.describeMaxMsWhileTraining} ms`,
        `GetRecommendations, ${CONCURRENCY} keep-alive clients: ${json.getRecommendations.rps} req/s (p50 ${json.getRecommendations.p50ms} ms, p99 ${json.getRecommendations.p99ms} ms, ${json.getRecommendations.errors} errors) vs bare node:http ${json.getRecommendations.bareRps} req/s (p50 ${json.getRecommendations.bareP50ms} ms, p99 ${json.getRecommendations.bareP99ms} ms): ratio ${json.getRecommendations.ratioToBare} (best round of each; per round ${roundRatios.join(", ")}; up to ${json.getRecommendations.distinctUsersPerRound} distinct users per emulator round)`,
        `GetRecommendations in-process (the data plane's share, no HTTP): ${json.getRecommendations.inProcessHandleUs} µs per call`,
        `import + both trainings alone: peak RSS ${json.importAndTrainingPeakRssMB} MB, ${json.importAndTrainingPeakRssMB - json.rssMBBeforeImport} MB over the ${json.rssMBBeforeImport} MB before the import (server up, file uploaded)`,
        `peak RSS for ${rows} interactions (server, worker and load generator in one process): ${json.peakRssMB} MB (by phase: generate + import ${json.peakRssMBByPhase.generateAndImport}, training ${json.peakRssMBByPhase.training}, load ${json.peakRssMBByPhase.load})`,
      ],
      json,
    };
  } finally {
    clearInterval(sampler);
    p.destroy();
    s3.destroy();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
