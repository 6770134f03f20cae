import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ObjectBody } from "../../emulator/dataplane";
import { familyOf } from "../../emulator/ml/families";
import { computeMetrics } from "../../emulator/ml/metrics";
import { SOLUTION_METRICS } from "../../rules/personalize";
import {
  best,
  popularityScores,
  relatedScores,
  scoreOf,
  trainedHistory,
  userScores,
  userScoresOf,
  type Model,
  type TrainingConfig,
} from "../../emulator/ml/model";
import { sortRanks, topK } from "../../emulator/ml/topk";
import { trainModel, trainingStats } from "../../emulator/ml/train";
import { parseImport } from "../../emulator/data/imports";
import { REGISTER_INSTANCE } from "ts-node";
import { Trainer, trainAndEvaluate, transpiledGraph } from "../../emulator/data/training";
import {
  SCHEMA,
  categoryOf,
  interactions,
  START,
  toColumns,
  toCsv,
  userCategory,
} from "./fixtures";

const config = (family: TrainingConfig["family"], extra: Partial<TrainingConfig> = {}) => ({
  family,
  recipeId: family,
  ...extra,
});
const ids = (model: Model, list: { item: number }[]) => list.map((s) => model.itemIds[s.item]);

describe("data plane ML: training per recipe family", () => {
  const data = toColumns(interactions(120, 30));

  it("maps every supported recipe to a family and nothing else", () => {
    assert.equal(familyOf("arn:aws:personalize:::recipe/aws-hrnn"), "user");
    assert.equal(familyOf("arn:aws:personalize:::recipe/aws-sims"), "related");
    assert.equal(familyOf("arn:aws:personalize:::recipe/aws-personalized-ranking-v2"), "ranking");
    assert.equal(familyOf("arn:aws:personalize:::recipe/aws-trending-now"), "trending");
    assert.equal(familyOf("arn:aws:personalize:::recipe/aws-next-best-action"), undefined);
  });

  it("popularity-count ranks items by their number of events", () => {
    const model = trainModel(data, config("popularity"));
    const counts = new Map<string, number>();
    for (const r of interactions(120, 30)) counts.set(r.item, (counts.get(r.item) ?? 0) + 1);
    const expected = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 10)
      .map(([id]) => id);
    assert.deepEqual(ids(model, best(model, popularityScores(model), 10)), expected);
  });

  it("trending-now puts an item that is rising now ahead of one that was popular long ago", () => {
    const rows = interactions(40, 10);
    for (let i = 0; i < 60; i++)
      rows.push({
        user: `old-${i}`,
        item: "old-hit",
        type: "click",
        value: null,
        time: START - 90 * 86400,
      });
    for (let i = 0; i < 30; i++)
      rows.push({
        user: `new-${i}`,
        item: "new-hit",
        type: "click",
        value: null,
        time: START + 40 * 3600,
      });
    const popular = trainModel(toColumns(rows), config("popularity"));
    const trending = trainModel(toColumns(rows), config("trending"));
    assert.equal(ids(popular, best(popular, popularityScores(popular), 1))[0], "old-hit");
    assert.equal(ids(trending, best(trending, popularityScores(trending), 1))[0], "new-hit");
  });

  it("SIMS relates items of the same category, and a globally popular item does not top every list", () => {
    const model = trainModel(data, config("related"));
    const query = model.itemIds.indexOf("hats-3");
    const related = ids(
      model,
      best(model, relatedScores(model, query), 10, (j) => j === query),
    );
    assert.ok(!related.includes("hats-3"), "the query item itself is not related to itself");
    const sameCategory = related.filter((id) => categoryOf(id) === "hats").length;
    assert.ok(sameCategory >= 8, `expected mostly hats, got ${related.join(", ")}`);
    const tops = new Set<string>();
    for (const item of ["shoes-1", "bags-1", "belts-1", "hats-1"]) {
      const q = model.itemIds.indexOf(item);
      tops.add(
        ids(
          model,
          best(model, relatedScores(model, q), 1, (j) => j === q),
        )[0],
      );
    }
    assert.equal(tops.size, 4, `each category's item has its own top neighbour: ${[...tops]}`);
  });

  it("user personalization recommends a user's own category; unknown users get popularity", () => {
    const model = trainModel(data, config("user"));
    const u = model.userIds.indexOf("user-6");
    const recs = ids(model, best(model, userScores(model, trainedHistory(model, u)), 10));
    assert.ok(
      recs.filter((id) => categoryOf(id) === userCategory(6)).length >= 8,
      `user-6 prefers ${userCategory(6)}: ${recs.join(", ")}`,
    );
    assert.deepEqual(
      ids(model, best(model, userScores(model, []), 10)),
      ids(model, best(model, popularityScores(model), 10)),
    );
  });

  it("recent events weigh more: a user who switches category gets the new one first", () => {
    const rows = interactions(80, 30);
    for (let k = 0; k < 5; k++)
      rows.push({
        user: "user-0",
        item: `bags-${k}`,
        type: "click",
        value: null,
        time: START + 100 * 3600 + k,
      });
    const model = trainModel(toColumns(rows), config("user"));
    const u = model.userIds.indexOf("user-0");
    const recs = ids(model, best(model, userScores(model, trainedHistory(model, u)), 3));
    assert.deepEqual(recs.map(categoryOf), ["bags", "bags", "bags"], recs.join(", "));
  });

  it("eventType and eventValueThreshold choose the events training counts", () => {
    assert.deepEqual(trainingStats(data, config("user")), {
      records: 3600,
      usersWithAtLeastTwo: 120,
    });
    assert.deepEqual(trainingStats(data, config("user", { eventType: "purchase" })), {
      records: 1200,
      usersWithAtLeastTwo: 120,
    });
    assert.equal(trainingStats(data, config("user", { eventValueThreshold: 3 })).records, 720);
    const onlyPurchases = trainModel(data, config("popularity", { eventType: "purchase" }));
    const total = onlyPurchases.popularity.reduce((a, b) => a + b, 0);
    assert.equal(total, 1200);
  });

  it("trains the same model from the same data and configuration", () => {
    const a = trainModel(data, config("user"));
    const b = trainModel(data, config("user"));
    assert.deepEqual(a.neighborItems, b.neighborItems);
    assert.deepEqual(a.neighborScores, b.neighborScores);
    assert.deepEqual(computeMetrics(data, config("user")), computeMetrics(data, config("user")));
  });

  it("trainingMode UPDATE keeps the base neighbours and brings in new items' popularity", () => {
    const base = trainModel(data, config("user"));
    const rows = interactions(120, 30);
    for (let i = 0; i < 50; i++)
      rows.push({
        user: `fresh-${i}`,
        item: "brand-new",
        type: "click",
        value: null,
        time: START + 200 * 3600,
      });
    const updated = trainModel(toColumns(rows), config("user"), base);
    const fresh = updated.itemIds.indexOf("brand-new");
    assert.ok(updated.popularity[fresh] === 50);
    assert.equal(updated.neighborOffsets[fresh + 1] - updated.neighborOffsets[fresh], 0);
    const hat = updated.itemIds.indexOf("hats-3");
    const baseHat = base.itemIds.indexOf("hats-3");
    assert.deepEqual(
      Array.from(
        updated.neighborItems.subarray(
          updated.neighborOffsets[hat],
          updated.neighborOffsets[hat + 1],
        ),
      ).map((j) => updated.itemIds[j]),
      Array.from(
        base.neighborItems.subarray(
          base.neighborOffsets[baseHat],
          base.neighborOffsets[baseHat + 1],
        ),
      ).map((j) => base.itemIds[j]),
    );
  });
});

