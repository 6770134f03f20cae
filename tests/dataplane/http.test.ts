import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateCampaignCommand, GetSolutionMetricsCommand } from "@aws-sdk/client-personalize";
import { PutEventsCommand } from "@aws-sdk/client-personalize-events";
import {
  GetPersonalizedRankingCommand,
  GetRecommendationsCommand,
  type GetRecommendationsCommandInput,
} from "@aws-sdk/client-personalize-runtime";
import { SOLUTION_METRICS } from "../../rules/personalize";
import { rejection } from "../support/emulator";
import {
  CATEGORIES,
  ITEMS_SCHEMA,
  SCHEMA,
  START,
  categoryOf,
  interactions,
  toCsv,
  userCategory,
} from "./fixtures";
import {
  campaign,
  dataset,
  deploy,
  filter,
  group,
  importFile,
  start,
  tracker,
  train,
  solution,
  upload,
  type Group,
  type Harness,
} from "./stack";

const BUCKET = "dataplane-tests";
const GOOD = toCsv(interactions(80, 30));

describe("data plane over HTTP: import jobs read and check the CSV", function () {
  let h: Harness;
  let g: Group;
  before(async () => {
    h = await start();
    g = await group(h, SCHEMA);
  });
  after(() => h?.close());

  it("imports a good file", async () => {
    const job = await importFile(h, g.datasetArn, await upload(h, BUCKET, "good.csv", GOOD));
    assert.equal(job.status, "ACTIVE", job.failureReason);
  });

  const bad: [string, string, RegExp][] = [
    [
      "a wrong header",
      GOOD.replace("USER_ID,", "USERID,"),
      /missing the following columns: \[USER_ID\]/,
    ],
    [
      "a missing column",
      GOOD.split("\n")
        .map((line) => line.split(",").slice(0, 4).join(","))
        .join("\n"),
      /missing the following columns: \[TIMESTAMP\]/,
    ],
    [
      "a value of the wrong type",
      GOOD.replace(`,${START + 3600}\n`, ",yesterday\n"),
      /column TIMESTAMP: value "yesterday" is not a long/,
    ],
    [
      "milliseconds in TIMESTAMP",
      GOOD.replace(`,${START}\n`, `,${START * 1000}\n`),
      /milliseconds/,
    ],
    ["too few rows", toCsv(interactions(33, 30)), /has 990 interaction records; .* at least 1000/],
  ];
  for (const [what, csv, reason] of bad) {
    it(`fails an import of a file with ${what}, saying why`, async () => {
      const key = `bad-${what.replace(/\W+/g, "-")}.csv`;
      const job = await importFile(h, g.datasetArn, await upload(h, BUCKET, key, csv));
      assert.equal(job.status, "CREATE FAILED");
      assert.match(job.failureReason ?? "", reason);
    });
  }

  it("fails an import whose object or bucket does not exist, naming it", async () => {
    const missingKey = await importFile(h, g.datasetArn, `s3://${BUCKET}/nope.csv`);
    assert.equal(missingKey.status, "CREATE FAILED");
    assert.match(missingKey.failureReason ?? "", /s3:\/\/dataplane-tests\/nope.csv does not exist/);
    const missingBucket = await importFile(h, g.datasetArn, "s3://no-such-bucket/x.csv");
    assert.match(missingBucket.failureReason ?? "", /Insufficient privileges .*"no-such-bucket"/);
  });

  it("imports every CSV under a folder; FULL replaces the data and INCREMENTAL appends", async () => {
    const fresh = await group(h, SCHEMA);
    // The control plane refuses this at CreateDatasetImportJob; the data plane would fail the job.
    const early = await importFile(
      h,
      fresh.datasetArn,
      await upload(h, BUCKET, "incremental-first.csv", GOOD),
      "INCREMENTAL",
    ).catch((err: Error) => ({ status: err.name, failureReason: err.message }));
    assert.match(early.status ?? "", /InvalidInputException|CREATE FAILED/);
    assert.match(early.failureReason ?? "", /INCREMENTAL .*earlier .*bulk import/);

    // Two files in a folder: half the users each.
    const rows = interactions(80, 30);
    await upload(h, BUCKET, "folder/a.csv", toCsv(rows.slice(0, 1200)));
    await upload(h, BUCKET, "folder/b.csv", toCsv(rows.slice(1200)));
    const folder = await importFile(h, fresh.datasetArn, `s3://${BUCKET}/folder/`);
    assert.equal(folder.status, "ACTIVE", folder.failureReason);

    const newItem = Array.from({ length: 1000 }, (_, i) => ({
      user: `newcomer-${i % 100}`,
      item: "brand-new-item",
      type: "click",
      value: null,
      time: START + 500 * 3600 + i,
    }));
    const popular = async () => {
      const { campaignArn } = await deploy(h, fresh.datasetGroupArn, "aws-popularity-count");
      const answer = await h.runtime.send(
        new GetRecommendationsCommand({ campaignArn, numResults: 500 }),
      );
      return answer.itemList!.map((i) => i.itemId!);
    };
    const before = await popular();
    assert.ok(before.length > 0 && !before.includes("brand-new-item"));
    const inc = await importFile(
      h,
      fresh.datasetArn,
      await upload(h, BUCKET, "new.csv", toCsv(newItem)),
      "INCREMENTAL",
    );
    assert.equal(inc.status, "ACTIVE", inc.failureReason);
    const appended = await popular();
    assert.equal(appended[0], "brand-new-item", "the appended item is now the most popular");
    assert.ok(
      before.every((id) => appended.includes(id)),
      "the earlier data is still there",
    );

    const full = await importFile(h, fresh.datasetArn, `s3://${BUCKET}/new.csv`, "FULL");
    assert.equal(full.status, "ACTIVE", full.failureReason);
    assert.deepEqual(
      await popular(),
      ["brand-new-item"],
      "FULL replaced everything imported before",
    );
  });
});

