import assert from "node:assert/strict";
import { resolve } from "path";
import { GetSolutionMetricsCommand } from "@aws-sdk/client-personalize";
import * as pulumi from "@pulumi/pulumi";
import { HostError, ProviderHost, startProviderHost } from "../../offline/host";
import {
  decideGate,
  GATE_FAILED,
  GateInputs,
  GateRequest,
  gateFailure,
  METRIC_MISSING,
  QUALITY_GATE_DEFAULTS,
  qualityGateProvider,
  UNKNOWN,
} from "../../providers";
import { interactions, SCHEMA, toCsv } from "../dataplane/fixtures";
import {
  group,
  importFile,
  solution,
  start as startDataPlane,
  train,
  upload,
  type Harness,
} from "../dataplane/stack";
import { rejection } from "../support/emulator";
import { shuffleItemIds } from "../support/shuffle";
import { Props, wire } from "./helpers";

const ARN = (path: string) => `arn:aws:personalize:us-east-1:111122223333:${path}`;
const SOLUTION = ARN("solution/workshop");
const OLD = ARN("solution/workshop/0a0a0a0a");
const NEW = ARN("solution/workshop/1b1b1b1b");
const NDCG = "normalized_discounted_cumulative_gain_at_10";

const metrics = (ndcg: number, extra: Record<string, number> = {}) => ({
  coverage: 0.9,
  [NDCG]: ndcg,
  precision_at_5: 0.2,
  ...extra,
});

