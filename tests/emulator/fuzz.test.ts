// A seeded, bounded fuzz of the running emulator process (npm run emulator), in memory and
// with --data-dir: random targets and paths, bodies built from the service models and then
// broken, random JSON, deep nesting, garbage bytes, chunked and aws-chunked framing, Host and
// Authorization headers. No answer may be a 5xx, none may take longer than the hang limit,
// no body may carry a stack trace, and the process must be alive with its earlier state
// intact afterwards (and after a restart from its data dir).
import {
  CreateDatasetGroupCommand,
  DescribeDatasetGroupCommand,
  PersonalizeClient,
} from "@aws-sdk/client-personalize";
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PERSONALIZE } from "../../emulator/api/personalize";
import { PERSONALIZE_EVENTS } from "../../emulator/api/personalize-events";
import { PERSONALIZE_RUNTIME } from "../../emulator/api/personalize-runtime";
import type { ServiceModel } from "../../emulator/api/shapes";
import { seededRandom } from "../../emulator/random";
import { clientConfig } from "../support/emulator";
import { INTERACTIONS_SCHEMA } from "../support/schemas";
import { eventually, signedFor, spawnCli } from "./helpers";
import { CaseDeriver } from "./model-cases";

/** Requests per run (two runs: in memory, then with --data-dir). */
const REQUESTS = 1500;
const CONCURRENCY = 8;
/** An answer slower than this is a hang (an emulator stuck in a loop), not slowness. */
const HANG_MS = 20_000;
const ACCOUNT = "000000000000";
/** The operations on the resources a workshop stack has, drawn most often. */
const RESOURCE_OPERATIONS = Object.keys(PERSONALIZE.operations).filter((op) =>
  /^(Create|Describe|List|Update|Delete)(DatasetGroup|Schema|Dataset|DatasetImportJob|Solution|SolutionVersion|Campaign|EventTracker|Filter)s?$/.test(
    op,
  ),
);

interface Outcome {
  status: number;
  ms: number;
  body: string;
}

/** One fuzz request: method, path, headers and body, framed raw or chunked. */
interface Shot {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Send the body with Transfer-Encoding: chunked, in pieces. */
  chunked: boolean;
}

