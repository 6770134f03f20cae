import { strict as assert } from "assert";
import { execFile } from "child_process";
import { resolve } from "path";
import { startEmulator } from "../../emulator";
import { createDataPlane } from "../../emulator/data";
import { firstUsers, parseStartArgs, StartReport } from "../../offline/start";
import { clientsFor } from "../support/emulator";
import { leftovers } from "../../offline/leftovers";

const ROOT = resolve(__dirname, "../..");

/** Runs `npm start -- ARGS` as users do (ts-node, transpile-only), without blocking this process. */
function npmStart(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "offline/start.ts", ...args],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

const lastLine = (text: string) => text.trimEnd().split("\n").pop() ?? "";

describe("npm start", function () {
  this.timeout(300_000);

  describe("arguments", () => {
    it("takes every documented flag", () => {
      assert.deepEqual(
        parseStartArgs([
          "--keep",
          "--json",
          "--state",
          "s.json",
          "--duration-scale",
          "0.5",
          "--users",
          "2",
        ]),
        {
          keep: true,
          json: true,
          state: resolve("s.json"),
          durationScale: 0.5,
          users: 2,
        },
      );
      assert.equal(parseStartArgs(["--help"]), "help");
      assert.deepEqual(parseStartArgs(["--endpoint", "http://127.0.0.1:4599"]), {
        keep: false,
        json: false,
        users: 3,
        endpoint: "http://127.0.0.1:4599",
      });
    });

    for (const [args, message] of [
      [["--duration-scale", "-1"], /--duration-scale must be a number >= 0, not "-1"/],
      [["--duration-scale", "fast"], /--duration-scale must be a number >= 0, not "fast"/],
      [["--endpoint", "ftp://host"], /--endpoint must be an http\(s\) URL, not "ftp:\/\/host"/],
      [["--users", "1.5"], /--users must be a whole number >= 0, not "1.5"/],
      [["--state"], /--state needs a value/],
      [["--deploy"], /unknown option "--deploy"/],
      [
        ["--endpoint", "http://x:1", "--duration-scale", "0"],
        /--duration-scale applies to the embedded emulator/,
      ],
    ] as const) {
      it(`refuses ${args.join(" ")}`, () => {
        assert.throws(() => parseStartArgs([...args]), message);
      });
    }
  });

  describe("first users of the data file", () => {
    it("reads USER_ID wherever it is, quoted or not, each user once", () => {
      const csv = [
        "ANONYMOUS_ID,USER_ID,ITEM_ID",
        '"a","111",x',
        "b,111,y",
        'c,"222",z',
        "d,333,z",
      ].join("\r\n");
      assert.deepEqual(firstUsers(csv, 2), ["111", "222"]);
      assert.deepEqual(firstUsers(csv, 10), ["111", "222", "333"]);
    });

    it("names the header when there is no USER_ID column", () => {
      assert.throws(
        () => firstUsers("ITEM_ID,EVENT_TYPE\nx,y\n", 1),
        /no USER_ID column \(header: ITEM_ID,EVENT_TYPE\)/,
      );
    });
  });

  it("--json deploys, recommends, destroys, and ends with one JSON object", async () => {
    const { code, stdout, stderr } = await npmStart(["--json", "--duration-scale", "0"]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(lastLine(stdout)) as StartReport;
    assert.equal(report.ok, true);
    assert.equal(report.destroyed, true);
    assert.equal(typeof report.seconds, "number");
    assert.deepEqual(report.resources.map((r) => r.type).sort(), [
      "personalize:Campaign",
      "personalize:Dataset",
      "personalize:DatasetGroup",
      "personalize:DatasetImportJob",
      "personalize:Schema",
      "personalize:Solution",
      "personalize:SolutionVersion",
      "s3:LocalBucket",
      "s3:LocalObject",
    ]);
    for (const r of report.resources) {
      assert.ok(r.name && r.arn && typeof r.seconds === "number", JSON.stringify(r));
    }
    assert.match(String(report.outputs.campaignArn), /^arn:aws:personalize:.*:campaign\//);
    assert.ok(Object.keys(report.metrics).length > 0);
    assert.ok(Object.values(report.metrics).every((v) => typeof v === "number"));
    const users = Object.keys(report.recommendations);
    assert.equal(users.length, 3);
    assert.ok(users.every((u) => report.recommendations[u].length === 5));
    // What a user reads without --json: the same lines, on stderr here.
    for (const u of users) {
      assert.ok(
        stderr.includes(`user ${u}: ${report.recommendations[u].join(", ")}`),
        `recommendations for ${u} printed`,
      );
    }
    assert.ok("normalized_discounted_cumulative_gain_at_10" in report.metrics, stderr);
    assert.ok(report.apiCalls.CreateCampaign === 1 && report.apiCalls.DeleteDatasetGroup === 1);
    assert.match(stderr, /created personalize:Campaign/, "progress goes to stderr with --json");
  });

  it("fails with the service's failureReason, exits non-zero, and leaves nothing behind", async () => {
    const reason = "Insufficient data: injected by the test";
    const emulator = await startEmulator({
      port: 0,
      durationScale: 0,
      dataPlane: createDataPlane,
      faults: { failures: { "segment-workshop-local-version": reason } },
    });
    try {
      const { code, stdout, stderr } = await npmStart(["--endpoint", emulator.url, "--json"]);
      assert.equal(code, 1);
      assert.ok(stderr.includes(reason), stderr);
      const report = JSON.parse(lastLine(stdout)) as StartReport;
      assert.equal(report.ok, false);
      assert.ok(report.error?.includes(reason), report.error);
      assert.equal(report.destroyed, true);
      assert.deepEqual(await leftovers(clientsFor(emulator)), []);
    } finally {
      await emulator.close();
    }
  });
});