describe("data plane over HTTP: training, metrics and the runtime", function () {
  let h: Harness;
  let g: Group;
  let trackingId: string;
  before(async () => {
    h = await start();
    g = await group(h, SCHEMA);
    const job = await importFile(h, g.datasetArn, await upload(h, BUCKET, "good.csv", GOOD));
    assert.equal(job.status, "ACTIVE", job.failureReason);
    trackingId = await tracker(h, g.datasetGroupArn);
  });
  after(() => h?.close());

  it("fails training below the service's minimums, in the service's words", async () => {
    const few = await group(h, SCHEMA);
    // 1000 interactions, but only 20 users.
    const rows = interactions(20, 50);
    await importFile(h, few.datasetArn, await upload(h, BUCKET, "few-users.csv", toCsv(rows)));
    const tooFewUsers = await train(
      h,
      await solution(h, few.datasetGroupArn, "aws-user-personalization"),
    );
    assert.equal(tooFewUsers.status, "CREATE FAILED");
    assert.equal(
      tooFewUsers.failureReason,
      "Create failed. Dataset has fewer than 25 users with at least 2 interactions each.",
    );
    // 2400 interactions, of which 800 purchases.
    const filtered = await train(
      h,
      await solution(h, g.datasetGroupArn, "aws-hrnn", { eventType: "purchase" }),
    );
    assert.equal(filtered.status, "CREATE FAILED");
    assert.match(
      filtered.failureReason ?? "",
      /fewer than 1000 interactions after filtering by event type: found 800/,
    );
    const threshold = await train(
      h,
      await solution(h, g.datasetGroupArn, "aws-sims", { eventValueThreshold: "2" }),
    );
    assert.equal(threshold.status, "CREATE FAILED");
    assert.match(threshold.failureReason ?? "", /fewer than 1000 interactions/);
  });

  it("trainingMode UPDATE brings newly imported items into a user-personalization campaign", async () => {
    const fresh = await group(h, SCHEMA);
    await importFile(h, fresh.datasetArn, `s3://${BUCKET}/good.csv`);
    const { solutionArn } = await deploy(h, fresh.datasetGroupArn, "aws-user-personalization");
    const newcomers = Array.from({ length: 1000 }, (_, i) => ({
      user: `newcomer-${i % 100}`,
      item: "brand-new-item",
      type: "click",
      value: null,
      time: START + 500 * 3600 + i,
    }));
    const inc = await importFile(
      h,
      fresh.datasetArn,
      await upload(h, BUCKET, "update.csv", toCsv(newcomers)),
      "INCREMENTAL",
    );
    assert.equal(inc.status, "ACTIVE", inc.failureReason);
    const updated = await train(h, solutionArn, "UPDATE");
    assert.equal(updated.status, "ACTIVE", updated.failureReason);
    const campaignArn = await campaign(h, updated.solutionVersionArn!);
    const answer = await h.runtime.send(
      new GetRecommendationsCommand({ campaignArn, userId: "someone-unknown", numResults: 3 }),
    );
    assert.equal(answer.itemList![0].itemId, "brand-new-item");
  });

  it("reports every offline metric, within [0, 1]", async () => {
    const { solutionVersionArn } = await deploy(h, g.datasetGroupArn, "aws-user-personalization");
    const { metrics } = await h.personalize.send(
      new GetSolutionMetricsCommand({ solutionVersionArn }),
    );
    assert.deepEqual(Object.keys(metrics ?? {}).sort(), [...SOLUTION_METRICS].sort());
    for (const [name, value] of Object.entries(metrics!)) {
      assert.ok(value >= 0 && value <= 1, `${name} = ${value}`);
    }
    assert.ok(metrics!.normalized_discounted_cumulative_gain_at_10 > 0);
  });

  it("recommends imported items in the user's category, scores descending, 25 by default", async () => {
    const { campaignArn } = await deploy(h, g.datasetGroupArn, "aws-hrnn");
    const imported = new Set(interactions(80, 30).map((r) => r.item));
    const answer = await h.runtime.send(
      new GetRecommendationsCommand({ campaignArn, userId: "user-6" }),
    );
    const list = answer.itemList!;
    assert.equal(list.length, 25);
    assert.match(answer.recommendationId ?? "", /^RID-/);
    for (const item of list) assert.ok(imported.has(item.itemId!), `${item.itemId} was imported`);
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].score! >= list[i].score!);
    const top = list.slice(0, 10).map((i) => categoryOf(i.itemId!));
    assert.ok(top.filter((c) => c === userCategory(6)).length >= 8, top.join(", "));
    const ten = await h.runtime.send(
      new GetRecommendationsCommand({ campaignArn, userId: "user-6", numResults: 10 }),
    );
    assert.deepEqual(ten.itemList, list.slice(0, 10), "the same data gives the same answer");
  });

  it("answers SIMS with items related to the given item", async () => {
    const { campaignArn } = await deploy(h, g.datasetGroupArn, "aws-sims");
    const answer = await h.runtime.send(
      new GetRecommendationsCommand({ campaignArn, itemId: "bags-2", numResults: 10 }),
    );
    const ids = answer.itemList!.map((i) => i.itemId!);
    assert.equal(ids.length, 10);
    assert.ok(!ids.includes("bags-2"));
    assert.ok(ids.filter((id) => categoryOf(id) === "bags").length >= 8, ids.join(", "));
    const noItem = await rejection(
      h.runtime.send(new GetRecommendationsCommand({ campaignArn, userId: "user-1" })),
    );
    assert.equal(noItem.name, "InvalidInputException");
    assert.match(noItem.message, /itemId is required/);
  });

  it("ranks an input list as a permutation of it, unknown items last", async () => {
    const { campaignArn } = await deploy(h, g.datasetGroupArn, "aws-personalized-ranking");
    const inputList = ["shoes-1", "never-seen", "hats-1", "bags-1", "belts-1", "hats-2"];
    const answer = await h.runtime.send(
      new GetPersonalizedRankingCommand({ campaignArn, userId: "user-1", inputList }),
    );
    const ranked = answer.personalizedRanking!.map((i) => i.itemId!);
    assert.deepEqual([...ranked].sort(), [...inputList].sort());
    assert.equal(ranked[ranked.length - 1], "never-seen");
    assert.deepEqual(ranked.slice(0, 2).map(categoryOf), [userCategory(1), userCategory(1)]);
    const wrong = await rejection(
      h.runtime.send(new GetRecommendationsCommand({ campaignArn, userId: "user-1" })),
    );
    assert.equal(wrong.name, "InvalidInputException");
  });

  it("changes a user's next recommendations after PutEvents", async () => {
    const { campaignArn } = await deploy(h, g.datasetGroupArn, "aws-user-personalization");
    const ask = async () =>
      (
        await h.runtime.send(
          new GetRecommendationsCommand({ campaignArn, userId: "user-4", numResults: 5 }),
        )
      ).itemList!.map((i) => i.itemId!);
    const before = await ask();
    assert.ok(
      before.every((id) => categoryOf(id) === userCategory(4)),
      before.join(", "),
    );
    const other = CATEGORIES.find((c) => c !== userCategory(4))!;
    for (let batch = 0; batch < 2; batch++) {
      await h.events.send(
        new PutEventsCommand({
          trackingId,
          userId: "user-4",
          sessionId: "session-4",
          eventList: Array.from({ length: 10 }, (_, i) => ({
            eventType: "click",
            itemId: `${other}-${(batch * 10 + i) % 12}`,
            sentAt: new Date((START + 1000 * 3600 + batch * 10 + i) * 1000),
          })),
        }),
      );
    }
    const after = await ask();
    assert.notDeepEqual(after, before);
    assert.ok(after.filter((id) => categoryOf(id) === other).length >= 4, after.join(", "));
    const untouched = await h.runtime.send(
      new GetRecommendationsCommand({ campaignArn, userId: "user-8", numResults: 5 }),
    );
    assert.ok(untouched.itemList!.every((i) => categoryOf(i.itemId!) === userCategory(8)));

    const bad = await rejection(
      h.events.send(
        new PutEventsCommand({
          trackingId: "not-a-tracker",
          sessionId: "s",
          eventList: [{ eventType: "click", itemId: "x", sentAt: new Date() }],
        }),
      ),
    );
    assert.equal(bad.name, "InvalidInputException");
    assert.match(bad.message, /not-a-tracker/);
    const empty = await rejection(
      h.events.send(new PutEventsCommand({ trackingId, sessionId: "s", eventList: [] })),
    );
    assert.equal(empty.name, "InvalidInputException");
  });

  it("applies a supported filter and refuses one it cannot apply", async () => {
    const { campaignArn } = await deploy(h, g.datasetGroupArn, "aws-user-personalization");
    const purchased = new Set(
      interactions(80, 30)
        .filter((r) => r.user === "user-3" && r.type === "purchase")
        .map((r) => r.item),
    );
    const noRepeat = await filter(
      h,
      g.datasetGroupArn,
      "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPES)",
    );
    const input: GetRecommendationsCommandInput = { campaignArn, userId: "user-3", numResults: 50 };
    const all = (await h.runtime.send(new GetRecommendationsCommand(input))).itemList!.map(
      (i) => i.itemId!,
    );
    assert.ok(
      all.some((id) => purchased.has(id)),
      "without the filter, purchased items are recommended",
    );
    const filtered = await h.runtime.send(
      new GetRecommendationsCommand({
        ...input,
        filterArn: noRepeat,
        filterValues: { TYPES: '"purchase"' },
      }),
    );
    const ids = filtered.itemList!.map((i) => i.itemId!);
    assert.ok(ids.length > 0 && ids.every((id) => !purchased.has(id)), ids.join(", "));

    // An items dataset makes Items.<FIELD> filters possible.
    const itemsArn = await dataset(h, g.datasetGroupArn, ITEMS_SCHEMA, "Items");
    const itemIds = [...new Set(interactions(80, 30).map((r) => r.item))];
    // SUPPLIER is not in the schema: the import ignores it.
    const itemsCsv = [
      "ITEM_ID,SUPPLIER,CATEGORY",
      ...itemIds.map((id) => `${id},acme,${categoryOf(id)}`),
    ].join("\n");
    const itemsJob = await importFile(h, itemsArn, await upload(h, BUCKET, "items.csv", itemsCsv));
    assert.equal(itemsJob.status, "ACTIVE", itemsJob.failureReason);
    const byCategory = await filter(
      h,
      g.datasetGroupArn,
      "INCLUDE ItemID WHERE Items.CATEGORY IN ($CAT)",
    );
    const shoes = await h.runtime.send(
      new GetRecommendationsCommand({
        ...input,
        filterArn: byCategory,
        filterValues: { CAT: '"shoes"' },
      }),
    );
    assert.ok(shoes.itemList!.length > 0);
    assert.deepEqual(
      new Set(shoes.itemList!.map((i) => categoryOf(i.itemId!))),
      new Set(["shoes"]),
    );

    const unsupported = await filter(h, g.datasetGroupArn, "INCLUDE ItemID WHERE Items.PRICE < 10");
    const err = await rejection(
      h.runtime.send(new GetRecommendationsCommand({ ...input, filterArn: unsupported })),
    );
    assert.equal(err.name, "InvalidInputException");
    assert.match(err.message, /cannot apply filter .*Items\.PRICE < 10.*comparison "<"/);
  });

  it("refuses malformed runtime and events bodies with InvalidInputException, never crashing", async () => {
    const { campaignArn } = await deploy(h, g.datasetGroupArn, "aws-user-personalization");
    const cases: [string, unknown, RegExp][] = [
      ["/recommendations", [1, 2], /must be a JSON object/],
      ["/recommendations", { campaignArn, userId: "user-1", numResults: "ten" }, /numResults/],
      ["/recommendations", { campaignArn, userId: 42 }, /'userId'.* is a number.*a string/],
      ["/recommendations", { campaignArn, userId: "u", filterValues: "x" }, /filterValues/],
      ["/personalize-ranking", { campaignArn, userId: "u", inputList: "a,b" }, /inputList/],
      [
        "/events",
        { trackingId, sessionId: "s", eventList: [{ eventType: "click", sentAt: "now" }] },
        /sentAt/,
      ],
      ["/events", { trackingId, sessionId: "s", eventList: [null] }, /'eventList.1.member'/],
      [
        "/events",
        {
          trackingId,
          sessionId: "s",
          eventList: new Array(11).fill({ eventType: "c", sentAt: 1 }),
        },
        /'eventList' failed to satisfy constraint: Member must have length less than or equal to 10/,
      ],
    ];
    for (const [path, body, message] of cases) {
      const res = await fetch(h.emulator.url + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as { __type?: string; message?: string };
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(res.headers.get("x-amzn-errortype"), "InvalidInputException");
      assert.match(answer.message ?? "", message);
    }
    const still = await h.runtime.send(
      new GetRecommendationsCommand({ campaignArn, userId: "user-1" }),
    );
    assert.equal(still.itemList!.length, 25);
  });

  it("answers unknown campaigns and bad requests as the service does", async () => {
    const unknown = await rejection(
      h.runtime.send(
        new GetRecommendationsCommand({
          campaignArn: "arn:aws:personalize:us-east-1:000000000000:campaign/nope",
          userId: "u",
        }),
      ),
    );
    assert.equal(unknown.name, "ResourceNotFoundException");
    assert.equal(unknown.$metadata?.httpStatusCode, 404);
    const { campaignArn } = await deploy(h, g.datasetGroupArn, "aws-popularity-count");
    const tooMany = await rejection(
      h.runtime.send(new GetRecommendationsCommand({ campaignArn, numResults: 501 })),
    );
    assert.equal(tooMany.name, "InvalidInputException");
    assert.equal(tooMany.$metadata?.httpStatusCode, 400);
    assert.match(tooMany.message, /numResults .* 501/);
  });
});

