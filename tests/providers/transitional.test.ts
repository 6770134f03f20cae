import assert from "node:assert/strict";
import {
  CreateSolutionVersionCommand,
  DescribeCampaignCommand,
  DescribeSolutionCommand,
  DescribeSolutionVersionCommand,
  PersonalizeClient,
} from "@aws-sdk/client-personalize";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { startEmulator, type RunningEmulator } from "../../emulator";
import {
  campaignProvider,
  datasetGroupProvider,
  datasetImportJobProvider,
  datasetProvider,
  schemaProvider,
  solutionProvider,
  solutionVersionProvider,
} from "../../providers";

type Props = Record<string, unknown>;
const wire = (v: unknown) => Struct.fromJavaScript(v as never).toJavaScript() as Props;

async function create(provider: dynamic.ResourceProvider, news: Props) {
  const checked = await provider.check!({}, news);
  assert.deepEqual(checked.failures, []);
  const inputs = wire(checked.inputs);
  const result = await provider.create(inputs);
  return { id: result.id, inputs, outs: wire(result.outs) };
}

const SCHEMA = JSON.stringify({
  type: "record",
  name: "Interactions",
  namespace: "com.amazonaws.personalize.schema",
  fields: [
    { name: "USER_ID", type: "string" },
    { name: "ITEM_ID", type: "string" },
    { name: "TIMESTAMP", type: "long" },
  ],
  version: "1.0",
});

/**
 * Lifecycles that take a little while (tens to hundreds of milliseconds), so that the
 * service's "retry later" answers really happen: count quotas on in-flight jobs, updates and
 * deletes refused while something is transitional, versions still training.
 */
describe("providers: waiting out transitional states against the emulator", () => {
  let emulator: RunningEmulator;
  let personalize: PersonalizeClient;
  let base: Props;
  let dg: { id: string; outs: Props };
  let dataset: { id: string; outs: Props };
  let solution: { id: string; outs: Props };

  before(async () => {
    // Import jobs take 2 s: longer than the SDK's own retries of LimitExceededException last.
    emulator = await startEmulator({
      port: 0,
      durationScale: 0.05,
      durations: { datasetImportJob: 40_000 },
    });
    base = { region: "us-east-1", endpoint: emulator.url };
    const credentials = { accessKeyId: "test", secretAccessKey: "test" };
    personalize = new PersonalizeClient({
      region: "us-east-1",
      endpoint: emulator.url,
      credentials,
    });
    const s3 = new S3Client({
      region: "us-east-1",
      endpoint: emulator.url,
      credentials,
      forcePathStyle: true,
    });
    await s3.send(new CreateBucketCommand({ Bucket: "data" }));
    await s3.send(
      new PutObjectCommand({
        Bucket: "data",
        Key: "i.csv",
        Body: "USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\n",
      }),
    );
    s3.destroy();
    dg = await create(datasetGroupProvider, { ...base, name: "transitional" });
    const schema = await create(schemaProvider, { ...base, name: "transitional", schema: SCHEMA });
    dataset = await create(datasetProvider, {
      ...base,
      name: "interactions",
      datasetGroupArn: dg.id,
      datasetType: "INTERACTIONS",
      schemaArn: schema.id,
    });
  });

  after(async () => {
    personalize?.destroy();
    await emulator?.close();
  });

  it("six import jobs at once: the one over the in-flight quota of five waits its turn instead of failing", async () => {
    const jobs = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        create(datasetImportJobProvider, {
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
    solution = await create(solutionProvider, {
      ...base,
      name: "transitional",
      datasetGroupArn: dg.id,
      recipeArn: "arn:aws:personalize:::recipe/aws-user-personalization",
    });
    const version = await create(solutionVersionProvider, { ...base, solutionArn: solution.id });
    const args = { ...base, name: "transitional", solutionVersionArn: version.id };
    const campaign = await create(campaignProvider, args);
    const updateTo = async (tps: number) => {
      const checked = await campaignProvider.check!(campaign.inputs, {
        ...args,
        minProvisionedTPS: tps,
      });
      return campaignProvider.update!(campaign.id, campaign.outs, wire(checked.inputs));
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
    await campaignProvider.delete!(campaign.id, campaign.outs);
  });

  it("deleting a version still training stops it (then forgets it)", async () => {
    const solutionArn = solution.id;
    const started = await personalize.send(new CreateSolutionVersionCommand({ solutionArn }));
    const arn = started.solutionVersionArn!;
    await solutionVersionProvider.delete!(arn, { ...base, solutionArn, arn });
    const described = await personalize.send(
      new DescribeSolutionVersionCommand({ solutionVersionArn: arn }),
    );
    assert.equal(described.solutionVersion?.status, "CREATE STOPPED");
  });

  it("deleting a solution whose latest version is training stops the version first", async () => {
    const busy = await create(solutionProvider, {
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
    await solutionProvider.delete!(busy.id, busy.outs);
    await assert.rejects(personalize.send(new DescribeSolutionCommand({ solutionArn: busy.id })), {
      name: "ResourceNotFoundException",
    });
  });

  it("a dataset group deleted together with its dataset waits until the dataset is gone", async () => {
    await solutionProvider.delete!(solution.id, solution.outs);
    await Promise.all([
      datasetProvider.delete!(dataset.id, dataset.outs),
      datasetGroupProvider.delete!(dg.id, dg.outs),
    ]);
    assert.equal((await datasetGroupProvider.read!(dg.id, dg.outs)).id, undefined);
  });
});
