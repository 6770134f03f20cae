// Lifecycles of every resource type, driven through the real Personalize SDK client.
import {
  CreateCampaignCommand,
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateDatasetImportJobCommand,
  CreateEventTrackerCommand,
  CreateFilterCommand,
  CreateSchemaCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DeleteCampaignCommand,
  DeleteDatasetCommand,
  DeleteDatasetGroupCommand,
  DeleteEventTrackerCommand,
  DeleteFilterCommand,
  DeleteSchemaCommand,
  DeleteSolutionCommand,
  DescribeCampaignCommand,
  DescribeDatasetCommand,
  DescribeDatasetGroupCommand,
  DescribeDatasetImportJobCommand,
  DescribeEventTrackerCommand,
  DescribeFilterCommand,
  DescribeRecipeCommand,
  DescribeSchemaCommand,
  DescribeSolutionCommand,
  DescribeSolutionVersionCommand,
  GetSolutionMetricsCommand,
  ListCampaignsCommand,
  ListDatasetImportJobsCommand,
  ListFiltersCommand,
  ListSolutionVersionsCommand,
  ListTagsForResourceCommand,
  StopSolutionVersionCreationCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateCampaignCommand,
  UpdateDatasetCommand,
  UpdateSolutionCommand,
} from "@aws-sdk/client-personalize";
import { strict as assert } from "node:assert";
import { ManualClock } from "../../emulator";
import {
  INTERACTIONS_SCHEMA,
  ITEMS_SCHEMA,
  eventually,
  groupWithInteractions,
  harness,
  rejection,
  waitActive,
  type Harness,
} from "./helpers";

const ACCOUNT = "000000000000";
const arn = (path: string) => `arn:aws:personalize:us-east-1:${ACCOUNT}:${path}`;

async function gone(read: () => Promise<unknown>, what: string) {
  await eventually(
    () =>
      read().then(
        () => "still there",
        (err: Error) => err.name,
      ),
    (name) => name === "ResourceNotFoundException",
    `${what} deleted`,
  );
}