describe("data plane over HTTP: campaigns that are not ACTIVE", function () {
  let h: Harness;
  after(() => h?.close());

  it("refuses recommendations from a campaign still being created", async () => {
    h = await start({
      durationScale: 1,
      durations: {
        datasetGroup: 0,
        dataset: 0,
        datasetImportJob: 0,
        solution: 0,
        solutionVersion: 0,
        campaign: 600_000,
      },
    });
    const g = await group(h, SCHEMA);
    await importFile(h, g.datasetArn, await upload(h, BUCKET, "good.csv", GOOD));
    const version = await train(h, await solution(h, g.datasetGroupArn, "aws-popularity-count"));
    assert.equal(version.status, "ACTIVE", version.failureReason);
    const { campaignArn } = await h.personalize.send(
      new CreateCampaignCommand({ name: "slow", solutionVersionArn: version.solutionVersionArn }),
    );
    const err = await rejection(h.runtime.send(new GetRecommendationsCommand({ campaignArn })));
    assert.equal(err.name, "ResourceNotFoundException");
    assert.equal(err.$metadata?.httpStatusCode, 404);
    assert.match(err.message, /is not ACTIVE \(status CREATE (PENDING|IN_PROGRESS)\)/);
  });
});

describe("data plane over HTTP: the committed sample data", function () {
  let h: Harness;
  before(async () => (h = await start()));
  after(() => h?.close());

  it("user personalization beats popularity on NDCG@10, as GetSolutionMetrics reports", async () => {
    const schema = readFileSync(join(__dirname, "../../schemas/event_schema.avsc"), "utf8");
    const g = await group(h, schema);
    const csv = readFileSync(join(__dirname, "../../data/interactions.csv"));
    const job = await importFile(
      h,
      g.datasetArn,
      await upload(h, BUCKET, "sample/interactions.csv", csv),
    );
    assert.equal(job.status, "ACTIVE", job.failureReason);
    const ndcg10 = async (recipe: string) => {
      const { solutionVersionArn } = await deploy(h, g.datasetGroupArn, recipe);
      const { metrics } = await h.personalize.send(
        new GetSolutionMetricsCommand({ solutionVersionArn }),
      );
      return metrics!.normalized_discounted_cumulative_gain_at_10;
    };
    const user = await ndcg10("aws-user-personalization");
    const popular = await ndcg10("aws-popularity-count");
    assert.ok(user > popular, `user-personalization ${user} vs popularity-count ${popular}`);
  });
});

