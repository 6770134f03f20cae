import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateInteractions, HEADER } from "../../data/generate";
import { parseSchema } from "../../schemas/avro";
import { parseCsv } from "../../schemas/csv";
import { trainingMinimumsProblem, validateCsv } from "../../schemas/validator";
import { ROOT, runScript } from "../support/script";

const COMMITTED = readFileSync(join(__dirname, "../../data/interactions.csv"), "utf8");
const SCHEMA = parseSchema(
  readFileSync(join(__dirname, "../../schemas/event_schema.avsc"), "utf8"),
);

describe("data/generate.ts and the committed data/interactions.csv", () => {
  it("regenerating with the defaults gives the committed file byte for byte", () => {
    assert.equal(generateInteractions(), COMMITTED);
  });

  it("validates against the workshop schema with the expected shape", () => {
    const result = validateCsv(COMMITTED, SCHEMA, "INTERACTIONS");
    assert.equal(result.failureReason, undefined);
    const { stats } = result;
    assert.ok(stats.records >= 15000 && stats.records <= 25000, `records ${stats.records}`);
    assert.equal(stats.users, 400);
    assert.equal(stats.items, 120);
    assert.equal(trainingMinimumsProblem(stats), undefined);
    assert.deepEqual(Object.keys(stats.eventTypes).sort(), [
      "Order Completed",
      "Product Added",
      "Product Clicked",
    ]);
    // The funnel narrows: clicks > adds > orders.
    const e = stats.eventTypes;
    assert.ok(
      e["Product Clicked"] > e["Product Added"] && e["Product Added"] > e["Order Completed"],
    );
  });

  it("has the workshop's value formats and inconsistent quoting", () => {
    const lines = COMMITTED.split("\n");
    assert.equal(lines[0], HEADER);
    const quoted = lines.slice(1, 200).filter((l) => l.startsWith('"')).length;
    assert.ok(quoted > 20 && quoted < 180, "some rows quote ANONYMOUS_ID, some do not");
    for (const [anonymousId, userId, itemId, eventType, iso, ts] of parseCsv(COMMITTED).slice(
      1,
      500,
    )) {
      assert.match(
        anonymousId,
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      assert.match(userId, /^[1-9]\d{9}$/);
      assert.match(itemId, /^[a-z]+-[a-z]+-[a-z]+$/);
      assert.match(eventType, /^(Product Clicked|Product Added|Order Completed)$/);
      assert.match(iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(Number(ts), Math.floor(Date.parse(iso) / 1000));
    }
  });

  it("changes with the seed and scales with --users", () => {
    const small = generateInteractions({ users: 30, seed: 7 });
    assert.notEqual(small, generateInteractions({ users: 30, seed: 8 }));
    assert.equal(small, generateInteractions({ users: 30, seed: 7 }));
    const result = validateCsv(small, SCHEMA, "INTERACTIONS", { minimumRecords: false });
    assert.equal(result.stats.users, 30);
  });

  it("lets a per-user model beat popularity on each user's most recent interactions", () => {
    const rows = parseCsv(COMMITTED).slice(1);
    const byUser = new Map<string, string[]>();
    for (const [, user, item] of rows) byUser.set(user, [...(byUser.get(user) ?? []), item]);
    const popularity = new Map<string, number>();
    const history = new Map<string, Map<string, number>>();
    const holdout = new Map<string, Set<string>>();
    for (const [user, items] of byUser) {
      const cut = Math.floor(items.length * 0.8);
      const mine = new Map<string, number>();
      for (const item of items.slice(0, cut)) {
        popularity.set(item, (popularity.get(item) ?? 0) + 1);
        mine.set(item, (mine.get(item) ?? 0) + 1);
      }
      history.set(user, mine);
      holdout.set(user, new Set(items.slice(cut)));
    }
    const top = (scores: Map<string, number>): string[] =>
      [...scores]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, 10)
        .map(([i]) => i);
    const popular = top(popularity);
    let popularHits = 0;
    let personalHits = 0;
    for (const [user, test] of holdout) {
      if (popular.some((i) => test.has(i))) popularHits++;
      // The user's own history, backed off to global popularity.
      const scores = new Map([...popularity].map(([i, n]) => [i, n / rows.length]));
      for (const [i, n] of history.get(user)!) scores.set(i, (scores.get(i) ?? 0) + n);
      if (top(scores).some((i) => test.has(i))) personalHits++;
    }
    assert.ok(
      personalHits > popularHits * 1.1,
      `hit@10: per-user ${personalHits}, popularity ${popularHits} of ${holdout.size}`,
    );
  });
});

describe("npm run generate-data (data/generate.ts)", function () {
  this.timeout(60_000);
  /** Runs the script as npm does, from the project directory, with INIT_CWD where npm was run. */
  const generate = (args: string[], initCwd: string) =>
    runScript("data/generate.ts", args, { initCwd });

  it("takes --flag=value, negative seeds that way, and --out from the directory npm ran in", async () => {
    const dir = mkdtempSync(join(tmpdir(), "generate-"));
    try {
      const { code, stdout, stderr } = await generate(
        ["--users=30", "--seed=-7", "--out", "sample.csv"],
        dir,
      );
      assert.equal(code, 0, stderr);
      const expected = generateInteractions({ users: 30, seed: -7 });
      assert.equal(readFileSync(join(dir, "sample.csv"), "utf8"), expected);
      assert.equal(
        stdout,
        `wrote ${expected.split("\n").length - 2} interactions to ${join(dir, "sample.csv")}\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const refused: [string[], string][] = [
    [["--users", "0"], '--users must be a whole number >= 1, got "0"'],
    [["--seed", "1.5"], '--seed must be a whole number, got "1.5"'],
    [["--rows", "3"], 'unknown flag "--rows"'],
    [["--out"], "--out needs a value"],
  ];
  for (const [args, message] of refused) {
    it(`refuses ${args.join(" ")} with exit status 2, in the common wording`, async () => {
      const { code, stdout, stderr } = await generate(args, ROOT);
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.equal(
        stderr,
        `npm run generate-data: ${message}\nRun "npm run generate-data -- --help" for the flags.\n`,
      );
    });
  }
});