describe("QualityGate: the decision (a pure function)", () => {
  const request = (over: Partial<GateRequest>): GateRequest => ({
    ...QUALITY_GATE_DEFAULTS,
    candidate: { arn: NEW, metrics: metrics(0.41) },
    ...over,
  });
  const cases: {
    title: string;
    request: GateRequest;
    verdict: string;
    approved: string | undefined;
    threshold: number;
    reason: RegExp;
  }[] = [
    {
      title: "first deploy above the floor passes",
      request: request({}),
      verdict: "passed",
      approved: NEW,
      threshold: 0.05,
      reason: /0\.4100 reaches 0\.0500 \(the floor\)/,
    },
    {
      title: "first deploy below the floor fails, and nothing is approved",
      request: request({ candidate: { arn: NEW, metrics: metrics(0.03) } }),
      verdict: "failed",
      approved: undefined,
      threshold: 0.05,
      reason: /0\.0300 is below the floor 0\.05$/,
    },
    {
      title: "a drop within maxDrop passes",
      request: request({
        candidate: { arn: NEW, metrics: metrics(0.39) },
        serving: { arn: OLD, metrics: metrics(0.41) },
      }),
      verdict: "passed",
      approved: NEW,
      threshold: 0.369,
      reason: /0\.3900 reaches 0\.3690$/,
    },
    {
      title: "a drop of exactly maxDrop passes",
      request: request({
        candidate: { arn: NEW, metrics: metrics(0.36) },
        serving: { arn: OLD, metrics: metrics(0.4) },
      }),
      verdict: "passed",
      approved: NEW,
      threshold: 0.36,
      reason: /reaches 0\.3600/,
    },
    {
      title: "a better version passes",
      request: request({
        candidate: { arn: NEW, metrics: metrics(0.5) },
        serving: { arn: OLD, metrics: metrics(0.41) },
      }),
      verdict: "passed",
      approved: NEW,
      threshold: 0.369,
      reason: /0\.5000 reaches 0\.3690/,
    },
    {
      title: "a drop over maxDrop fails, and the serving version stays approved",
      request: request({
        candidate: { arn: NEW, metrics: metrics(0.2348) },
        serving: { arn: OLD, metrics: metrics(0.4149) },
      }),
      verdict: "failed",
      approved: OLD,
      threshold: 0.4149 * 0.9,
      reason: /0\.2348 is 43\.4% below the serving version's 0\.4149 \(at most 10% allowed\)$/,
    },
    {
      title: "below the floor and over the drop: both reasons",
      request: request({
        minimum: 0.3,
        candidate: { arn: NEW, metrics: metrics(0.2) },
        serving: { arn: OLD, metrics: metrics(0.41) },
      }),
      verdict: "failed",
      approved: OLD,
      threshold: 0.369,
      reason: /below the floor 0\.3; and .* is 51\.2% below the serving version's/,
    },
    {
      title: "the floor decides when it is above the allowed drop",
      request: request({
        minimum: 0.4,
        maxDrop: 0.5,
        candidate: { arn: NEW, metrics: metrics(0.39) },
        serving: { arn: OLD, metrics: metrics(0.41) },
      }),
      verdict: "failed",
      approved: OLD,
      threshold: 0.4,
      reason: /0\.3900 is below the floor 0\.4$/,
    },
    {
      title: "approve naming the candidate overrides a failure",
      request: request({
        approve: NEW,
        candidate: { arn: NEW, metrics: metrics(0.2348) },
        serving: { arn: OLD, metrics: metrics(0.4149) },
      }),
      verdict: "approved",
      approved: NEW,
      threshold: 0.4149 * 0.9,
      reason: /^approve names this version, although .* 43\.4% below/,
    },
    {
      title: "approve naming another version approves nothing",
      request: request({
        approve: ARN("solution/workshop/9z9z9z9z"),
        candidate: { arn: NEW, metrics: metrics(0.2348) },
        serving: { arn: OLD, metrics: metrics(0.4149) },
      }),
      verdict: "failed",
      approved: OLD,
      threshold: 0.4149 * 0.9,
      reason: /43\.4% below/,
    },
    {
      title: "approve of a candidate that passes anyway: passed",
      request: request({ approve: NEW, serving: { arn: OLD, metrics: metrics(0.41) } }),
      verdict: "passed",
      approved: NEW,
      threshold: 0.369,
      reason: /reaches/,
    },
    {
      title: "the version approved already is kept, whatever the settings",
      request: request({
        minimum: 0.9,
        candidate: { arn: OLD, metrics: metrics(0.41) },
        serving: { arn: OLD, metrics: metrics(0.41) },
      }),
      verdict: "kept",
      approved: OLD,
      threshold: 0.9,
      reason: /approved already/,
    },
    {
      title: "a serving version without the metric: only the floor applies",
      request: request({
        candidate: { arn: NEW, metrics: metrics(0.1) },
        serving: { arn: OLD, metrics: { coverage: 1 } },
      }),
      verdict: "passed",
      approved: NEW,
      threshold: 0.05,
      reason: /reaches 0\.0500 \(the floor\)/,
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const decision = decideGate(c.request);
      assert.equal(decision.verdict, c.verdict);
      assert.equal(decision.approvedVersionArn, c.approved);
      assert.ok(
        Math.abs(decision.threshold - c.threshold) < 1e-9,
        `threshold ${decision.threshold}`,
      );
      assert.match(decision.reason, c.reason);
      assert.match(decision.report, new RegExp(`^verdict: ${c.verdict}: `, "m"));
    });
  }

  it("reports every metric of both versions side by side, threshold and verdict on the gate's", () => {
    const decision = decideGate(
      request({
        candidate: { arn: NEW, metrics: metrics(0.2348) },
        serving: { arn: OLD, metrics: metrics(0.4149, { precision_at_25: 0.08 }) },
      }),
    );
    const lines = decision.report.split("\n");
    assert.equal(
      lines[0],
      `Quality gate: ${NDCG} at least 0.05, and at most 10% below the serving version`,
    );
    const cells = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.split(/\s+/) ?? [];
    assert.deepEqual(cells("metric"), ["metric", "new", "serving", "threshold", "verdict"]);
    assert.deepEqual(cells(NDCG), [NDCG, "0.2348", "0.4149", "0.3734", "failed"]);
    assert.deepEqual(cells("coverage"), ["coverage", "0.9000", "0.9000"]);
    assert.deepEqual(cells("precision_at_25"), ["precision_at_25", "-", "0.0800"]);
    assert.ok(lines.includes(`new:     ${NEW}`));
    assert.ok(lines.includes(`serving: ${OLD}`));
    const first = decideGate(request({}));
    assert.match(first.report, /^serving: none \(nothing approved yet: only the floor applies\)$/m);
  });

  it("a metric the version does not report is an error naming it and those it reports", () => {
    const err = (() => {
      try {
        decideGate(request({ metric: "average_rating" }));
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected an error");
    })();
    assert.equal(err.name, METRIC_MISSING);
    assert.equal(
      err.message,
      `QualityGate: solution version ${NEW} has no metric "average_rating"; it reports ` +
        `coverage, ${NDCG}, precision_at_5; set the gate's metric to one it reports`,
    );
    assert.throws(
      () => decideGate(request({ candidate: { arn: NEW, metrics: {} } })),
      /it reports no metrics at all/,
    );
  });

  it("a failure's error carries the table and says how to approve", () => {
    const decision = decideGate(
      request({
        candidate: { arn: NEW, metrics: metrics(0.2348) },
        serving: { arn: OLD, metrics: metrics(0.4149) },
      }),
    );
    const err = gateFailure(decision, NEW);
    assert.equal(err.name, GATE_FAILED);
    assert.ok(err.message.includes(decision.report));
    assert.match(err.message, new RegExp(`the gate still approves ${OLD}`));
    assert.match(err.message, new RegExp(`pulumi config set --path qualityGate.approve ${NEW}`));
  });
});

