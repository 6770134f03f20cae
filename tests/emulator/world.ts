/**
 * A world with a resource of every kind, for the tests that call every operation of the three
 * APIs (tests/emulator/service-model.test.ts): imported data, two trained campaigns (one for
 * GetRecommendations, one for GetPersonalizedRanking), an event tracker, a filter, an Items
 * dataset whose schema can change, and spare resources that the Delete operations may take.
 */
import {
  CreateDatasetGroupCommand,
  CreateSchemaCommand,
  DescribeDatasetGroupCommand,
  ListDatasetImportJobsCommand,
  ListEventTrackersCommand,
  ListSolutionVersionsCommand,
} from "@aws-sdk/client-personalize";
import { ManualClock } from "../../emulator";
import { ITEMS_SCHEMA, SCHEMA, interactions, toCsv } from "../dataplane/fixtures";
import {
  campaign,
  dataset,
  deploy,
  filter,
  group,
  importFile,
  settle,
  solution,
  start,
  tracker,
  upload,
  type Harness,
} from "../dataplane/stack";
import { eventually } from "../support/emulator";
import { INTERACTIONS_SCHEMA, avroSchema } from "../support/schemas";

export interface World {
  groupArn: string;
  datasetArn: string;
  importJobArn: string;
  schemaArn: string;
  itemsDatasetArn: string;
  /** An Items schema that UpdateDataset accepts for itemsDatasetArn. */
  widerItemsSchemaArn: string;
  usersSchemaArn: string;
  dataLocation: string;
  solutionArn: string;
  versionArn: string;
  campaignArn: string;
  rankingCampaignArn: string;
  trackingId: string;
  eventTrackerArn: string;
  filterArn: string;
  /** A dataset group without an event tracker. */
  trackerlessGroupArn: string;
  /** Resources only the Delete operations take. */
  spare: {
    groupArn: string;
    schemaArn: string;
    datasetArn: string;
    solutionArn: string;
    campaignArn: string;
    eventTrackerArn: string;
    filterArn: string;
  };
}

let counter = 0;
/** A name no earlier request used (tests/dataplane/stack.ts names `<prefix>-<pid>-<n>`). */
export const fresh = (prefix: string) => `world-${prefix}-${++counter}`;

/**
 * An emulator with the emulator's data plane, and the world in it. Its clock stands still, so
 * with lifecycles of no duration a status moves only when a request (or finished work) runs
 * the lifecycle: never between a test's two requests.
 */
export async function startWorld(): Promise<{ h: Harness; w: World }> {
  const h = await start({ clock: new ManualClock() });
  try {
    return { h, w: await build(h) };
  } catch (err) {
    await h.close();
    throw err;
  }
}

async function build(h: Harness): Promise<World> {
  const p = h.personalize;
  const createSchema = async (schema: string) =>
    (await p.send(new CreateSchemaCommand({ name: fresh("schema"), schema }))).schemaArn!;
  const emptyGroup = async () => {
    const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name: fresh("dsg") }));
    await settle(
      async () =>
        (await p.send(new DescribeDatasetGroupCommand({ datasetGroupArn }))).datasetGroup!,
    );
    return datasetGroupArn!;
  };
  /** The ARN of the (ACTIVE) event tracker of a group. */
  const trackerArn = async (groupArn: string) =>
    (await p.send(new ListEventTrackersCommand({ datasetGroupArn: groupArn }))).eventTrackers![0]
      .eventTrackerArn!;

  const main = await group(h, SCHEMA);
  const dataLocation = await upload(
    h,
    "model-world",
    "interactions.csv",
    toCsv(interactions(80, 30)),
  );
  const job = await importFile(h, main.datasetArn, dataLocation);
  if (job.status !== "ACTIVE") throw new Error(`world import ${job.status}: ${job.failureReason}`);
  const user = await deploy(h, main.datasetGroupArn, "aws-user-personalization");
  const ranking = await deploy(h, main.datasetGroupArn, "aws-personalized-ranking");
  const trackingId = await tracker(h, main.datasetGroupArn);
  const expression = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")';
  const trackerless = await group(h, SCHEMA);
  const elsewhere = await emptyGroup();
  return {
    groupArn: main.datasetGroupArn,
    datasetArn: main.datasetArn,
    importJobArn: job.datasetImportJobArn!,
    schemaArn: await createSchema(INTERACTIONS_SCHEMA),
    itemsDatasetArn: await dataset(h, main.datasetGroupArn, ITEMS_SCHEMA, "Items"),
    widerItemsSchemaArn: await createSchema(
      avroSchema("Items", [
        { name: "ITEM_ID", type: "string" },
        { name: "CATEGORY", type: "string", categorical: true },
        { name: "COLOR", type: ["null", "string"], categorical: true },
      ]),
    ),
    usersSchemaArn: await createSchema(
      avroSchema("Users", [
        { name: "USER_ID", type: "string" },
        { name: "AGE", type: ["null", "int"] },
      ]),
    ),
    dataLocation,
    solutionArn: user.solutionArn,
    versionArn: user.solutionVersionArn,
    campaignArn: user.campaignArn,
    rankingCampaignArn: ranking.campaignArn,
    trackingId,
    eventTrackerArn: await trackerArn(main.datasetGroupArn),
    filterArn: await filter(h, main.datasetGroupArn, expression),
    trackerlessGroupArn: trackerless.datasetGroupArn,
    spare: {
      groupArn: await emptyGroup(),
      schemaArn: await createSchema(INTERACTIONS_SCHEMA),
      datasetArn: trackerless.datasetArn,
      solutionArn: await solution(h, main.datasetGroupArn, "aws-sims"),
      campaignArn: await campaign(h, user.solutionVersionArn),
      eventTrackerArn: await tracker(h, elsewhere).then(() => trackerArn(elsewhere)),
      filterArn: await filter(h, main.datasetGroupArn, expression),
    },
  };
}

/**
 * Waits until no import job or solution version is at work: then nothing runs the lifecycle
 * (the clock stands still) until the next request.
 */
export async function quiesce(h: Harness): Promise<void> {
  const busy = (status?: string) => status === "CREATE PENDING" || status === "CREATE IN_PROGRESS";
  await eventually(
    async () => {
      const jobs = await h.personalize.send(new ListDatasetImportJobsCommand({}));
      const versions = await h.personalize.send(new ListSolutionVersionsCommand({}));
      return [...jobs.datasetImportJobs!, ...versions.solutionVersions!].some((r) =>
        busy(r.status),
      );
    },
    (working) => !working,
    "no work in flight",
    2000,
  );
}
