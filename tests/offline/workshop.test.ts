import { strict as assert } from "assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import {
  DeleteCampaignCommand,
  DescribeCampaignCommand,
  ListCampaignsCommand,
  ListDatasetGroupsCommand,
  ListSolutionsCommand,
  ListSolutionVersionsCommand,
  PersonalizeClient,
} from "@aws-sdk/client-personalize";
import {
  GetRecommendationsCommand,
  PersonalizeRuntimeClient,
} from "@aws-sdk/client-personalize-runtime";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { createDataPlane } from "../../emulator/data";
import { ApiRecorder, startApiRecorder } from "../../offline/api-recorder";
import { OfflineEngine, RunResult } from "../../offline/engine";
import { readStack, stackEngine } from "../../offline/stack-config";
import { firstUsers } from "../../offline/start";
import { startTestEmulator, TestEmulator } from "../support/emulator";
import { leftovers } from "../../offline/leftovers";

// End to end: the REAL index.ts (stack/, providers/, serialized as Pulumi serializes them)
// deployed by the offline engine to the emulator with instant lifecycles. Every API call goes
// through a recording proxy, so "nothing changed" means "no write reached the service".
// The steps build on each other, in order, like a user's session: preview, up, up again,
// change the data, change TPS, rename, drift, destroy.
const ROOT = resolve(__dirname, "../..");
const DYNAMIC = "pulumi-nodejs:dynamic/";

