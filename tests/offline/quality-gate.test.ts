import { strict as assert } from "assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import {
  DescribeCampaignCommand,
  GetSolutionMetricsCommand,
  ListSolutionVersionsCommand,
} from "@aws-sdk/client-personalize";
import { GetRecommendationsCommand } from "@aws-sdk/client-personalize-runtime";
import { createDataPlane } from "../../emulator/data";
import { ApiRecorder, startApiRecorder } from "../../offline/api-recorder";
import { OfflineEngine, RunResult } from "../../offline/engine";
import { leftovers } from "../../offline/leftovers";
import { firstUsers } from "../../offline/start";
import { readStack, stackEngine } from "../../offline/stack-config";
import { rejection, startTestEmulator, TestEmulator } from "../support/emulator";
import { shuffleItemIds } from "../support/shuffle";

// End to end: the real index.ts, its default quality gate between the solution version and the
// campaign, deployed by the offline engine (providers in the real dynamic-provider host) to the
// emulator, which trains for real and reports holdout metrics. The steps build on each other:
// first deploy, good new data, data made worse on purpose, the same bad data again, approval.
const ROOT = resolve(__dirname, "../..");
const DYNAMIC = "pulumi-nodejs:dynamic/";
const NDCG = "normalized_discounted_cumulative_gain_at_10";

