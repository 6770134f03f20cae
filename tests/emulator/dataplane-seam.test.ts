// The data-plane seam: the control plane hands import jobs and training to `options.dataPlane`,
// waits for them, passes failures through verbatim, and routes runtime paths to it.
import {
  CreateCampaignCommand,
  CreateDatasetImportJobCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DeleteCampaignCommand,
  DeleteDatasetCommand,
  DeleteSolutionCommand,
  DescribeCampaignCommand,
  DescribeDatasetImportJobCommand,
  DescribeSolutionCommand,
  DescribeSolutionVersionCommand,
  GetSolutionMetricsCommand,
} from "@aws-sdk/client-personalize";
import { GetRecommendationsCommand } from "@aws-sdk/client-personalize-runtime";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { strict as assert } from "node:assert";
import type {
  DataPlane,
  DataPlaneDeps,
  ImportJobSpec,
  TrainingSpec,
} from "../../emulator/dataplane";
import { ServiceError } from "../../emulator/errors";
import { eventually, groupWithInteractions, harness, rejection, type Harness } from "./helpers";

/**
 * A small but real data plane: imports count the CSV rows it reads from the emulator's S3
 * store, training ranks items by interaction count, recommendations answer from that ranking.
 */
function countingDataPlane(
  deps: DataPlaneDeps,
  log: string[],
): DataPlane & { releaseTraining(): void } {
  const rows = new Map<string, string[][]>();
  const models = new Map<string, string[]>();
  // Training waits for the test, so it can watch the version stay CREATE IN_PROGRESS meanwhile.
  let releaseTraining: () => void = () => undefined;
  const trainingGate = new Promise<void>((resolve) => (releaseTraining = resolve));
  return {
    releaseTraining: () => releaseTraining(),
    paths: ["/recommendations"],
    async importData(spec: ImportJobSpec) {
      log.push(`import ${spec.datasetType} ${spec.dataLocation} ${spec.importMode}`);
      const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(spec.dataLocation)!;
      const body = deps.objects.getObject(match[1], match[2]);
      if (!body) return { failureReason: `Input file not found: ${spec.dataLocation}` };
      const parsed = body
        .toString("utf8")
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => l.split(","));
      const kept = spec.importMode === "INCREMENTAL" ? (rows.get(spec.datasetArn) ?? []) : [];
      rows.set(spec.datasetArn, [...kept, ...parsed]);
      return {};
    },
    async train(spec: TrainingSpec) {
      log.push(`train ${spec.recipeArn} ${spec.trainingMode}`);
      await trainingGate;
      const dataset = deps.view.dataset(spec.datasetGroupArn, "INTERACTIONS");
      const data = dataset ? (rows.get(dataset.datasetArn) ?? []) : [];
      if (data.length < 3)
        return {
          failureReason: `Create failed. Dataset has ${data.length} interactions; at least 3 are needed.`,
        };
      const counts = new Map<string, number>();
      for (const [, item] of data) counts.set(item, (counts.get(item) ?? 0) + 1);
      models.set(
        spec.solutionVersionArn,
        [...counts].sort((a, b) => b[1] - a[1]).map(([item]) => item),
      );
      return { trainingHours: 0.25 };
    },
    metrics: (arn) => (models.has(arn) ? { coverage: models.get(arn)!.length / 10 } : undefined),
    dropDataset: (arn) => log.push(`drop dataset ${arn}`),
    dropSolutionVersion: (arn) => log.push(`drop version ${arn}`),
    async handle(_method, path, body) {
      const { campaignArn } = body as { campaignArn?: string };
      const campaign = campaignArn ? deps.view.campaign(campaignArn) : undefined;
      if (!campaign)
        throw new ServiceError("ResourceNotFoundException", `No campaign ${campaignArn}`, 404);
      const ranking = models.get(campaign.solutionVersionArn) ?? [];
      return {
        status: 200,
        body: {
          itemList: ranking.map((itemId, i) => ({ itemId, score: 1 / (i + 1) })),
          recommendationId: "r-1",
        },
      };
    },
  };
}