describe("data plane over HTTP: restarts", function () {
  it("keeps imported data and trained models in the data dir", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dataplane-"));
    try {
      let h = await start({ dataDir: dir });
      const g = await group(h, SCHEMA);
      await importFile(h, g.datasetArn, await upload(h, BUCKET, "good.csv", GOOD));
      const { campaignArn, solutionArn } = await deploy(
        h,
        g.datasetGroupArn,
        "aws-user-personalization",
      );
      const trackingId = await tracker(h, g.datasetGroupArn);
      await h.events.send(
        new PutEventsCommand({
          trackingId,
          userId: "someone-new",
          sessionId: "s",
          eventList: [
            {
              eventType: "click",
              itemId: "belts-3",
              sentAt: new Date((START + 9999 * 3600) * 1000),
            },
          ],
        }),
      );
      const ask = async () =>
        (
          await h.runtime.send(
            new GetRecommendationsCommand({ campaignArn, userId: "someone-new", numResults: 10 }),
          )
        ).itemList;
      const before = await ask();
      await h.close();

      h = await start({ dataDir: dir });
      assert.deepEqual(await ask(), before, "the model and the streamed event survived");
      const retrained = await train(h, solutionArn);
      assert.equal(retrained.status, "ACTIVE", retrained.failureReason);
      await campaign(h, retrained.solutionVersionArn!);
      await h.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