describe("QualityGate: check and diff", () => {
  const check = (news: Props) => qualityGateProvider.check({}, news);

  it("fills the defaults and states the candidate as the approved version", async () => {
    const { inputs, failures } = await check({ solutionVersionArn: NEW, solutionArn: SOLUTION });
    assert.deepEqual(failures, []);
    assert.deepEqual(inputs, {
      ...QUALITY_GATE_DEFAULTS,
      region: "us-east-1",
      solutionVersionArn: NEW,
      solutionArn: SOLUTION,
      approvedVersionArn: NEW,
    });
  });

  it("lets the unknown sentinel through in preview", async () => {
    const { inputs, failures } = await check({ solutionVersionArn: UNKNOWN, solutionArn: UNKNOWN });
    assert.deepEqual(failures, []);
    assert.equal(inputs.approvedVersionArn, UNKNOWN);
  });

  const refusals: [string, Props, string][] = [
    ["no candidate", {}, "solutionVersionArn is required"],
    [
      "a solution ARN for a version",
      { solutionVersionArn: SOLUTION },
      `solutionVersionArn "${SOLUTION}" is not a solution version ARN (arn:aws:personalize:<region>:<account>:solution/<name>/<id>)`,
    ],
    [
      "a version of another solution",
      { solutionVersionArn: NEW, solutionArn: ARN("solution/other") },
      `solutionVersionArn "${NEW}" is not a version of solutionArn "${ARN("solution/other")}"`,
    ],
    [
      "a metric that is no name",
      { solutionVersionArn: NEW, metric: "NDCG@10" },
      `metric "NDCG@10" is not a metric name such as ${NDCG}`,
    ],
    ["a floor above 1", { solutionVersionArn: NEW, minimum: 2 }, "minimum 2 must be at most 1"],
    [
      "a negative drop",
      { solutionVersionArn: NEW, maxDrop: -0.1 },
      "maxDrop -0.1 must be at least 0",
    ],
    [
      "a drop as text",
      { solutionVersionArn: NEW, maxDrop: "10%" },
      'maxDrop "10%" must be a number',
    ],
    [
      "an approval that is no version",
      { solutionVersionArn: NEW, approve: "yes" },
      'approve "yes" is not a solution version ARN (arn:aws:personalize:<region>:<account>:solution/<name>/<id>)',
    ],
    [
      "an output given as an input",
      { solutionVersionArn: NEW, approvedVersionArn: OLD },
      "approvedVersionArn is not a property of QualityGate; known properties: solutionVersionArn, trainedFrom, solutionArn, metric, minimum, maxDrop, approve, region, endpoint",
    ],
  ];
  for (const [title, news, reason] of refusals) {
    it(`refuses ${title}, naming the value`, async () => {
      const { failures } = await check(news);
      assert.deepEqual(
        failures?.map((f) => f.reason),
        [reason],
      );
    });
  }

  const stored: Props = {
    ...QUALITY_GATE_DEFAULTS,
    region: "us-east-1",
    solutionVersionArn: OLD,
    solutionArn: SOLUTION,
    trainedFrom: { trainingInputs: [ARN("dataset-import-job/import-1")] },
    approvedVersionArn: OLD,
    approvedMetrics: metrics(0.41),
    verdict: "passed",
  };
  const newData = { trainingInputs: [ARN("dataset-import-job/import-2")] };
  const diffs: [string, Props, { changes: boolean; replaces: string[] }][] = [
    ["unchanged", {}, { changes: false, replaces: [] }],
    [
      "a new candidate decides again (trainedFrom unchanged or not)",
      { solutionVersionArn: NEW },
      { changes: true, replaces: [] },
    ],
    [
      "an unknown candidate trained from the same inputs: the version updated in place (tags)",
      { solutionVersionArn: UNKNOWN },
      { changes: false, replaces: [] },
    ],
    [
      "an unknown candidate trained from new data",
      { solutionVersionArn: UNKNOWN, trainedFrom: newData },
      { changes: true, replaces: [] },
    ],
    [
      "an unknown candidate whose training inputs are unknown too",
      { solutionVersionArn: UNKNOWN, trainedFrom: { trainingInputs: [UNKNOWN] } },
      { changes: true, replaces: [] },
    ],
    ["an approval", { approve: NEW }, { changes: true, replaces: [] }],
    ["a new floor", { minimum: 0.2 }, { changes: true, replaces: [] }],
    [
      "a new solution starts afresh",
      { solutionArn: ARN("solution/other") },
      { changes: true, replaces: ["solutionArn"] },
    ],
  ];
  for (const [title, change, want] of diffs) {
    it(`diff: ${title}`, async () => {
      const news = { ...stored, ...change };
      delete news.approvedMetrics;
      delete news.verdict;
      const diff = await qualityGateProvider.diff!("gate", stored, news);
      assert.deepEqual({ changes: diff.changes, replaces: diff.replaces }, want);
      assert.equal(diff.deleteBeforeReplace, false);
    });
  }

  it("diff: an unknown candidate, with nothing said of its training, is an update", async () => {
    const { trainedFrom: _t, ...olds } = stored;
    const diff = await qualityGateProvider.diff!("gate", olds, {
      ...olds,
      solutionVersionArn: UNKNOWN,
    });
    assert.deepEqual([diff.changes, diff.replaces], [true, []]);
  });
});