describe("offline end to end: index.ts on the emulator", function () {
  this.timeout(300_000);
  let env: TestEmulator;
  let recorder: ApiRecorder;
  let engine: OfflineEngine;
  let personalize: PersonalizeClient;
  let runtime: PersonalizeRuntimeClient;
  let s3: S3Client;
  let project: string;
  let tmp: string;
  let deployed: RunResult;
  const user = firstUsers(readFileSync(join(ROOT, "data/interactions.csv"), "utf8"), 1)[0];

  const writes = () => recorder.writes().map((c) => c.operation);
  const key = (k: string) => `${project}:${k}`;
  const recommend = async (campaignArn: unknown) => {
    const answer = await runtime.send(
      new GetRecommendationsCommand({
        campaignArn: campaignArn as string,
        userId: user,
        numResults: 5,
      }),
    );
    return (answer.itemList ?? []).map((i) => i.itemId);
  };
  const campaign = async (campaignArn: unknown) =>
    (await personalize.send(new DescribeCampaignCommand({ campaignArn: campaignArn as string })))
      .campaign!;

  before(async () => {
    env = await startTestEmulator({ dataPlane: createDataPlane });
    recorder = await startApiRecorder(env.emulator.url);
    const stack = readStack(ROOT, "local");
    project = stack.project;
    engine = stackEngine(stack, recorder.url);
    ({ personalize, runtime, s3 } = env);
    tmp = mkdtempSync(join(tmpdir(), "offline-e2e-"));
  });

  after(async () => {
    await recorder?.close();
    await env?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  beforeEach(() => recorder.reset());

  /** What a run did (or a preview plans) per resource; a replacement's delete is part of it. */
  const plan = (result: RunResult) =>
    result.steps
      .filter((s) => s.op !== "delete-replaced")
      .map((s) => `${s.op} ${s.type.replace(DYNAMIC, "")} ${s.name}`)
      .sort();

  /**
   * A preview, then the up: what a pull request's preview shows must be what the merge then
   * does, resource by resource. The preview writes nothing.
   */
  const previewedUp = async (): Promise<RunResult> => {
    const preview = await engine.preview();
    assert.deepEqual(writes(), [], "a preview writes nothing");
    const up = await engine.up();
    assert.deepEqual(plan(preview), plan(up), "the preview's plan is what the up did");
    return up;
  };

  it("a preview with data that would not import fails before any call, saying why", async () => {
    const bad = join(tmp, "bad-interactions.csv");
    writeFileSync(bad, "USER,ITEM\n1,shoe\n");
    const configured = engine.config[key("dataFile")];
    engine.config[key("dataFile")] = bad;
    try {
      await assert.rejects(
        engine.preview(),
        /dataFile ".*bad-interactions\.csv" would fail to import/,
      );
    } finally {
      engine.config[key("dataFile")] = configured;
    }
    assert.deepEqual(recorder.calls, []);
    assert.deepEqual(engine.resources(), []);
  });

  it("previews an empty state: every resource planned, no mutating call", async () => {
    const preview = await engine.preview();
    assert.deepEqual(writes(), []);
    const planned = preview.steps.map((s) => `${s.op} ${s.type.replace(DYNAMIC, "")}`).sort();
    assert.deepEqual(planned, [
      "create personalize:Campaign",
      "create personalize:Dataset",
      "create personalize:DatasetGroup",
      "create personalize:DatasetImportJob",
      "create personalize:QualityGate",
      "create personalize:Schema",
      "create personalize:Solution",
      "create personalize:SolutionVersion",
      "create personalize:workshop:DataStore",
      "create personalize:workshop:PersonalizePipeline",
      "create s3:LocalBucket",
      "create s3:LocalObject",
    ]);
    const groups = await personalize.send(new ListDatasetGroupsCommand({}));
    assert.deepEqual(groups.datasetGroups, []);
  });

  it("up creates the whole pipeline and the campaign answers", async () => {
    deployed = await previewedUp();
    assert.deepEqual(
      writes()
        .filter((w) => w.startsWith("Create"))
        .sort(),
      [
        "CreateCampaign",
        "CreateDataset",
        "CreateDatasetGroup",
        "CreateDatasetImportJob",
        "CreateSchema",
        "CreateSolution",
        "CreateSolutionVersion",
      ],
    );
    const objects = await s3.send(
      new ListObjectsV2Command({ Bucket: deployed.outputs.bucketName as string }),
    );
    assert.deepEqual(
      objects.Contents?.map((o) => `s3://${deployed.outputs.bucketName}/${o.Key}`),
      [deployed.outputs.dataLocation],
    );
    const { campaignArn, solutionVersionArn } = deployed.outputs;
    const live = await campaign(campaignArn);
    assert.equal(live.status, "ACTIVE");
    assert.equal(live.solutionVersionArn, solutionVersionArn);
    const items = await recommend(campaignArn);
    assert.equal(items.length, 5, `recommendations for user ${user}`);
  });

  it("a second up with nothing changed makes no API write", async () => {
    const again = await previewedUp();
    assert.deepEqual(writes(), []);
    assert.deepEqual(again.outputs, deployed.outputs);
    assert.deepEqual(
      again.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`),
      [],
    );
  });

  it("new data imports again, trains a new version and moves the campaign in place", async () => {
    const lines = readFileSync(join(ROOT, "data/interactions.csv"), "utf8").trimEnd().split("\n");
    const changed = join(tmp, "interactions.csv");
    writeFileSync(changed, lines.slice(0, lines.length - 500).join("\n") + "\n");
    engine.config[key("dataFile")] = changed;
    // What a pull request's preview would show: new job and version, the campaign in place.
    const plan = await engine.preview();
    assert.deepEqual(writes(), []);
    const planned = plan.steps.map((s) => `${s.op} ${s.type.replace(DYNAMIC, "")}`);
    for (const step of [
      "replace personalize:DatasetImportJob",
      "replace personalize:SolutionVersion",
      "update personalize:QualityGate",
      "update personalize:Campaign",
      "same personalize:DatasetGroup",
      "same personalize:Solution",
    ]) {
      assert.ok(planned.includes(step), `${step} in ${planned.join(", ")}`);
    }
    recorder.reset();
    const result = await previewedUp();
    const { outputs } = result;
    assert.notEqual(outputs.datasetImportJobArn, deployed.outputs.datasetImportJobArn);
    assert.notEqual(outputs.solutionVersionArn, deployed.outputs.solutionVersionArn);
    assert.equal(outputs.campaignArn, deployed.outputs.campaignArn);
    const calls = writes();
    assert.ok(calls.includes("CreateDatasetImportJob"), calls.join(", "));
    assert.ok(calls.includes("CreateSolutionVersion"), calls.join(", "));
    assert.ok(calls.includes("UpdateCampaign"), calls.join(", "));
    assert.ok(
      !calls.includes("CreateCampaign") && !calls.includes("DeleteCampaign"),
      calls.join(", "),
    );
    const live = await campaign(outputs.campaignArn);
    assert.equal(live.solutionVersionArn, outputs.solutionVersionArn);
    assert.equal(live.status, "ACTIVE");
    const versions = await personalize.send(
      new ListSolutionVersionsCommand({ solutionArn: outputs.solutionArn as string }),
    );
    assert.equal(versions.solutionVersions?.length, 2);
    assert.equal((await recommend(outputs.campaignArn)).length, 5);
    deployed = result;
  });

  it("a TPS change previews as one update, then updates the campaign in place", async () => {
    engine.config[key("minProvisionedTPS")] = "3";
    const plan = await engine.preview();
    assert.deepEqual(writes(), []);
    assert.deepEqual(
      plan.steps
        .filter((s) => s.op !== "same")
        .map((s) => `${s.op} ${s.type.replace(DYNAMIC, "")}`),
      ["update personalize:Campaign"],
    );
    assert.equal((await campaign(deployed.outputs.campaignArn)).minProvisionedTPS, 1);
    const result = await previewedUp();
    assert.deepEqual(writes(), ["UpdateCampaign"]);
    assert.equal(result.outputs.campaignArn, deployed.outputs.campaignArn);
    const live = await campaign(result.outputs.campaignArn);
    assert.equal(live.minProvisionedTPS, 3);
    assert.equal(live.status, "ACTIVE");
    deployed = result;
  });

  it("renaming the dataset group replaces the chain below it, deleting first", async () => {
    // The renamed group forces a new solution under the same (account-unique) name, which
    // the provider replaces delete-first. The engine deletes a dependent first only if an
    // input of it came from the replaced resource and its diff then asks for replacement;
    // DeleteSolution is refused while a campaign deploys the solution, so the stack must
    // pass the campaign its `solutionArn` (a campaign taking only the VERSION would be
    // updated in place, and the delete would fail).
    assert.ok(
      "solutionArn" in (engine.resources("Campaign")[0]?.inputs ?? {}),
      "the stack gives the campaign its solution's ARN",
    );
    engine.config[key("datasetGroupName")] = "renamed-dataset-group";
    const result = await previewedUp();
    const calls = writes();
    const at = (op: string) => {
      const i = calls.indexOf(op);
      assert.ok(i >= 0, `${op} missing from ${calls.join(", ")}`);
      return i;
    };
    // The solution keeps its name, which is unique: the old one must go before the new one.
    assert.ok(at("DeleteSolution") < at("CreateSolution"), calls.join(", "));
    // The campaign deploys the solution: it goes first and comes back after.
    assert.ok(at("DeleteCampaign") < at("DeleteSolution"), calls.join(", "));
    assert.ok(at("CreateSolution") < at("CreateCampaign"), calls.join(", "));
    // Children go before their dataset group.
    assert.ok(at("DeleteSolution") < at("DeleteDatasetGroup"), calls.join(", "));
    assert.ok(at("DeleteDataset") < at("DeleteDatasetGroup"), calls.join(", "));
    // ARNs follow names: the solution comes back under the same ARN, its version does not.
    for (const arn of ["datasetGroupArn", "datasetArn", "solutionVersionArn"]) {
      assert.notEqual(result.outputs[arn], deployed.outputs[arn], `${arn} is replaced`);
    }
    assert.match(String(result.outputs.datasetGroupArn), /dataset-group\/renamed-dataset-group$/);
    const groups = await personalize.send(new ListDatasetGroupsCommand({}));
    assert.deepEqual(
      groups.datasetGroups?.map((g) => g.datasetGroupArn),
      [result.outputs.datasetGroupArn],
    );
    const solutions = await personalize.send(new ListSolutionsCommand({}));
    assert.deepEqual(
      solutions.solutions?.map((x) => x.solutionArn),
      [result.outputs.solutionArn],
    );
    const live = await campaign(result.outputs.campaignArn);
    assert.equal(live.status, "ACTIVE");
    assert.equal(live.solutionVersionArn, result.outputs.solutionVersionArn);
    assert.equal((await recommend(result.outputs.campaignArn)).length, 5);
    deployed = result;
  });

  it("refresh notices a campaign deleted behind the stack's back; the next up recreates it", async () => {
    const campaignArn = deployed.outputs.campaignArn as string;
    await personalize.send(new DeleteCampaignCommand({ campaignArn }));
    // Deletion is asynchronous even at duration 0: wait until the service forgets it.
    for (let i = 0; i < 100; i++) {
      const left = await personalize.send(new ListCampaignsCommand({}));
      if (!left.campaigns?.some((c) => c.campaignArn === campaignArn)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    recorder.reset();
    const refreshed = await engine.refresh();
    assert.deepEqual(writes(), []);
    const campaignStep = refreshed.steps.find((s) => s.type.endsWith(":Campaign"));
    assert.equal(campaignStep?.refreshed, "deleted");
    assert.equal(engine.resources("Campaign").length, 0);
    assert.ok(
      refreshed.steps.filter((s) => s !== campaignStep).every((s) => s.refreshed !== "deleted"),
    );

    recorder.reset();
    const result = await previewedUp();
    assert.deepEqual(writes(), ["CreateCampaign"]);
    assert.equal((await campaign(result.outputs.campaignArn)).status, "ACTIVE");
    assert.equal((await recommend(result.outputs.campaignArn)).length, 5);
  });

  it("a tags change updates every tagged resource in place, and the preview says so", async () => {
    engine.config[key("tags")] = JSON.stringify({ team: "recs" });
    const before = engine.resources().map((r) => [r.urn, r.id]);
    const result = await previewedUp();
    const ops = result.steps.map((s) => s.op);
    assert.ok(!ops.includes("replace") && !ops.includes("create"), ops.join(", "));
    assert.ok(writes().includes("TagResource"), writes().join(", "));
    assert.deepEqual(
      engine.resources().map((r) => [r.urn, r.id]),
      before,
    );
    deployed = result;
  });

  it("a new namePrefix renames every physical resource under the same URNs, and converges", async () => {
    delete engine.config[key("datasetGroupName")];
    // An explicit name that stays: the campaign is replaced delete-first, without a collision.
    engine.config[key("campaignName")] = String(deployed.outputs.campaignName);
    const urns = engine
      .resources()
      .map((r) => r.urn)
      .sort();
    engine.config[key("namePrefix")] = "renamed-prefix";
    const result = await previewedUp();
    assert.deepEqual(
      engine
        .resources()
        .map((r) => r.urn)
        .sort(),
      urns,
      "no URN changed",
    );
    assert.match(
      String(result.outputs.datasetGroupArn),
      /dataset-group\/renamed-prefix-dataset-group$/,
    );
    assert.equal(result.outputs.campaignName, deployed.outputs.campaignName);
    assert.equal((await campaign(result.outputs.campaignArn)).status, "ACTIVE");
    assert.equal((await recommend(result.outputs.campaignArn)).length, 5);
    const groups = await personalize.send(new ListDatasetGroupsCommand({}));
    assert.deepEqual(
      groups.datasetGroups?.map((g) => g.datasetGroupArn),
      [result.outputs.datasetGroupArn],
    );
    recorder.reset();
    const again = await previewedUp();
    assert.deepEqual(writes(), []);
    assert.deepEqual(
      again.steps.filter((s) => s.op !== "same"),
      [],
    );
    deployed = result;
  });

  for (const [name, value] of [
    ["schemaName", "renamed-schema"],
    ["datasetName", "renamed-interactions"],
    ["importJobName", "renamed-import"],
    ["solutionName", "renamed-solution"],
    ["solutionVersionName", "renamed-version"],
    ["campaignName", "renamed-campaign"],
    ["bucketName", "renamed-data"],
  ]) {
    it(`a new ${name} converges, as previewed, and the campaign still answers`, async () => {
      engine.config[key(name)] = value;
      const result = await previewedUp();
      assert.equal((await campaign(result.outputs.campaignArn)).status, "ACTIVE");
      assert.equal((await recommend(result.outputs.campaignArn)).length, 5);
      recorder.reset();
      const again = await engine.up();
      assert.deepEqual(writes(), [], "converged: the next up writes nothing");
      deployed = again;
    });
  }

  it("destroy leaves no Personalize resource and no S3 object", async () => {
    await engine.destroy();
    assert.deepEqual(engine.resources(), []);
    assert.deepEqual(await leftovers({ personalize, s3 }), []);
  });
});