describe("data plane ML: offline metrics", () => {
  const data = toColumns(interactions(200, 30));

  it("reports every GetSolutionMetrics key, each within [0, 1]", () => {
    for (const family of ["popularity", "trending", "related", "user", "ranking"] as const) {
      const metrics = computeMetrics(data, config(family));
      assert.deepEqual(Object.keys(metrics).sort(), [...SOLUTION_METRICS].sort());
      for (const [name, value] of Object.entries(metrics)) {
        assert.ok(value >= 0 && value <= 1, `${family} ${name} = ${value}`);
      }
    }
  });

  it("a model that knows users' categories beats popularity on NDCG@10 and coverage", () => {
    const user = computeMetrics(data, config("user"));
    const popular = computeMetrics(data, config("popularity"));
    const key = "normalized_discounted_cumulative_gain_at_10";
    assert.ok(user[key] > popular[key], `user ${user[key]} vs popularity ${popular[key]}`);
    assert.ok(user.coverage > popular.coverage);
    assert.ok(user.precision_at_5 >= user.precision_at_25 * 0.5);
  });
});

describe("data plane ML: top-k and training off the event loop", () => {
  it("breaks score ties by item id", () => {
    const itemIds = ["c", "a", "b", "d"];
    const scores = Float64Array.from([1, 1, 2, 1]);
    assert.deepEqual(
      topK(scores, sortRanks(itemIds), 3, () => true).map((i) => itemIds[i]),
      ["b", "a", "c"],
    );
    assert.deepEqual(
      topK(scores, sortRanks(itemIds), 0, () => true),
      [],
    );
  });

  it("best() answers the first k of every allowed trained item sorted by score, then item id", () => {
    const model = trainModel(toColumns(interactions(60, 20)), config("user"));
    const excluded = (j: number) => j % 4 === 1;
    for (const [u, exclude] of [
      [3, undefined],
      [7, excluded],
      [-1, excluded],
    ] as const) {
      const scores = userScores(model, trainedHistory(model, u));
      const all = model.itemIds
        .map((_, j) => j)
        .filter((j) => model.popularity[j] > 0 && !(exclude && exclude(j)))
        .sort(
          (a, b) =>
            scoreOf(model, scores, b) - scoreOf(model, scores, a) ||
            model.itemRank[a] - model.itemRank[b],
        );
      for (const k of [0, 1, 3, 10, 25, 500]) {
        assert.deepEqual(
          ids(model, best(model, scores, k, exclude)),
          ids(
            model,
            all.slice(0, k).map((item) => ({ item })),
          ),
          `user ${u}, k ${k}`,
        );
      }
    }
  });

  it("scores read from the model's arrays equal scores over the user's event list, streamed events included", () => {
    const data = toColumns(interactions(60, 20));
    for (const extra of [{}, { eventType: "purchase" }, { eventValueThreshold: 3 }]) {
      const model = trainModel(data, config("user", extra));
      for (const u of [-1, 0, 5, 17]) {
        const recent = [
          {
            item: model.itemIds.indexOf("bags-1"),
            time: START + 1e6,
            eventType: "purchase",
            value: 4,
          },
          { item: -1, time: START + 1e6 + 1, eventType: "click", value: 0.5 },
          { item: model.itemIds.indexOf("hats-2"), time: START + 1e6 + 2, eventType: "click" },
        ];
        const expected = best(
          model,
          userScores(model, [...trainedHistory(model, u), ...recent]),
          20,
        );
        assert.deepEqual(best(model, userScoresOf(model, u, recent), 20), expected, `user ${u}`);
      }
    }
  });

  it("a worker thread parses an import as inline parsing does, from memory or a file, and names bad data the same way", async () => {
    const trainer = new Trainer(0, 0);
    const dir = mkdtempSync(join(tmpdir(), "parse-worker-"));
    try {
      // The store's two kinds of body: buffers in memory (a multipart upload's parts stay
      // apart, here cut every 1000 bytes) and a file in the data dir, read by path.
      const inMemory = (csv: string) => {
        const bytes = Buffer.from(csv);
        const chunks = [];
        for (let at = 0; at < bytes.length; at += 1000) chunks.push(bytes.subarray(at, at + 1000));
        return { size: bytes.length, chunks };
      };
      const inFile = (csv: string) => {
        const path = join(dir, `body-${csv.length}`);
        writeFileSync(path, csv);
        return { size: Buffer.byteLength(csv), path };
      };
      const work = (body: ObjectBody) => ({
        schemaJson: SCHEMA,
        datasetType: "INTERACTIONS" as const,
        dataLocation: "s3://bucket/file.csv",
        files: [{ key: "file.csv", body }],
      });
      const good = toCsv(interactions(40, 30));
      const inline = parseImport(work(inMemory(good)));
      assert.ok("interactions" in inline);
      assert.equal(inline.interactions.length, 1200);
      assert.deepEqual(await trainer.parse(work(inMemory(good))), inline);
      assert.deepEqual(await trainer.parse(work(inFile(good))), inline);
      const bad = good.replace("user-3,", "user-3,,");
      const failed = await trainer.parse(work(inFile(bad)));
      assert.ok("failureReason" in failed);
      assert.deepEqual(failed, parseImport(work(inMemory(bad))));
      const gone = await trainer.parse(work({ size: 10, path: join(dir, "deleted") }));
      assert.deepEqual(gone, {
        failureReason:
          "s3://bucket/file.csv could not be read (ENOENT); it was deleted or replaced during the import.",
      });
    } finally {
      await trainer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a worker thread trains the same model as inline training", async () => {
    const trainer = new Trainer(0);
    try {
      const job = () => ({ data: toColumns(interactions(60, 25)), config: config("user") });
      const inWorker = await trainer.run(job());
      const inline = trainAndEvaluate(job());
      assert.deepEqual(inWorker.metrics, inline.metrics);
      assert.deepEqual(
        Array.from(inWorker.model.neighborItems),
        Array.from(inline.model.neighborItems),
      );
    } finally {
      await trainer.close();
    }
  });

  it("a worker thread runs the modules as this process's ts-node compiles them", () => {
    // Not a transpile of the worker's own: ts-node's output is what the project's transpiler
    // keeps between runs (stack/cached-transpiler.js).
    const service = process[REGISTER_INSTANCE];
    assert.ok(service, "the tests run under ts-node");
    const modules = Object.entries(
      transpiledGraph(join(__dirname, "../../emulator/data/training-worker.ts")),
    );
    assert.ok(modules.length > 5, `${modules.length} modules`);
    for (const [file, js] of modules)
      assert.equal(js, service.compile(readFileSync(file, "utf8"), file), file);
  });
});