describe("QualityGate against the emulator, in process and through the real host", function () {
  this.timeout(300_000);
  let h: Harness;
  let host: ProviderHost;
  let good: string;
  let bad: string;
  let solutionArn: string;
  let base: Props;
  const ROOT = resolve(__dirname, "../..");
  const urn = "urn:pulumi:test::gate::pulumi-nodejs:dynamic/personalize:QualityGate::gate";

  const ndcgOf = async (arn: string) =>
    (await h.personalize.send(new GetSolutionMetricsCommand({ solutionVersionArn: arn }))).metrics![
      NDCG
    ];
  const checked = async (news: Props) => {
    const result = await qualityGateProvider.check({}, { ...base, ...news });
    assert.deepEqual(result.failures, []);
    // Through the wire as the engine sends them: what check returned, typed as create takes it.
    return wire(result.inputs) as GateInputs;
  };
  const code = async () =>
    (await pulumi.runtime.serializeFunction(() => qualityGateProvider, { allowSecrets: true }))
      .text;

  before(async () => {
    h = await startDataPlane();
    host = await startProviderHost({ cwd: ROOT });
    await host.configure({});
    base = { region: "us-east-1", endpoint: h.emulator.url };
    const csv = toCsv(interactions(200, 30));
    const goodData = await upload(h, "gate-data", "good.csv", csv);
    const badData = await upload(h, "gate-data", "bad.csv", shuffleItemIds(csv));
    const { datasetGroupArn, datasetArn } = await group(h, SCHEMA);
    assert.equal((await importFile(h, datasetArn, goodData)).status, "ACTIVE");
    solutionArn = await solution(h, datasetGroupArn, "aws-user-personalization");
    good = (await train(h, solutionArn)).solutionVersionArn!;
    assert.equal((await importFile(h, datasetArn, badData)).status, "ACTIVE");
    bad = (await train(h, solutionArn)).solutionVersionArn!;
    const [g, b] = [await ndcgOf(good), await ndcgOf(bad)];
    assert.ok(b < g * 0.9, `shuffled items score ${b}, not 10% under ${g}`);
  });
  after(async () => {
    await host?.close();
    await h?.close();
  });

  it("create: the first version passes the floor; its metrics are the service's", async () => {
    const created = await qualityGateProvider.create(await checked({ solutionVersionArn: good }));
    assert.ok(created.id);
    assert.equal(created.outs.approvedVersionArn, good);
    assert.equal(created.outs.verdict, "passed");
    assert.equal((created.outs.approvedMetrics as Props)[NDCG], await ndcgOf(good));
    assert.match(created.outs.report as string, /^serving: none/m);
  });

  it("create: metrics are waited for through throttles, server errors and not-ready answers; a denial fails naming it", async () => {
    h.emulator.setFaults({
      scripted: [
        { operation: "GetSolutionMetrics", code: "ThrottlingException", times: 4 },
        { operation: "GetSolutionMetrics", code: "InternalFailure", times: 2 },
        { operation: "GetSolutionMetrics", code: "ResourceInUseException", times: 2 },
      ],
    });
    try {
      const created = await qualityGateProvider.create(await checked({ solutionVersionArn: good }));
      assert.equal(created.outs.approvedVersionArn, good);
      h.emulator.setFaults({
        scripted: [
          {
            operation: "GetSolutionMetrics",
            code: "AccessDeniedException",
            message: "User is not authorized to perform: personalize:GetSolutionMetrics",
          },
        ],
      });
      const denied = await rejection(
        qualityGateProvider.create(await checked({ solutionVersionArn: good })),
      );
      assert.equal(denied.name, "QualityGateMetricsUnavailable");
      assert.equal(
        denied.message,
        `QualityGate: cannot read the metrics of solution version ${good}: User is not authorized to perform: personalize:GetSolutionMetrics`,
      );
    } finally {
      h.emulator.setFaults({});
    }
  });

  it("create: a version below the floor fails, naming the floor", async () => {
    const err = await rejection(
      qualityGateProvider.create(await checked({ solutionVersionArn: good, minimum: 0.99 })),
    );
    assert.equal(err.name, GATE_FAILED);
    assert.match(err.message, /is below the floor 0\.99/);
  });

  it("create: a metric the version lacks names those it has", async () => {
    const err = await rejection(
      qualityGateProvider.create(await checked({ solutionVersionArn: good, metric: "ndcg" })),
    );
    assert.equal(err.name, METRIC_MISSING);
    assert.match(err.message, new RegExp(`has no metric "ndcg"; it reports coverage, .*${NDCG}`));
  });

  it("update: a worse version fails with both versions' metrics; approving it passes; a better one passes", async () => {
    const inputs = await checked({ solutionVersionArn: good });
    const { id, outs } = await qualityGateProvider.create(inputs);
    const olds = wire(outs);

    const failed = await rejection(
      qualityGateProvider.update!(id, olds, await checked({ solutionVersionArn: bad })),
    );
    assert.equal(failed.name, GATE_FAILED);
    const [g, b] = [await ndcgOf(good), await ndcgOf(bad)];
    assert.match(failed.message, new RegExp(`solution version ${bad} failed the quality gate`));
    assert.match(failed.message, new RegExp(`the gate still approves ${good}`));
    const row = failed.message.split("\n").find((l) => l.startsWith(`${NDCG} `));
    assert.deepEqual(row?.split(/\s+/), [
      NDCG,
      b.toFixed(4),
      g.toFixed(4),
      (g * 0.9).toFixed(4),
      "failed",
    ]);

    const approved = await qualityGateProvider.update!(
      id,
      olds,
      await checked({ solutionVersionArn: bad, approve: bad }),
    );
    assert.equal(approved.outs!.verdict, "approved");
    assert.equal(approved.outs!.approvedVersionArn, bad);

    const back = await qualityGateProvider.update!(
      id,
      wire(approved.outs),
      await checked({ solutionVersionArn: good, approve: bad }),
    );
    assert.equal(back.outs!.verdict, "passed");
    assert.equal(back.outs!.approvedVersionArn, good);
  });

  it("through the real host: a failed gate's message is the provider's, table and all", async () => {
    const provider = await code();
    assert.doesNotMatch(provider, /require\("@aws-sdk\/[^"/]+\/[^"]*"\)/);
    const inputs = await checked({ solutionVersionArn: good });
    const { id, outs } = await qualityGateProvider.create(inputs);
    const news = await checked({ solutionVersionArn: bad });
    const direct = await rejection(qualityGateProvider.update!(id, wire(outs), news));

    const hostInputs = (
      await host.check(urn, {}, { ...base, solutionVersionArn: good, __provider: provider })
    ).inputs;
    const created = await host.create(urn, hostInputs);
    assert.equal(created.properties.approvedVersionArn, good);
    const hostNews = (
      await host.check(urn, hostInputs, { ...base, solutionVersionArn: bad, __provider: provider })
    ).inputs;
    const diff = await host.diff(urn, created.id, created.properties, hostNews, hostInputs);
    assert.deepEqual([diff.changes, diff.replaces], ["some", []]);
    const through = (await rejection(
      host.update(urn, created.id, created.properties, hostNews, hostInputs),
    )) as HostError;
    assert.equal(through.message, direct.message);
    assert.match(through.message, /\nverdict: failed: /);
    assert.equal(
      through.initFailure,
      undefined,
      "nothing recorded: the engine keeps the old state",
    );
  });
});