describe("emulator lifecycles", function () {
  describe("on a manual clock", () => {
    let h: Harness;
    let clock: ManualClock;
    beforeEach(async () => {
      clock = new ManualClock(Date.UTC(2026, 0, 1));
      h = await harness({
        clock,
        durationScale: 1,
        durations: { datasetGroup: 1000, delete: 400 },
      });
    });
    afterEach(() => h.close());

    it("moves a dataset group through CREATE PENDING, CREATE IN_PROGRESS, ACTIVE, DELETE PENDING, gone", async () => {
      const p = h.personalize;
      const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: "clocked" }));
      assert.equal(datasetGroupArn, arn("dataset-group/clocked"));
      const describe = async () =>
        (await p.send(new DescribeDatasetGroupCommand({ datasetGroupArn }))).datasetGroup!;
      const first = await describe();
      assert.equal(first.status, "CREATE PENDING");
      assert.equal(first.creationDateTime?.getTime(), Date.UTC(2026, 0, 1));
      clock.advance(250);
      assert.equal((await describe()).status, "CREATE IN_PROGRESS");
      clock.advance(749);
      assert.equal((await describe()).status, "CREATE IN_PROGRESS");
      clock.advance(1);
      const active = await describe();
      assert.equal(active.status, "ACTIVE");
      assert.equal(active.lastUpdatedDateTime?.getTime(), Date.UTC(2026, 0, 1) + 1000);

      await p.send(new DeleteDatasetGroupCommand({ datasetGroupArn }));
      assert.equal((await describe()).status, "DELETE PENDING");
      clock.advance(399);
      assert.equal(
        (await describe()).status,
        "DELETE PENDING",
        "dataset groups skip DELETE IN_PROGRESS",
      );
      clock.advance(1);
      assert.equal((await rejection(describe())).name, "ResourceNotFoundException");
    });

    it("refuses work on a dataset group that is not ACTIVE yet, and deleting it mid-create", async () => {
      const p = h.personalize;
      const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: "young" }));
      const { schemaArn } = await p.send(
        new CreateSchemaCommand({ name: "young-schema", schema: INTERACTIONS_SCHEMA }),
      );
      const err = await rejection(
        p.send(
          new CreateDatasetCommand({
            name: "d",
            datasetGroupArn,
            schemaArn,
            datasetType: "INTERACTIONS",
          }),
        ),
      );
      assert.equal(err.name, "ResourceInUseException");
      assert.match(err.message, /CREATE PENDING/);
      assert.equal(
        (await rejection(p.send(new DeleteDatasetGroupCommand({ datasetGroupArn })))).name,
        "ResourceInUseException",
      );
    });

    it("refuses to delete a dataset while an import job into it is in progress", async () => {
      const p = h.personalize;
      const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: "busy" }));
      clock.advance(10_000);
      const { schemaArn } = await p.send(
        new CreateSchemaCommand({ name: "busy-schema", schema: INTERACTIONS_SCHEMA }),
      );
      const { datasetArn } = await p.send(
        new CreateDatasetCommand({
          name: "busy-ds",
          datasetGroupArn,
          schemaArn,
          datasetType: "Interactions",
        }),
      );
      clock.advance(10_000);
      await p.send(
        new CreateDatasetImportJobCommand({
          jobName: "busy-import",
          datasetArn,
          dataSource: { dataLocation: "s3://b/i.csv" },
        }),
      );
      const refused = await rejection(p.send(new DeleteDatasetCommand({ datasetArn })));
      assert.equal(refused.name, "ResourceInUseException");
      assert.match(refused.message, /dataset-import-job\/busy-import \(CREATE PENDING\)/);
      clock.advance(10_000);
      await eventually(
        () =>
          p.send(new DeleteDatasetCommand({ datasetArn })).then(
            () => true,
            () => false,
          ),
        (deleted) => deleted,
        "dataset deletable once the import finished",
      );
    });

    it("keeps a campaign ACTIVE on its old version while latestCampaignUpdate runs", async () => {
      const p = h.personalize;
      const step = () => clock.advance(20_000);
      const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: "camp" }));
      step();
      const { solutionArn } = await p.send(
        new CreateSolutionCommand({
          name: "camp-sol",
          datasetGroupArn,
          recipeArn: "arn:aws:personalize:::recipe/aws-user-personalization",
          performAutoTraining: false,
        }),
      );
      step();
      const v1 = (await p.send(new CreateSolutionVersionCommand({ solutionArn })))
        .solutionVersionArn!;
      step();
      const version = async (a: string) =>
        (await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn: a })))
          .solutionVersion!;
      await eventually(
        () => version(v1).then((v) => (step(), v)),
        (v) => v.status === "ACTIVE",
        "v1 ACTIVE",
      );
      const v2 = (
        await p.send(new CreateSolutionVersionCommand({ solutionArn, trainingMode: "UPDATE" }))
      ).solutionVersionArn!;
      await eventually(
        () => version(v2).then((v) => (step(), v)),
        (v) => v.status === "ACTIVE",
        "v2 ACTIVE",
      );
      assert.equal((await version(v2)).trainingMode, "UPDATE");

      const { campaignArn } = await p.send(
        new CreateCampaignCommand({ name: "camp-c", solutionVersionArn: v1 }),
      );
      const campaign = async () =>
        (await p.send(new DescribeCampaignCommand({ campaignArn }))).campaign!;
      assert.equal((await campaign()).latestCampaignUpdate, undefined);
      assert.equal(
        (await rejection(p.send(new UpdateCampaignCommand({ campaignArn, minProvisionedTPS: 2 }))))
          .name,
        "ResourceInUseException",
      );
      step();
      const created = await campaign();
      assert.equal(created.status, "ACTIVE");
      assert.equal(created.minProvisionedTPS, 1);
      assert.equal(
        created.latestCampaignUpdate,
        undefined,
        "latestCampaignUpdate appears only after the first update",
      );

      await p.send(
        new UpdateCampaignCommand({ campaignArn, solutionVersionArn: v2, minProvisionedTPS: 3 }),
      );
      const updating = await campaign();
      assert.equal(updating.status, "ACTIVE");
      assert.equal(
        updating.solutionVersionArn,
        v1,
        "keeps serving the old version during the update",
      );
      assert.equal(updating.latestCampaignUpdate?.status, "CREATE PENDING");
      assert.equal(updating.latestCampaignUpdate?.solutionVersionArn, v2);
      assert.equal(
        (await rejection(p.send(new UpdateCampaignCommand({ campaignArn, minProvisionedTPS: 4 }))))
          .name,
        "ResourceInUseException",
      );
      assert.equal(
        (await rejection(p.send(new DeleteCampaignCommand({ campaignArn })))).name,
        "ResourceInUseException",
      );
      clock.advance(750);
      assert.equal((await campaign()).latestCampaignUpdate?.status, "CREATE IN_PROGRESS");
      step();
      const done = await campaign();
      assert.equal(done.latestCampaignUpdate?.status, "ACTIVE");
      assert.equal(done.solutionVersionArn, v2);
      assert.equal(done.minProvisionedTPS, 3);
    });

    it("stops a solution version: CREATE PENDING -> CREATE STOPPED, IN_PROGRESS -> CREATE STOPPING -> CREATE STOPPED", async () => {
      const p = h.personalize;
      const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: "stop" }));
      clock.advance(10_000);
      const { solutionArn } = await p.send(
        new CreateSolutionCommand({
          name: "stop-sol",
          datasetGroupArn,
          recipeArn: "arn:aws:personalize:::recipe/aws-sims",
        }),
      );
      clock.advance(10_000);
      const version = async (a: string) =>
        (await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn: a })))
          .solutionVersion!;
      const pending = (
        await p.send(new CreateSolutionVersionCommand({ solutionArn, name: "early" }))
      ).solutionVersionArn!;
      assert.match(pending, new RegExp(`^${solutionArn}/[0-9a-f]{8}$`));
      await p.send(new StopSolutionVersionCreationCommand({ solutionVersionArn: pending }));
      assert.equal((await version(pending)).status, "CREATE STOPPED");
      assert.equal((await version(pending)).name, "early");

      const running = (await p.send(new CreateSolutionVersionCommand({ solutionArn })))
        .solutionVersionArn!;
      clock.advance(1250);
      assert.equal((await version(running)).status, "CREATE IN_PROGRESS");
      assert.equal(
        (await rejection(p.send(new DeleteSolutionCommand({ solutionArn })))).name,
        "ResourceInUseException",
      );
      await p.send(new StopSolutionVersionCreationCommand({ solutionVersionArn: running }));
      assert.equal((await version(running)).status, "CREATE STOPPING");
      clock.advance(1000);
      assert.equal((await version(running)).status, "CREATE STOPPED");
      assert.equal(
        (
          await rejection(
            p.send(new StopSolutionVersionCreationCommand({ solutionVersionArn: running })),
          )
        ).name,
        "ResourceInUseException",
      );
      const latest = (await p.send(new DescribeSolutionCommand({ solutionArn }))).solution!
        .latestSolutionVersion;
      assert.equal(latest?.solutionVersionArn, running);
      await p.send(new DeleteSolutionCommand({ solutionArn }));
      const solution = () => p.send(new DescribeSolutionCommand({ solutionArn }));
      assert.equal((await solution()).solution!.status, "DELETE PENDING");
      clock.advance(200);
      assert.equal((await solution()).solution!.status, "DELETE IN_PROGRESS");
      clock.advance(200);
      assert.equal((await rejection(solution())).name, "ResourceNotFoundException");
      assert.equal(
        (
          await rejection(
            p.send(new DescribeSolutionVersionCommand({ solutionVersionArn: running })),
          )
        ).name,
        "ResourceNotFoundException",
      );
    });
  });

  describe("at durationScale 0", () => {
    let h: Harness;
    before(async () => {
      h = await harness({ durationScale: 0 });
    });
    after(() => h.close());

    it("runs the workshop chain to a campaign and deletes it again in dependency order", async () => {
      const p = h.personalize;
      const { datasetGroupArn, schemaArn, datasetArn } = await groupWithInteractions(p, "workshop");
      assert.equal(datasetArn, arn("dataset/workshop/INTERACTIONS"));
      const ds = (await p.send(new DescribeDatasetCommand({ datasetArn }))).dataset!;
      assert.equal(ds.datasetType, "INTERACTIONS");
      assert.equal(ds.name, "workshop-ds");
      assert.equal(
        (await p.send(new DescribeSchemaCommand({ schemaArn }))).schema!.schema,
        INTERACTIONS_SCHEMA,
      );

      const { datasetImportJobArn } = await p.send(
        new CreateDatasetImportJobCommand({
          jobName: "workshop-import",
          datasetArn,
          dataSource: { dataLocation: "s3://workshop-bucket/interactions.csv" },
          roleArn: `arn:aws:iam::${ACCOUNT}:role/PersonalizeS3`,
        }),
      );
      const job = await waitActive(
        async () =>
          (await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn })))
            .datasetImportJob,
        "import job",
      );
      assert.equal(job.importMode, "FULL");
      assert.equal(job.dataSource?.dataLocation, "s3://workshop-bucket/interactions.csv");
      const jobs = (await p.send(new ListDatasetImportJobsCommand({ datasetArn })))
        .datasetImportJobs!;
      assert.deepEqual(
        jobs.map((j) => j.jobName),
        ["workshop-import"],
      );

      const recipe = (
        await p.send(
          new DescribeRecipeCommand({ recipeArn: "arn:aws:personalize:::recipe/aws-hrnn" }),
        )
      ).recipe!;
      assert.equal(recipe.recipeType, "USER_PERSONALIZATION");
      const { solutionArn } = await p.send(
        new CreateSolutionCommand({
          name: "workshop-sol",
          datasetGroupArn,
          recipeArn: recipe.recipeArn,
          tags: [{ tagKey: "team", tagValue: "ml" }],
        }),
      );
      const solution = await waitActive(
        async () => (await p.send(new DescribeSolutionCommand({ solutionArn }))).solution,
        "solution",
      );
      assert.equal(solution.performAutoTraining, true);
      assert.equal(solution.latestSolutionVersion, undefined);
      const { solutionVersionArn } = await p.send(
        new CreateSolutionVersionCommand({ solutionArn }),
      );
      const version = await waitActive(
        async () =>
          (await p.send(new DescribeSolutionVersionCommand({ solutionVersionArn })))
            .solutionVersion,
        "solution version",
      );
      assert.equal(version.trainingMode, "FULL");
      assert.equal(version.recipeArn, recipe.recipeArn);
      const metrics = await p.send(new GetSolutionMetricsCommand({ solutionVersionArn }));
      assert.equal(metrics.solutionVersionArn, solutionVersionArn);
      assert.deepEqual(
        (await p.send(new ListSolutionVersionsCommand({ solutionArn }))).solutionVersions!.map(
          (v) => v.solutionVersionArn,
        ),
        [solutionVersionArn],
      );

      const { campaignArn } = await p.send(
        new CreateCampaignCommand({ name: "segment-workshop-campaign", solutionVersionArn }),
      );
      const campaign = await waitActive(
        async () => (await p.send(new DescribeCampaignCommand({ campaignArn }))).campaign,
        "campaign",
      );
      assert.equal(campaign.minProvisionedTPS, 1);
      assert.deepEqual(
        (await p.send(new ListCampaignsCommand({ solutionArn }))).campaigns!.map(
          (c) => c.campaignArn,
        ),
        [campaignArn],
      );

      const { eventTrackerArn, trackingId } = await p.send(
        new CreateEventTrackerCommand({ name: "workshop-tracker", datasetGroupArn }),
      );
      assert.match(trackingId!, /^[0-9a-f-]{36}$/);
      const tracker = await waitActive(
        async () =>
          (await p.send(new DescribeEventTrackerCommand({ eventTrackerArn }))).eventTracker,
        "tracker",
      );
      assert.equal(tracker.trackingId, trackingId);
      assert.equal(tracker.accountId, ACCOUNT);
      const second = await rejection(
        p.send(new CreateEventTrackerCommand({ name: "second-tracker", datasetGroupArn })),
      );
      assert.equal(second.name, "ResourceAlreadyExistsException");

      const { filterArn } = await p.send(
        new CreateFilterCommand({
          name: "no-purchased",
          datasetGroupArn,
          filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed")',
        }),
      );
      await waitActive(
        async () => (await p.send(new DescribeFilterCommand({ filterArn }))).filter,
        "filter",
      );
      const filters = await p.send(new ListFiltersCommand({ datasetGroupArn }));
      assert.deepEqual(
        filters.Filters!.map((f) => f.filterArn),
        [filterArn],
      );

      // Deletion rules: dependents first.
      const inUse = async (promise: Promise<unknown>) =>
        assert.equal((await rejection(promise)).name, "ResourceInUseException");
      await inUse(p.send(new DeleteDatasetGroupCommand({ datasetGroupArn })));
      await inUse(p.send(new DeleteSolutionCommand({ solutionArn })));
      await inUse(p.send(new DeleteSchemaCommand({ schemaArn })));

      await p.send(new DeleteCampaignCommand({ campaignArn }));
      await gone(() => p.send(new DescribeCampaignCommand({ campaignArn })), "campaign");
      await p.send(new DeleteSolutionCommand({ solutionArn }));
      await gone(() => p.send(new DescribeSolutionCommand({ solutionArn })), "solution");
      assert.equal(
        (await rejection(p.send(new DescribeSolutionVersionCommand({ solutionVersionArn })))).name,
        "ResourceNotFoundException",
        "a solution's versions go with it",
      );
      await p.send(new DeleteEventTrackerCommand({ eventTrackerArn }));
      await p.send(new DeleteFilterCommand({ filterArn }));
      await gone(() => p.send(new DescribeEventTrackerCommand({ eventTrackerArn })), "tracker");
      await gone(() => p.send(new DescribeFilterCommand({ filterArn })), "filter");
      await p.send(new DeleteDatasetCommand({ datasetArn }));
      await gone(() => p.send(new DescribeDatasetCommand({ datasetArn })), "dataset");
      await gone(
        () => p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn })),
        "import job",
      );
      await p.send(new DeleteSchemaCommand({ schemaArn }));
      await gone(() => p.send(new DescribeSchemaCommand({ schemaArn })), "schema");
      await p.send(new DeleteDatasetGroupCommand({ datasetGroupArn }));
      await gone(
        () => p.send(new DescribeDatasetGroupCommand({ datasetGroupArn })),
        "dataset group",
      );
    });

    it("updates an ITEMS dataset's schema through latestDatasetUpdate, additively only", async () => {
      const p = h.personalize;
      const { datasetGroupArn } = await groupWithInteractions(p, "evolve");
      const { schemaArn } = await p.send(
        new CreateSchemaCommand({ name: "items-v1", schema: ITEMS_SCHEMA }),
      );
      const { datasetArn } = await p.send(
        new CreateDatasetCommand({
          name: "items",
          datasetGroupArn,
          schemaArn,
          datasetType: "items",
        }),
      );
      await waitActive(
        async () => (await p.send(new DescribeDatasetCommand({ datasetArn }))).dataset,
        "items dataset",
      );
      const v2 = JSON.parse(ITEMS_SCHEMA);
      v2.fields.push({ name: "PRICE", type: ["null", "float"] });
      const { schemaArn: v2Arn } = await p.send(
        new CreateSchemaCommand({ name: "items-v2", schema: JSON.stringify(v2) }),
      );
      const bad = JSON.parse(ITEMS_SCHEMA);
      bad.fields.push({ name: "PRICE", type: "float" });
      const { schemaArn: badArn } = await p.send(
        new CreateSchemaCommand({ name: "items-bad", schema: JSON.stringify(bad) }),
      );
      const refused = await rejection(
        p.send(new UpdateDatasetCommand({ datasetArn, schemaArn: badArn })),
      );
      assert.equal(refused.name, "InvalidInputException");
      assert.match(refused.message, /PRICE must allow null/);
      await p.send(new UpdateDatasetCommand({ datasetArn, schemaArn: v2Arn }));
      const updated = await eventually(
        async () => (await p.send(new DescribeDatasetCommand({ datasetArn }))).dataset!,
        (d) => d.latestDatasetUpdate?.status === "ACTIVE",
        "dataset update ACTIVE",
      );
      assert.equal(updated.schemaArn, v2Arn);
      const interactions = arn("dataset/evolve/INTERACTIONS");
      assert.equal(
        (
          await rejection(
            p.send(new UpdateDatasetCommand({ datasetArn: interactions, schemaArn: v2Arn })),
          )
        ).name,
        "InvalidInputException",
      );
    });

    it("updates a solution through latestSolutionUpdate", async () => {
      const p = h.personalize;
      const { datasetGroupArn } = await groupWithInteractions(p, "solupd");
      const { solutionArn } = await p.send(
        new CreateSolutionCommand({
          name: "solupd-sol",
          datasetGroupArn,
          recipeArn: "arn:aws:personalize:::recipe/aws-user-personalization",
        }),
      );
      await waitActive(
        async () => (await p.send(new DescribeSolutionCommand({ solutionArn }))).solution,
        "solution",
      );
      await p.send(
        new UpdateSolutionCommand({
          solutionArn,
          performAutoTraining: false,
          solutionUpdateConfig: { autoTrainingConfig: { schedulingExpression: "rate(3 days)" } },
        }),
      );
      const updated = await eventually(
        async () => (await p.send(new DescribeSolutionCommand({ solutionArn }))).solution!,
        (s) => s.latestSolutionUpdate?.status === "ACTIVE",
        "solution update ACTIVE",
      );
      assert.equal(updated.performAutoTraining, false);
      assert.equal(
        updated.solutionConfig?.autoTrainingConfig?.schedulingExpression,
        "rate(3 days)",
      );
      assert.equal(updated.latestSolutionUpdate?.performAutoTraining, false);
    });

    it("tags every resource but schemas, and lists, merges and removes tags", async () => {
      const p = h.personalize;
      const { datasetGroupArn } = await p.send(
        new CreateDatasetGroupCommand({
          name: "tagged",
          tags: [{ tagKey: "env", tagValue: "dev" }],
        }),
      );
      await p.send(
        new TagResourceCommand({
          resourceArn: datasetGroupArn,
          tags: [
            { tagKey: "team", tagValue: "ml" },
            { tagKey: "env", tagValue: "prod" },
          ],
        }),
      );
      const tags = (await p.send(new ListTagsForResourceCommand({ resourceArn: datasetGroupArn })))
        .tags!;
      assert.deepEqual(tags.map((t) => `${t.tagKey}=${t.tagValue}`).sort(), [
        "env=prod",
        "team=ml",
      ]);
      await p.send(new UntagResourceCommand({ resourceArn: datasetGroupArn, tagKeys: ["env"] }));
      assert.deepEqual(
        (await p.send(new ListTagsForResourceCommand({ resourceArn: datasetGroupArn }))).tags,
        [{ tagKey: "team", tagValue: "ml" }],
      );
      // The model allows lists of 200; the service allows 50 tags per resource.
      const many = Array.from({ length: 51 }, (_, i) => ({ tagKey: `k${i}`, tagValue: "v" }));
      assert.equal(
        (
          await rejection(
            p.send(new TagResourceCommand({ resourceArn: datasetGroupArn, tags: many })),
          )
        ).name,
        "TooManyTagsException",
      );
      assert.equal(
        (
          await rejection(
            p.send(
              new UntagResourceCommand({
                resourceArn: datasetGroupArn,
                tagKeys: many.map((t) => t.tagKey),
              }),
            ),
          )
        ).name,
        "TooManyTagKeysException",
      );
      assert.equal(
        (
          await rejection(
            p.send(new ListTagsForResourceCommand({ resourceArn: arn("dataset-group/nope") })),
          )
        ).name,
        "ResourceNotFoundException",
      );
    });
  });
});