describe("offline end to end: the quality gate on roll-forward", function () {
  this.timeout(300_000);
  let env: TestEmulator;
  let recorder: ApiRecorder;
  let engine: OfflineEngine;
  let project: string;
  let tmp: string;
  let served: RunResult;
  let rejectedVersion: string;
  const csv = readFileSync(join(ROOT, "data/interactions.csv"), "utf8");
  const users = firstUsers(csv, 3);

  const key = (k: string) => `${project}:${k}`;
  const writes = () => recorder.writes().map((c) => c.operation);
  const gate = () => engine.resources("QualityGate")[0].outputs;
  const live = async (campaignArn: unknown) =>
    (
      await env.personalize.send(
        new DescribeCampaignCommand({ campaignArn: campaignArn as string }),
      )
    ).campaign!;
  const recommendations = async (campaignArn: unknown) => {
    const answers: string[][] = [];
    for (const userId of users) {
      const answer = await env.runtime.send(
        new GetRecommendationsCommand({ campaignArn: campaignArn as string, userId }),
      );
      answers.push((answer.itemList ?? []).map((i) => i.itemId ?? ""));
    }
    return answers;
  };
  const ndcg = async (solutionVersionArn: string) =>
    (await env.personalize.send(new GetSolutionMetricsCommand({ solutionVersionArn }))).metrics![
      NDCG
    ];
  const versions = async () =>
    (
      await env.personalize.send(
        new ListSolutionVersionsCommand({ solutionArn: served.outputs.solutionArn as string }),
      )
    ).solutionVersions ?? [];
  const useData = (name: string, text: string) => {
    const file = join(tmp, name);
    writeFileSync(file, text);
    engine.config[key("dataFile")] = file;
  };
  const plan = (result: RunResult) =>
    result.steps
      .filter((s) => s.op !== "delete-replaced")
      .map((s) => `${s.op} ${s.type.replace(DYNAMIC, "")} ${s.name}`)
      .sort();
  /** A preview, then the up; the preview's plan must be what the up did. */
  const previewedUp = async () => {
    const preview = await engine.preview();
    const up = await engine.up();
    assert.deepEqual(plan(preview), plan(up), "the preview's plan is what the up did");
    return up;
  };

  before(async () => {
    env = await startTestEmulator({ dataPlane: createDataPlane });
    recorder = await startApiRecorder(env.emulator.url);
    const stack = readStack(ROOT, "local");
    project = stack.project;
    engine = stackEngine(stack, recorder.url);
    tmp = mkdtempSync(join(tmpdir(), "quality-gate-"));
  });
  after(async () => {
    await recorder?.close();
    await env?.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  beforeEach(() => recorder.reset());

  it("the first up passes the floor, and the campaign serves the version", async () => {
    served = await previewedUp();
    const { solutionVersionArn, campaignArn } = served.outputs;
    assert.equal(gate().verdict, "passed");
    assert.equal(gate().approvedVersionArn, solutionVersionArn);
    assert.match(String(gate().report), /^serving: none \(nothing approved yet/m);
    assert.equal((await live(campaignArn)).solutionVersionArn, solutionVersionArn);
  });

  it("good new data passes the gate, and the campaign moves to the new version in place", async () => {
    const lines = csv.trimEnd().split("\n");
    useData("fewer.csv", lines.slice(0, lines.length - 500).join("\n") + "\n");
    const before = served.outputs.solutionVersionArn as string;
    const up = await previewedUp();
    const after = up.outputs.solutionVersionArn as string;
    assert.notEqual(after, before);
    assert.equal(up.outputs.campaignArn, served.outputs.campaignArn);
    assert.ok(writes().includes("UpdateCampaign"), writes().join(", "));
    assert.equal(gate().verdict, "passed");
    assert.equal(gate().approvedVersionArn, after);
    assert.ok(String(gate().report).includes(`serving: ${before}`));
    const campaign = await live(up.outputs.campaignArn);
    assert.equal(campaign.solutionVersionArn, after);
    assert.equal(campaign.status, "ACTIVE");
    served = up;
  });

  it("data made worse (shuffled item ids) fails the gate: the up fails with both versions' metrics, the campaign keeps serving the old version", async () => {
    const { campaignArn, solutionVersionArn: servingArn } = served.outputs;
    const answersBefore = await recommendations(campaignArn);
    useData("shuffled.csv", shuffleItemIds(csv));
    const failed = await rejection(engine.up());

    // It trained the new version, then stopped at the gate: the campaign was never updated.
    assert.ok(writes().includes("CreateSolutionVersion"), writes().join(", "));
    assert.ok(!writes().some((w) => w.includes("Campaign")), writes().join(", "));
    const candidate = engine.resources("SolutionVersion").find((r) => r.outputs.arn !== servingArn)
      ?.outputs.arn as string;
    assert.ok(candidate, "the new version is in the state");
    rejectedVersion = candidate;

    // The message: what failed, both versions side by side, the bar and the verdict.
    const [fresh, old] = [await ndcg(candidate), await ndcg(servingArn as string)];
    assert.ok(fresh < old * 0.9, `shuffled ${fresh} against ${old}`);
    assert.match(failed.message, /^up failed: .*QualityGate 'workshop-quality-gate': update: /);
    assert.ok(failed.message.includes(`solution version ${candidate} failed the quality gate`));
    assert.ok(failed.message.includes(`the gate still approves ${servingArn}`));
    const row = failed.message.split("\n").find((l) => l.startsWith(`${NDCG} `));
    assert.deepEqual(row?.split(/\s+/), [
      NDCG,
      fresh.toFixed(4),
      old.toFixed(4),
      (old * 0.9).toFixed(4),
      "failed",
    ]);
    assert.ok(failed.message.includes(`new:     ${candidate}`));
    assert.ok(failed.message.includes(`serving: ${servingArn}`));
    assert.match(failed.message, /verdict: failed: .* below the serving version's/);
    assert.ok(failed.message.includes(`qualityGate.approve ${candidate}`));

    // The campaign: same ARN, the old version, the same answers; the state agrees.
    const campaign = await live(campaignArn);
    assert.equal(campaign.solutionVersionArn, servingArn);
    assert.equal(campaign.status, "ACTIVE");
    assert.deepEqual(await recommendations(campaignArn), answersBefore);
    assert.equal(gate().approvedVersionArn, servingArn);
    const [stored] = engine.resources("Campaign");
    assert.equal(stored.id, campaignArn);
    assert.equal(stored.outputs.solutionVersionArn, servingArn);
  });

  it("the next up with the same bad data trains nothing and fails the same way", async () => {
    const count = (await versions()).length;
    const failed = await rejection(engine.up());
    assert.deepEqual(writes(), [], "no import, no training, no campaign update");
    assert.equal((await versions()).length, count);
    assert.ok(
      failed.message.includes(`solution version ${rejectedVersion} failed the quality gate`),
    );
    assert.equal(
      (await live(served.outputs.campaignArn)).solutionVersionArn,
      served.outputs.solutionVersionArn,
    );
  });

  it("approving the version by config moves the campaign to it, without training again", async () => {
    const count = (await versions()).length;
    engine.config[key("qualityGate")] = JSON.stringify({ approve: rejectedVersion });
    const up = await previewedUp();
    assert.ok(writes().includes("UpdateCampaign"), writes().join(", "));
    assert.ok(!writes().includes("CreateSolutionVersion"), writes().join(", "));
    assert.equal((await versions()).length, count);
    assert.equal(gate().verdict, "approved");
    assert.equal(gate().approvedVersionArn, rejectedVersion);
    assert.match(
      String(gate().report),
      /^verdict: approved: approve names this version, although/m,
    );
    assert.equal(up.outputs.campaignArn, served.outputs.campaignArn);
    assert.equal((await live(up.outputs.campaignArn)).solutionVersionArn, rejectedVersion);
    assert.equal(engine.resources("SolutionVersion").length, 1, "the old version is forgotten");
    served = up;
  });

  it("turning the gate off removes it and leaves the campaign as it is", async () => {
    engine.config[key("qualityGate")] = JSON.stringify({ enabled: false });
    const up = await previewedUp();
    assert.deepEqual(
      up.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`),
      ["delete workshop-quality-gate"],
    );
    assert.deepEqual(writes(), []);
    assert.equal((await live(up.outputs.campaignArn)).solutionVersionArn, rejectedVersion);
  });

  it("destroy leaves nothing behind", async () => {
    await engine.destroy();
    assert.deepEqual(await leftovers(env), []);
  });
});