describe("emulator data-plane seam", function () {
  let h: Harness;
  const log: string[] = [];
  let plane: ReturnType<typeof countingDataPlane>;
  before(async () => {
    h = await harness({ dataPlane: (deps) => (plane = countingDataPlane(deps, log)) });
  });
  after(() => h.close());

  it("imports through the data plane, trains, serves recommendations and drops data on delete", async () => {
    const p = h.personalize;
    await h.s3.send(new CreateBucketCommand({ Bucket: "seam" }));
    await h.s3.send(
      new PutObjectCommand({
        Bucket: "seam",
        Key: "i.csv",
        Body: "USER_ID,ITEM_ID,TIMESTAMP\n1,a,1\n2,b,2\n3,b,3\n",
      }),
    );
    const { datasetGroupArn, datasetArn } = await groupWithInteractions(p, "seam");

    const job = async (
      jobName: string,
      key: string,
      importMode: "FULL" | "INCREMENTAL" = "FULL",
    ) => {
      const { datasetImportJobArn } = await p.send(
        new CreateDatasetImportJobCommand({
          jobName,
          datasetArn,
          dataSource: { dataLocation: `s3://seam/${key}` },
          importMode,
        }),
      );
      return eventually(
        async () =>
          (await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn })))
            .datasetImportJob!,
        (j) => j.status === "ACTIVE" || j.status === "CREATE FAILED",
        `${jobName} finished`,
      );
    };
    const missing = await job("missing-file", "nope.csv");
    assert.equal(missing.status, "CREATE FAILED");
    assert.equal(missing.failureReason, "Input file not found: s3://seam/nope.csv");
    assert.equal((await job("good-file", "i.csv")).status, "ACTIVE");
    assert.ok(log.includes("import INTERACTIONS s3://seam/i.csv FULL"));

    const { solutionArn } = await p.send(
      new CreateSolutionCommand({
        name: "seam-sol",
        datasetGroupArn,
        recipeArn: "arn:aws:personalize:::recipe/aws-popularity-count",
      }),
    );
    await eventually(
      async () => (await p.send(new DescribeSolutionCommand({ solutionArn }))).solution!,
      (s) => s.status === "ACTIVE",
      "solution",
    );
    const { solutionVersionArn } = await p.send(new CreateSolutionVersionCommand({ solutionArn }));
    const version = async () =>
      (await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn }))).solutionVersion!;
    await eventually(version, (v) => v.status === "CREATE IN_PROGRESS", "training started");
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(
      (await version()).status,
      "CREATE IN_PROGRESS",
      "stays in progress until training settles",
    );
    assert.equal(
      (await rejection(p.send(new GetSolutionMetricsCommand({ solutionVersionArn })))).name,
      "ResourceInUseException",
    );
    plane.releaseTraining();
    const trained = await eventually(version, (v) => v.status === "ACTIVE", "training finished");
    assert.equal(trained.trainingHours, 0.25);
    assert.deepEqual(
      (await p.send(new GetSolutionMetricsCommand({ solutionVersionArn }))).metrics,
      { coverage: 0.2 },
    );

    const { campaignArn } = await p.send(
      new CreateCampaignCommand({
        name: "seam-campaign",
        solutionVersionArn: `${solutionArn}/$LATEST`,
        campaignConfig: { syncWithLatestSolutionVersion: true },
      }),
    );
    await eventually(
      async () => (await p.send(new DescribeCampaignCommand({ campaignArn }))).campaign!,
      (c) => c.status === "ACTIVE",
      "campaign",
    );
    const { runtime } = h;
    const recs = await runtime.send(new GetRecommendationsCommand({ campaignArn, userId: "1" }));
    assert.deepEqual(
      recs.itemList!.map((i) => i.itemId),
      ["b", "a"],
    );
    const unknown = await rejection(
      runtime.send(
        new GetRecommendationsCommand({
          campaignArn: campaignArn!.replace("seam-campaign", "other"),
          userId: "1",
        }),
      ),
    );
    assert.equal(unknown.name, "ResourceNotFoundException");
    assert.equal(unknown.$metadata?.httpStatusCode, 404);

    // $LATEST with syncWithLatestSolutionVersion: a newer ACTIVE version is served at once.
    await h.s3.send(
      new PutObjectCommand({
        Bucket: "seam",
        Key: "more.csv",
        Body: "USER_ID,ITEM_ID,TIMESTAMP\n4,c,4\n5,c,5\n6,c,6\n",
      }),
    );
    assert.equal((await job("more-file", "more.csv", "INCREMENTAL")).status, "ACTIVE");
    const { solutionVersionArn: newer } = await p.send(
      new CreateSolutionVersionCommand({ solutionArn }),
    );
    await eventually(
      async () =>
        (await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn: newer })))
          .solutionVersion!,
      (v) => v.status === "ACTIVE",
      "newer version ACTIVE",
    );
    const synced = await runtime.send(new GetRecommendationsCommand({ campaignArn, userId: "1" }));
    assert.deepEqual(
      synced.itemList!.map((i) => i.itemId),
      ["c", "b", "a"],
    );

    await p.send(new DeleteCampaignCommand({ campaignArn }));
    await eventually(
      () =>
        p.send(new DescribeCampaignCommand({ campaignArn })).then(
          () => false,
          () => true,
        ),
      (x) => x,
      "campaign gone",
    );
    await p.send(new DeleteSolutionCommand({ solutionArn }));
    await p.send(new DeleteDatasetCommand({ datasetArn }));
    await eventually(
      async () => log,
      (l) =>
        l.includes(`drop version ${solutionVersionArn}`) &&
        l.includes(`drop dataset ${datasetArn}`),
      "data dropped",
    );
  });
});
