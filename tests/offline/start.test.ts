import { strict as assert } from "assert";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join, resolve } from "path";
import { DescribeSchemaCommand } from "@aws-sdk/client-personalize";
import { UsageError } from "../../cli/args";
import { generateInteractions } from "../../data/generate";
import { createDataPlane } from "../../emulator/data";
import { firstUsers, parseStartArgs, StartOptions, stateFileFor } from "../../offline/start";
import { CONFIG_KEYS } from "../../stack/config";
import { startTestEmulator, TestEmulator } from "../support/emulator";
import { leftovers } from "../../offline/leftovers";
import { npmStart, reportOf, ROOT, run } from "./npm-start";

describe("npm start", function () {
  this.timeout(300_000);

  describe("arguments", () => {
    it("takes every documented flag, as --flag value or --flag=value", () => {
      const packDir = resolve("policy");
      assert.deepEqual(
        parseStartArgs([
          "--keep",
          "--json",
          "--state",
          "s.json",
          "--duration-scale=0.5",
          "--users",
          "2",
          "--stack=dev",
          "--config",
          "recipe=aws-sims",
          "--config=aws:region=eu-west-1",
          "--data",
          "data/interactions.csv",
          "--schema=schemas/event_schema.avsc",
          "--policy-pack",
          "policy",
        ]),
        {
          stack: "dev",
          config: {
            recipe: "aws-sims",
            "aws:region": "eu-west-1",
            dataFile: resolve("data/interactions.csv"),
            schemaFile: resolve("schemas/event_schema.avsc"),
          },
          keep: true,
          destroy: false,
          json: true,
          state: resolve("s.json"),
          durationScale: 0.5,
          users: 2,
          policyPacks: [{ dir: packDir }],
        },
      );
      assert.equal(parseStartArgs(["--help"]), "help");
      assert.deepEqual(parseStartArgs(["--endpoint=http://127.0.0.1:4599", "--destroy"]), {
        stack: "local",
        config: {},
        keep: false,
        destroy: true,
        json: false,
        users: 3,
        endpoint: "http://127.0.0.1:4599",
        policyPacks: [],
      });
    });

    for (const [args, message] of [
      [["--duration-scale=-1"], '--duration-scale must be a number >= 0, got "-1"'],
      [
        ["--duration-scale", "-1"],
        '--duration-scale needs a value, got the flag "-1" (write --duration-scale=-1 for a value that starts with "-")',
      ],
      [["--duration-scale", "fast"], '--duration-scale must be a number >= 0, got "fast"'],
      [["--endpoint", "ftp://host"], '--endpoint must be an http(s) URL, got "ftp://host"'],
      [["--users", "1.5"], '--users must be a whole number >= 0, got "1.5"'],
      [["--state"], "--state needs a value"],
      [["--keep=yes"], '--keep takes no value, got "yes"'],
      [["--deploy"], 'unknown flag "--deploy"'],
      [
        ["--stack", "../up"],
        '--stack must be a stack name (letters, digits, "-", "_", "."), got "../up"',
      ],
      [["--config", "recipe"], '--config must be KEY=VALUE, got "recipe"'],
      [
        ["--config", "reciep=aws-sims"],
        '--config "reciep": reciep is no config key of personalize-workshop (' +
          CONFIG_KEYS.join(", ") +
          ")",
      ],
      [["--data", "no-such.csv"], '--data "no-such.csv" cannot be read: no such file'],
      [["--schema", "schemas"], '--schema "schemas" cannot be read: it is a directory'],
      [
        [
          "--policy-pack",
          "policy",
          "--policy-pack-config",
          "a.json",
          "--policy-pack-config",
          "b.json",
        ],
        "--policy-pack-config must be given once per --policy-pack (1), got 2",
      ],
      [
        ["--destroy", "--keep", "--users", "1"],
        "--destroy deletes what the state file lists and runs nothing else, so --keep, --users cannot go with it",
      ],
      [
        ["--endpoint", "http://x:1", "--duration-scale", "0"],
        "--duration-scale applies to the embedded emulator, not to --endpoint",
      ],
    ] as const) {
      it(`refuses ${args.join(" ")}`, () => {
        assert.throws(
          () => parseStartArgs([...args]),
          (err: Error) => err instanceof UsageError && err.message === message,
        );
      });
    }

    it("reads the --policy-pack-config file as pulumi does, naming a bad one", () => {
      const dir = mkdtempSync(join(tmpdir(), "start-args-"));
      try {
        const good = join(dir, "good.json");
        writeFileSync(good, JSON.stringify({ "personalize-training-opt-in": "mandatory" }));
        const options = parseStartArgs(["--policy-pack", "policy", "--policy-pack-config", good]);
        assert.notEqual(options, "help");
        assert.deepEqual(options !== "help" && options.policyPacks, [
          {
            dir: resolve("policy"),
            config: { "personalize-training-opt-in": { enforcementLevel: "mandatory" } },
          },
        ]);
        const bad = join(dir, "bad.json");
        writeFileSync(bad, JSON.stringify({ "personalize-training-opt-in": "strict" }));
        assert.throws(
          () => parseStartArgs(["--policy-pack", "policy", "--policy-pack-config", bad]),
          {
            message:
              `--policy-pack-config ${JSON.stringify(bad)}: policy pack config "personalize-training-opt-in": ` +
              '"strict" is not an enforcement level (advisory, mandatory, remediate, disabled)',
          },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("keeps state in .pulumi-offline/<stack>.json when the stack outlives the run", () => {
      const dir = mkdtempSync(join(tmpdir(), "start-state-"));
      try {
        const options = (args: string[]) => parseStartArgs(args) as StartOptions;
        const file = join(dir, ".pulumi-offline", "dev.json");
        assert.equal(stateFileFor(options(["--stack", "dev"]), dir), undefined, "in memory");
        for (const flags of [["--keep"], ["--destroy"], ["--endpoint", "http://127.0.0.1:1"]]) {
          assert.equal(stateFileFor(options(["--stack", "dev", ...flags]), dir), file, flags[0]);
        }
        assert.equal(
          stateFileFor(options(["--stack", "dev", "--keep", "--state", "/x/s.json"]), dir),
          "/x/s.json",
        );
        mkdirSync(dirname(file));
        writeFileSync(file, "{}");
        assert.equal(stateFileFor(options(["--stack", "dev"]), dir), file, "once it exists");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
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

  it("--json deploys, recommends, destroys, and prints one JSON object, alone on stdout", async () => {
    const { code, stdout, stderr } = await npmStart(["--json", "--duration-scale", "0"]);
    assert.equal(code, 0, stderr);
    assert.equal(
      stdout.trimEnd().split("\n").length,
      1,
      `stdout holds the report only:\n${stdout}`,
    );
    const report = reportOf(stdout);
    assert.equal(report.ok, true);
    assert.equal(report.operation, "deploy");
    assert.equal(report.destroyed, true);
    assert.equal(report.stateFile, undefined, "an embedded run keeps its state in memory");
    assert.equal(typeof report.seconds, "number");
    assert.deepEqual(report.resources.map((r) => r.type).sort(), [
      "personalize:Campaign",
      "personalize:Dataset",
      "personalize:DatasetGroup",
      "personalize:DatasetImportJob",
      "personalize:QualityGate",
      "personalize:Schema",
      "personalize:Solution",
      "personalize:SolutionVersion",
      "s3:LocalBucket",
      "s3:LocalObject",
    ]);
    for (const r of report.resources) {
      // The quality gate has no ARN: it is a decision, not a service resource.
      const arn = r.type === "personalize:QualityGate" ? r.arn === undefined : !!r.arn;
      assert.ok(r.name && arn && typeof r.seconds === "number", JSON.stringify(r));
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
    // The first deploy passes the gate's floor; its table is printed and in the report.
    const gate = report.qualityGate!;
    assert.equal(gate.verdict, "passed");
    assert.equal(gate.approvedVersionArn, report.outputs.solutionVersionArn);
    assert.deepEqual(gate.approvedMetrics, report.metrics);
    assert.deepEqual(
      [gate.metric, gate.minimum, gate.maxDrop, gate.threshold],
      ["normalized_discounted_cumulative_gain_at_10", 0.05, 0.1, 0.05],
    );
    for (const line of gate.report.split("\n").slice(1)) {
      assert.ok(stderr.includes(`  ${line}`), `gate table line printed: ${line}`);
    }
    assert.match(gate.report, /^verdict: passed: normalized_discounted_cumulative_gain_at_10 /m);
    assert.ok(report.apiCalls.CreateCampaign === 1 && report.apiCalls.DeleteDatasetGroup === 1);
    assert.deepEqual(report.policyViolations, []);
    assert.match(stderr, /created personalize:Campaign/, "progress goes to stderr with --json");
  });

  it("npm start --silent -- --json prints the JSON object and nothing else", async () => {
    const dir = mkdtempSync(join(tmpdir(), "start-silent-"));
    try {
      const state = join(dir, "none.json");
      const { code, stdout, stderr } = await run("npm", [
        "start",
        "--silent",
        "--",
        "--destroy",
        "--state",
        state,
        "--json",
      ]);
      assert.equal(code, 0, stderr);
      const report = JSON.parse(stdout);
      assert.deepEqual([report.ok, report.operation, report.destroyed], [true, "destroy", false]);
      assert.match(stderr, /Nothing to destroy: there is no state file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails with the service's failureReason, exits non-zero, and leaves nothing behind", async () => {
    const reason = "Insufficient data: injected by the test";
    const env = await startTestEmulator({
      dataPlane: createDataPlane,
      faults: { failures: { "segment-workshop-local-version": reason } },
    });
    const dir = mkdtempSync(join(tmpdir(), "start-fail-"));
    try {
      const state = join(dir, "state.json");
      const args = ["--endpoint", env.emulator.url, "--state", state, "--json"];
      const { code, stdout, stderr } = await npmStart(args);
      assert.equal(code, 1);
      assert.ok(stderr.includes(reason), stderr);
      const report = reportOf(stdout);
      assert.equal(report.ok, false);
      assert.ok(report.error?.includes(reason), report.error);
      assert.equal(report.destroyed, true);
      assert.deepEqual(await leftovers(env), []);
      assert.deepEqual(JSON.parse(readFileSync(state, "utf8")).resources, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await env.close();
    }
  });

  describe("your own data, kept and torn down", () => {
    let env: TestEmulator;
    let dir: string;
    const defaultState = join(ROOT, ".pulumi-offline", "local.json");
    let hadDefaultState: boolean;

    before(async () => {
      env = await startTestEmulator({ dataPlane: createDataPlane });
      dir = mkdtempSync(join(tmpdir(), "start-data-"));
      hadDefaultState = existsSync(defaultState);
    });
    after(async () => {
      // Only if this test made it: a developer's own kept stack stays.
      if (!hadDefaultState) rmSync(defaultState, { force: true });
      rmSync(dir, { recursive: true, force: true });
      await env?.close();
    });

    it("--data and --schema deploy a CSV of the workshop's later four columns", async () => {
      // The workshop's later export: USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP.
      const rows = generateInteractions({ users: 40, seed: 11 })
        .trimEnd()
        .split("\n")
        .map((line) => line.split(","))
        .map(([, user, item, type, , time]) => [user, item, type, time].join(","));
      const csv = join(dir, "events.csv");
      writeFileSync(csv, rows.join("\n") + "\n");
      const schema = join(dir, "events.avsc");
      const fields = [
        { name: "USER_ID", type: "string" },
        { name: "ITEM_ID", type: "string" },
        { name: "EVENT_TYPE", type: "string" },
        { name: "TIMESTAMP", type: "long" },
      ];
      writeFileSync(
        schema,
        JSON.stringify({
          type: "record",
          name: "Interactions",
          namespace: "com.amazonaws.personalize.schema",
          fields,
          version: "1.0",
        }),
      );
      assert.ok(!hadDefaultState, `${defaultState} exists: a kept stack of yours is in the way`);

      const args = ["--endpoint", env.emulator.url, "--data", csv, "--schema", schema];
      const kept = await npmStart([...args, "--keep", "--json"]);
      assert.equal(kept.code, 0, kept.stderr);
      const report = reportOf(kept.stdout);
      assert.equal(report.ok, true);
      assert.equal(report.destroyed, false);
      assert.equal(report.stateFile, defaultState, "--endpoint --keep keeps the state by default");
      const schemaArn = String(report.outputs.schemaArn);
      const described = await env.personalize.send(new DescribeSchemaCommand({ schemaArn }));
      assert.deepEqual(JSON.parse(described.schema?.schema ?? "{}").fields, fields);
      const users = new Set(rows.slice(1).map((r) => r.split(",")[0].replace(/"/g, "")));
      assert.equal(Object.keys(report.recommendations).length, 3);
      for (const user of Object.keys(report.recommendations)) assert.ok(users.has(user), user);
      assert.notDeepEqual(await leftovers(env), []);
      assert.match(
        kept.stderr,
        /The state is in .*local\.json; npm start -- --destroy tears the stack down/,
      );

      const destroyed = await npmStart(["--destroy", "--json"]);
      assert.equal(destroyed.code, 0, destroyed.stderr);
      const destroyReport = reportOf(destroyed.stdout);
      assert.deepEqual([destroyReport.ok, destroyReport.destroyed], [true, true]);
      assert.deepEqual(
        destroyReport.resources,
        report.resources.map((r) => ({ ...r, seconds: 0 })),
      );
      assert.deepEqual(await leftovers(env), []);
      assert.ok(!existsSync(defaultState), "the state file goes with the stack");
    });
  });

  it("previews a stack that targets aws with the policy pack: the mandatory violation, nothing deployed", async () => {
    const { code, stdout, stderr } = await npmStart([
      "--stack",
      "dev",
      "--config",
      "recipe=aws-hrnn",
      "--policy-pack",
      "policy",
      "--json",
    ]);
    assert.equal(code, 1, stderr);
    const report = reportOf(stdout);
    assert.equal(report.ok, false);
    assert.equal(report.operation, "preview");
    assert.equal(report.endpoint, undefined, "no emulator started");
    assert.deepEqual(report.resources, []);
    assert.deepEqual(
      report.policyViolations.map(
        (v) => `${v.enforcementLevel} ${v.policyName} ${v.type} ${v.name}`,
      ),
      ["mandatory personalize-legacy-recipe-on-aws personalize:Solution workshop-solution"],
    );
    assert.match(report.policyViolations[0].message, /uses recipe aws-hrnn/);
    assert.match(
      report.error ?? "",
      /^preview failed: .*Solution 'workshop-solution': resource is invalid: mandatory policy personalize-legacy-recipe-on-aws/,
    );
    assert.ok(
      report.plan?.some((s) => s.op === "create" && s.type === "personalize:Campaign"),
      "the preview planned the whole stack",
    );
    assert.match(
      stderr,
      /policy personalize-guardrails@v0\.1\.0 \[mandatory\] personalize-legacy-recipe-on-aws \(personalize:Solution workshop-solution\)/,
    );
  });

  it("with the policy pack, a mandatory violation on the local stack stops the run before anything is created", async () => {
    const { code, stdout, stderr } = await npmStart([
      "--config",
      "minProvisionedTPS=20",
      "--policy-pack",
      "policy",
      "--duration-scale",
      "0",
      "--json",
    ]);
    assert.equal(code, 1, stderr);
    const report = reportOf(stdout);
    assert.deepEqual(
      report.policyViolations.map((v) => `${v.enforcementLevel} ${v.policyName} ${v.type}`),
      ["mandatory personalize-provisioned-tps-ceiling personalize:Campaign"],
    );
    const creates = Object.keys(report.apiCalls).filter((op) => op.startsWith("Create"));
    assert.deepEqual(creates, [], "no Create call reached the emulator");
    assert.deepEqual(report.resources, []);
    assert.doesNotMatch(stderr, /Deploying stack|\] creating /);
  });
});
