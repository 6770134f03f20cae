import assert from "node:assert/strict";
import {
  CreateSolutionVersionCommand,
  DescribeCampaignCommand,
  DescribeSolutionCommand,
  DescribeSolutionVersionCommand,
  PersonalizeClient,
} from "@aws-sdk/client-personalize";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import {
  checkAndCreate as create,
  Props,
  PROVIDERS,
  startTestEmulator,
  TestEmulator,
  wire,
} from "./helpers";
import { MINIMAL_INTERACTIONS_SCHEMA as SCHEMA } from "../support/schemas";

/**
 * Lifecycles that take a little while (tens to hundreds of milliseconds), so that the
 * service's "retry later" answers really happen: count quotas on in-flight jobs, updates and
 * deletes refused while something is transitional, versions still training.
 */
describe("providers: waiting out transitional states against the emulator", () => {
  let running: TestEmulator;
  let personalize: PersonalizeClient;
  let base: Props;
  let dg: { id: string; outs: Props };
  let dataset: { id: string; outs: Props };
  let solution: { id: string; outs: Props };

  before(async () => {
    // Import jobs take 2 s: longer than the SDK's own retries of LimitExceededException last.
    running = await startTestEmulator({
      durationScale: 0.05,
      durations: { datasetImportJob: 40_000 },
    });
    ({ personalize, base } = running);
    const { s3 } = running;
    await s3.send(new CreateBucketCommand({ Bucket: "data" }));
    await s3.send(
      new PutObjectCommand({
        Bucket: "data",
        Key: "i.csv",
        Body: "USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\n",
      }),
    );
    dg = await create(PROVIDERS.DatasetGroup, { ...base, name: "transitional" });
    const schema = await create(PROVIDERS.Schema, {
      ...base,
      name: "transitional",
      schema: SCHEMA,
    });
    dataset = await create(PROVIDERS.Dataset, {
      ...base,
      name: "interactions",
      datasetGroupArn: dg.id,
      datasetType: "INTERACTIONS",
      schemaArn: schema.id,
    });
  });

  after(async () => {
    await running?.close();
  });

  it("six import jobs at once: the one over the in-flight quota of five waits its turn instead of failing", async () => {
    const jobs = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        create(PROVIDERS.DatasetImportJob, {
          ...base,
          jobName: `burst-${i}`,
          datasetArn: dataset.id,
          dataLocation: "s3://data/i.csv",
          roleArn: "arn:aws:iam::000000000000:role/placeholder",
          dataHash: `hash${i}`,
        }),
      ),
    );
    assert.deepEqual(
      jobs.map((j) => j.outs.status),
      Array(6).fill("ACTIVE"),
    );
  });

  it("a campaign update sent while another is in flight waits for it, and the last one wins", async () => {
    solution = await create(PROVIDERS.Solution, {
      ...base,
      name: "transitional",
      datasetGroupArn: dg.id,
      recipeArn: "arn:aws:personalize:::recipe/aws-user-personalization",
    });
    const version = await create(PROVIDERS.SolutionVersion, { ...base, solutionArn: solution.id });
    const args = { ...base, name: "transitional", solutionVersionArn: version.id };
    const campaign = await create(PROVIDERS.Campaign, args);
    const updateTo = async (tps: number) => {
      const checked = await PROVIDERS.Campaign.check!(campaign.inputs, {
        ...args,
        minProvisionedTPS: tps,
      });
      return PROVIDERS.Campaign.update!(campaign.id, campaign.outs, wire(checked.inputs));
    };
    const first = updateTo(2);
    await new Promise((r) => setTimeout(r, 20));
    const second = await updateTo(3);
    await first;
    assert.equal(second.outs?.minProvisionedTPS, 3);
    const described = await personalize.send(
      new DescribeCampaignCommand({ campaignArn: campaign.id }),
    );
    assert.equal(described.campaign?.minProvisionedTPS, 3);
    await PROVIDERS.Campaign.delete!(campaign.id, campaign.outs);
  });

  it("deleting a version still training stops it (then forgets it)", async () => {
    const solutionArn = solution.id;
    const started = await personalize.send(new CreateSolutionVersionCommand({ solutionArn }));
    const arn = started.solutionVersionArn!;
    await PROVIDERS.SolutionVersion.delete!(arn, { ...base, solutionArn, arn });
    const described = await personalize.send(
      new DescribeSolutionVersionCommand({ solutionVersionArn: arn }),
    );
    assert.equal(described.solutionVersion?.status, "CREATE STOPPED");
  });

  it("deleting a solution whose latest version is training stops the version first", async () => {
    const busy = await create(PROVIDERS.Solution, {
      ...base,
      name: "busy",
      datasetGroupArn: dg.id,
      recipeArn: "arn:aws:personalize:::recipe/aws-sims",
    });
    const started = await personalize.send(
      new CreateSolutionVersionCommand({ solutionArn: busy.id }),
    );
    const training = await personalize.send(
      new DescribeSolutionVersionCommand({ solutionVersionArn: started.solutionVersionArn }),
    );
    assert.match(String(training.solutionVersion?.status), /^CREATE (PENDING|IN_PROGRESS)$/);
    await PROVIDERS.Solution.delete!(busy.id, busy.outs);
    await assert.rejects(personalize.send(new DescribeSolutionCommand({ solutionArn: busy.id })), {
      name: "ResourceNotFoundException",
    });
  });

  it("a dataset group deleted together with its dataset waits until the dataset is gone", async () => {
    await PROVIDERS.Solution.delete!(solution.id, solution.outs);
    await Promise.all([
      PROVIDERS.Dataset.delete!(dataset.id, dataset.outs),
      PROVIDERS.DatasetGroup.delete!(dg.id, dg.outs),
    ]);
    assert.equal((await PROVIDERS.DatasetGroup.read!(dg.id, dg.outs)).id, undefined);
  });
});