function fire(url: string, agent: Agent, shot: Shot): Promise<Outcome> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${shot.path}`,
      { method: shot.method, headers: shot.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () =>
          resolve({
            status: res.statusCode!,
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(HANG_MS, () =>
      req.destroy(
        new Error(`no answer within ${HANG_MS} ms: ${shot.method} ${shot.path.slice(0, 80)}`),
      ),
    );
    req.on("error", reject);
    // Framed explicitly: Node's client frames a GET's or DELETE's body with neither header,
    // which is not HTTP (the server reads the body as the next request).
    if (shot.chunked) req.setHeader("transfer-encoding", "chunked");
    else req.setHeader("content-length", shot.body.length);
    if (shot.chunked) {
      const cut = Math.floor(shot.body.length / 2);
      req.write(shot.body.subarray(0, cut));
      req.end(shot.body.subarray(cut));
    } else req.end(shot.body);
  });
}

/** Builds requests from a seeded generator: the same seed, the same requests. */
class Fuzzer {
  private readonly next: () => number;
  private readonly derivers = new Map<ServiceModel, CaseDeriver>();

  constructor(
    seed: number,
    private readonly port: string,
  ) {
    this.next = seededRandom(seed);
  }

  private int(n: number): number {
    return Math.floor(this.next() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  private chance(p: number): boolean {
    return this.next() < p;
  }

  /** A resource name from a small pool, so requests meet each other's resources. */
  private name(): string {
    return `fz-${this.int(6)}`;
  }

  private arn(member: string): string {
    const base = `arn:aws:personalize:${this.pick(["us-east-1", "us-east-1", "eu-west-1"])}:${ACCOUNT}:`;
    const kinds: Record<string, string> = {
      datasetGroupArn: `dataset-group/${this.name()}`,
      datasetArn: `dataset/${this.name()}/${this.pick(["INTERACTIONS", "ITEMS", "USERS"])}`,
      schemaArn: `schema/${this.name()}`,
      solutionArn: `solution/${this.name()}`,
      solutionVersionArn: `solution/${this.name()}/${this.pick(["00000000", "$LATEST", "abcdef12"])}`,
      campaignArn: `campaign/${this.name()}`,
      eventTrackerArn: `event-tracker/${this.name()}`,
      filterArn: `filter/${this.name()}`,
      datasetImportJobArn: `dataset-import-job/${this.name()}`,
    };
    if (member === "recipeArn")
      return `arn:aws:personalize:::recipe/${this.pick(["aws-sims", "aws-user-personalization", "aws-nope"])}`;
    return base + (kinds[member] ?? this.pick(Object.values(kinds)));
  }

  private text(): string {
    return this.pick([
      "",
      "x",
      "x".repeat(64),
      "x".repeat(3000),
      "bad name!",
      "é漢字🙂",
      "\u0000\u0001\u007f",
      "__proto__",
      "constructor",
      "rate(0 days)",
      "rate(7 days)",
      "s3://fz-bucket/data.csv",
      "EXCLUDE ItemID WHERE Items.GENRE IN ($G)",
      INTERACTIONS_SCHEMA,
      "{not json",
      "%s%n%x",
    ]);
  }

  /** Any JSON value; depth is bounded by the budget, as every level costs one. */
  private json(budget: number): unknown {
    const kind = budget <= 0 ? this.int(4) : this.int(7);
    switch (kind) {
      case 0:
        return this.text();
      case 1:
        return this.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 101, 501]);
      case 2:
        return this.pick([true, false]);
      case 3:
        return null;
      case 4:
        return Array.from({ length: this.int(4) }, () => this.json(budget - 1));
      default: {
        const out: Record<string, unknown> = {};
        for (let i = this.int(4); i > 0; i--)
          out[this.pick(["name", "tags", "maxResults", "junk", "__proto__", "solutionConfig"])] =
            this.json(budget - 1);
        return out;
      }
    }
  }

  private deriver(model: ServiceModel): CaseDeriver {
    let d = this.derivers.get(model);
    if (!d) this.derivers.set(model, (d = new CaseDeriver(model)));
    return d;
  }

  /** A request body of `op`: a valid one with pool names and ARNs, often broken after. */
  private modelBody(model: ServiceModel, op: string): unknown {
    const deriver = this.deriver(model);
    const input = model.operations[op].input;
    const body = (input ? deriver.sample(input) : {}) as Record<string, unknown>;
    for (const key of Object.keys(body)) {
      if (key.endsWith("Arn")) body[key] = this.arn(key);
      else if (key === "name" || key === "jobName") body[key] = this.name();
    }
    if (op === "CreateDatasetImportJob")
      body.dataSource = {
        dataLocation: `s3://fz-bucket/${this.pick(["data.csv", "none.csv", ""])}`,
      };
    if (op === "CreateDataset") body.datasetType = this.pick(["Interactions", "Items", "Bogus"]);
    if (this.chance(0.4)) {
      const cases = deriver.cases(op);
      if (cases.length) return this.pick(cases).apply(body);
    }
    if (this.chance(0.3)) body[this.pick(Object.keys(body).concat("junk"))] = this.json(4);
    return body;
  }

  /** Raw body text: mostly JSON, a quarter of the time deep, cut short or not JSON at all. */
  private bodyText(json: () => unknown): Buffer {
    switch (this.int(20)) {
      case 0: {
        // Deep under a member the model has, so a validator that recursed into it would.
        const depth = this.pick([20, 33, 1000, 5000, 100_000]);
        const member = this.pick(["a", "name", "tags", "solutionConfig", "eventList"]);
        const [open, close] = this.pick([
          ['{"a":', "}"],
          ["[", "]"],
        ]);
        return Buffer.from(`{"${member}":${open.repeat(depth)}1${close.repeat(depth)}}`);
      }
      case 1:
        return Buffer.from("[".repeat(this.pick([31, 50_000])));
      case 2:
        return Buffer.from(Array.from({ length: this.int(2000) }, () => this.int(256)));
      case 3:
        return Buffer.from(JSON.stringify(json()).slice(0, this.int(40)));
      case 4:
        return Buffer.alloc(0);
      default:
        return Buffer.from(JSON.stringify(json()) ?? "null");
    }
  }

  private authorization(service: string): string | undefined {
    if (this.chance(0.1)) return undefined;
    if (this.chance(0.1))
      return this.pick(["garbage", "AWS4-HMAC-SHA256 Credential=", "Credential=a/b/c/d"]);
    const region = this.chance(0.85)
      ? this.pick(["us-east-1", "eu-west-1"])
      : this.pick(["..", "", "local", "x".repeat(200), "us-east-1,"]);
    return signedFor(this.chance(0.9) ? service : this.pick(["dynamodb", "", "s3"]), region);
  }

  private host(): string {
    return this.chance(0.9)
      ? this.pick([`127.0.0.1:${this.port}`, `localhost:${this.port}`])
      : this.pick(["evil.example", "127.0.0.1.nip.io", `[::1]:${this.port}`, "", "a".repeat(300)]);
  }

  private awsChunked(payload: Buffer): Buffer {
    if (this.chance(0.5))
      return Buffer.concat([
        Buffer.from(`${payload.length.toString(16)};chunk-signature=00\r\n`),
        payload,
        Buffer.from("\r\n0\r\n\r\n"),
      ]);
    return Buffer.from(
      this.pick([
        "-ff\r\nabc\r\n0\r\n\r\n",
        "ffffffffffffffffff\r\nab",
        "3\r\nabcdef",
        "zz\r\n\r\n",
        "0",
        "\r\n\r\n\r\n",
        `${"1".repeat(2000)}\r\n`,
      ]),
    );
  }

  shot(): Shot {
    const headers: Record<string, string> = { host: this.host() };
    const chunked = this.chance(0.15);
    const area = this.int(3);
    if (area === 0) {
      const op = this.chance(0.9)
        ? this.pick(this.chance(0.8) ? RESOURCE_OPERATIONS : Object.keys(PERSONALIZE.operations))
        : this.pick(["", "__proto__", "constructor", "hasOwnProperty", "Nope"]);
      headers["x-amz-target"] = this.chance(0.95) ? `AmazonPersonalize.${op}` : `${op}`;
      headers["content-type"] = "application/x-amz-json-1.1";
      const auth = this.authorization("personalize");
      if (auth) headers.authorization = auth;
      const body =
        op in PERSONALIZE.operations
          ? this.bodyText(() => (this.chance(0.8) ? this.modelBody(PERSONALIZE, op) : this.json(5)))
          : this.bodyText(() => this.json(5));
      return {
        method: this.chance(0.95) ? "POST" : this.pick(["GET", "PUT"]),
        path: "/",
        headers,
        body,
        chunked,
      };
    }
    if (area === 1) {
      const model = this.pick([PERSONALIZE_RUNTIME, PERSONALIZE_EVENTS]);
      const op = this.pick(Object.keys(model.operations));
      const path = this.chance(0.9)
        ? model.operations[op].http!.uri
        : this.pick(["/recommendations/", "/events?x=1", "//events", "/%2e%2e/events"]);
      headers["content-type"] = "application/json";
      const auth = this.authorization("personalize");
      if (auth) headers.authorization = auth;
      const body = this.bodyText(() =>
        this.chance(0.8) ? this.modelBody(model, op) : this.json(5),
      );
      return {
        method: this.chance(0.9) ? "POST" : this.pick(["GET", "DELETE", "PATCH"]),
        path,
        headers,
        body,
        chunked,
      };
    }
    const bucket = this.pick(["fz-bucket", "fz-other", "Bad_Bucket", "", "a".repeat(70), "%zz"]);
    const key = this.pick([
      "data.csv",
      "a/b/c.csv",
      "..%2F..%2Fetc",
      "%E0%A4%A",
      "é",
      "k".repeat(1200),
    ]);
    const query = this.pick([
      "",
      "?uploads",
      "?uploadId=nope&partNumber=1",
      "?uploadId=x&partNumber=-1",
      "?list-type=2&continuation-token=%ff",
      "?list-type=2&max-keys=-5",
      "?location",
      "?acl",
      "?delete",
      "?prefix=a&delimiter=/&encoding-type=url",
    ]);
    const path = `/${bucket}${this.chance(0.7) ? `/${key}` : ""}${query}`;
    const auth = this.authorization("s3");
    if (auth) headers.authorization = auth;
    let body: Buffer = Buffer.from(this.text());
    if (this.chance(0.3)) {
      headers["content-encoding"] = "aws-chunked";
      body = this.awsChunked(body);
    }
    if (this.chance(0.1)) headers["content-md5"] = this.pick(["bad", "1B2M2Y8AsgTpgAmY7PhCfg=="]);
    if (this.chance(0.1))
      headers.range = this.pick(["bytes=0-0", "bytes=5-1", "bytes=-0", "bytes=x"]);
    const method = this.pick(["GET", "PUT", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"]);
    return { method, path, headers, body, chunked };
  }
}

interface Figures {
  requests: number;
  fiveXx: string[];
  leaks: string[];
  maxMs: number;
}

async function fuzz(url: string, seed: number): Promise<Figures> {
  const fuzzer = new Fuzzer(seed, new URL(url).port);
  const shots = Array.from({ length: REQUESTS }, () => fuzzer.shot());
  const figures: Figures = { requests: 0, fiveXx: [], leaks: [], maxMs: 0 };
  // Its own connections: a pooled one to an earlier run's port must not be reused.
  const agent = new Agent({ keepAlive: true });
  let at = 0;
  const worker = async () => {
    while (at < shots.length) {
      const shot = shots[at++];
      const outcome = await fire(url, agent, shot);
      figures.requests++;
      figures.maxMs = Math.max(figures.maxMs, outcome.ms);
      const what = `${shot.method} ${shot.path.slice(0, 60)} ${shot.headers["x-amz-target"] ?? ""}`;
      if (outcome.status >= 500)
        figures.fiveXx.push(`${outcome.status} ${what}: ${outcome.body.slice(0, 200)}`);
      if (/\n\s+at |\.ts:\d|\/work\/|node_modules/.test(outcome.body))
        figures.leaks.push(`${what}: ${outcome.body.slice(0, 200)}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    agent.destroy();
  }
  return figures;
}

/** Resources and an object made before the fuzz, and a check that they are still there. */
async function sentinel(url: string) {
  const p = new PersonalizeClient(clientConfig(url));
  const s3 = new S3Client({ ...clientConfig(url), forcePathStyle: true });
  try {
    const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: "sentinel" }));
    await s3.send(new CreateBucketCommand({ Bucket: "sentinel-bucket" }));
    await s3.send(new PutObjectCommand({ Bucket: "sentinel-bucket", Key: "k", Body: "kept" }));
    return datasetGroupArn!;
  } finally {
    p.destroy();
    s3.destroy();
  }
}

async function sentinelIntact(url: string, datasetGroupArn: string): Promise<void> {
  const p = new PersonalizeClient(clientConfig(url));
  const s3 = new S3Client({ ...clientConfig(url), forcePathStyle: true });
  try {
    const group = await eventually(
      async () =>
        (await p.send(new DescribeDatasetGroupCommand({ datasetGroupArn }))).datasetGroup!,
      (g) => g.status === "ACTIVE",
      "sentinel group ACTIVE",
    );
    assert.equal(group.name, "sentinel");
    const object = await s3.send(new GetObjectCommand({ Bucket: "sentinel-bucket", Key: "k" }));
    assert.equal(await object.Body!.transformToString(), "kept");
  } finally {
    p.destroy();
    s3.destroy();
  }
}

describe(`emulator fuzz: ${REQUESTS} seeded requests per run`, function () {
  this.timeout(180_000);
  const runs: [string, number, boolean][] = [
    ["in memory", 11, false],
    ["with --data-dir", 12, true],
  ];
  for (const [what, seed, persistent] of runs)
    it(`answers all ${what} without a 5xx or a hang, and keeps its state`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "emulator-fuzz-"));
      const args = ["--port", "0", "--duration-scale", "0", "--quiet"];
      if (persistent) args.push("--data-dir", join(dir, "state"));
      let server = spawnCli(args);
      try {
        const url = await server.url;
        const groupArn = await sentinel(url);
        const figures = await fuzz(url, seed);
        console.log(
          `      fuzz ${what}: ${figures.requests} requests, ${figures.fiveXx.length} answers 5xx, max answer ${Math.round(figures.maxMs)} ms`,
        );
        assert.deepEqual(figures.fiveXx, []);
        assert.deepEqual(figures.leaks, []);
        assert.equal(server.child.exitCode, null, `the emulator exited: ${server.stderr()}`);
        assert.doesNotMatch(server.stderr(), /emulator bug/);
        await sentinelIntact(url, groupArn);
        if (persistent) {
          server.child.kill("SIGTERM");
          assert.equal(await server.exited, 0, server.stderr());
          server = spawnCli(args);
          await sentinelIntact(await server.url, groupArn);
        }
      } finally {
        server.child.kill("SIGKILL");
        await server.exited;
        rmSync(dir, { recursive: true, force: true });
      }
    });
});
