// The command line: flags, --help, clean shutdown, and the AWS CLI as a second, independent client.
import { DescribeDatasetGroupCommand } from "@aws-sdk/client-personalize";
import { strict as assert } from "node:assert";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startEmulator } from "../../emulator";
import { UsageError } from "../../cli/args";
import { CliOptions, parseEmulatorArgs } from "../../emulator/cli";
import { clientsFor, spawnCli } from "./helpers";

const run = promisify(execFile);
const ROOT = join(__dirname, "..", "..");
const AWS_ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_CONFIG_FILE: "/dev/null",
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
};

/** The options a command line parses to (anything but --help). */
function parseArgs(argv: string[]): CliOptions {
  const options = parseEmulatorArgs(argv);
  if (options === "help") throw new Error(`${argv.join(" ")} parsed as --help`);
  return options;
}

function cli(args: string[]) {
  return spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", join(ROOT, "emulator", "cli.ts"), ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
}

describe("emulator command line", function () {
  this.timeout(60_000);

  it("documents every flag in --help", () => {
    const help = cli(["--help"]);
    assert.equal(help.status, 0);
    for (const flag of [
      "--host",
      "--allow-host",
      "--port",
      "--data-dir",
      "--account-id",
      "--duration-scale",
      "--throttle-rate",
      "--error-rate",
      "--latency-ms",
      "--fail",
      "--max-body-bytes",
      "--max-object-bytes",
      "--placeholder-data-plane",
      "--quiet",
      "--help",
    ])
      assert.ok(help.stdout.includes(flag), `--help mentions ${flag}`);
  });

  it("rejects bad flags naming the flag and the value, and exits 2", () => {
    for (const [args, named] of [
      [["--port", "seventy"], /--port.*"seventy"/],
      [["--throttle-rate", "2"], /--throttle-rate.*from 0 to 1.*"2"/],
      [["--duration-scale", "-1"], /--duration-scale.*"-1"/],
      [["--fail", "nameonly"], /--fail needs NAME=REASON.*"nameonly"/],
      [["--account-id", "12"], /--account-id needs 12 digits/],
      [["--data-dir"], /--data-dir needs a value/],
      [["--allow-host", "evil.example/x"], /--allow-host needs a host name, got "evil.example\/x"/],
    ] as [string[], RegExp][]) {
      assert.throws(
        () => parseArgs(args),
        (err: Error) => err instanceof UsageError && named.test(err.message),
        args.join(" "),
      );
    }
    const result = cli(["--frobnicate"]);
    assert.equal(result.status, 2);
    assert.match(
      result.stderr,
      /^npm run emulator: unknown flag "--frobnicate"\nRun "npm run emulator -- --help" for the flags\.$/m,
    );
  });

  it("names --data-dir when the data dir cannot be created, and exits 1", () => {
    const file = join(mkdtempSync(join(tmpdir(), "emulator-cli-")), "a-file");
    writeFileSync(file, "");
    const result = cli(["--port", "0", "--data-dir", join(file, "state")]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /--data-dir ".*a-file\/state" cannot be used: ENOTDIR/);
  });

  it("takes --flag=value as well as --flag value", () => {
    const options = parseArgs(["--port=0", "--throttle-rate=0.5", "--fail=job=Bad CSV"]);
    assert.equal(options.port, 0);
    assert.deepEqual(options.faults, { throttleRate: 0.5, failures: { job: "Bad CSV" } });
  });

  it("parses fault, limit and host flags into options", () => {
    const options = parseArgs([
      "--fail",
      "a=b=c",
      "--fail",
      "job=Bad CSV",
      "--latency-ms",
      "5",
      "--duration-scale",
      "0",
      "--max-body-bytes",
      "100",
      "--allow-host",
      "emulator.internal",
      "--allow-host",
      "Personalize-Emulator",
    ]);
    assert.deepEqual(options.faults, { failures: { a: "b=c", job: "Bad CSV" }, latencyMs: 5 });
    assert.equal(options.durationScale, 0);
    assert.equal(options.maxBodyBytes, 100);
    assert.deepEqual(options.allowedHosts, ["emulator.internal", "Personalize-Emulator"]);
  });

  it("serves the AWS CLI (personalize and s3), and flushes state on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emulator-cli-"));
    const file = join(dir, "interactions.csv");
    writeFileSync(file, "USER_ID,ITEM_ID,TIMESTAMP\n1,navy-sport-jacket,1700000000\n");
    const server = spawnCli([
      "--port",
      "0",
      "--data-dir",
      join(dir, "state"),
      "--duration-scale",
      "0",
      "--account-id",
      "111122223333",
    ]);
    try {
      const url = await server.url;
      const aws = async (...args: string[]) =>
        (await run("aws", ["--endpoint-url", url, ...args], { env: AWS_ENV })).stdout;
      const created = JSON.parse(
        await aws("personalize", "create-dataset-group", "--name", "cli-group"),
      );
      assert.equal(
        created.datasetGroupArn,
        "arn:aws:personalize:us-east-1:111122223333:dataset-group/cli-group",
      );
      const listed = JSON.parse(await aws("personalize", "list-dataset-groups"));
      assert.deepEqual(
        listed.datasetGroups.map((g: { name: string }) => g.name),
        ["cli-group"],
      );
      const failure = await run(
        "aws",
        [
          "--endpoint-url",
          url,
          "personalize",
          "describe-dataset-group",
          "--dataset-group-arn",
          "arn:aws:personalize:us-east-1:111122223333:dataset-group/nope",
        ],
        { env: AWS_ENV },
      ).catch((e: { stderr: string }) => e);
      assert.match((failure as { stderr: string }).stderr, /ResourceNotFoundException/);

      await aws("s3", "mb", "s3://cli-bucket");
      await aws("s3", "cp", file, "s3://cli-bucket/transformed/interactions.csv");
      assert.match(await aws("s3", "ls", "s3://cli-bucket/"), /PRE transformed\//);
      assert.match(await aws("s3", "ls", "s3://cli-bucket/transformed/"), /\d+ interactions\.csv/);
      assert.equal(
        await aws("s3", "cp", "s3://cli-bucket/transformed/interactions.csv", "-"),
        "USER_ID,ITEM_ID,TIMESTAMP\n1,navy-sport-jacket,1700000000\n",
      );

      // Over the CLI's 8 MB threshold: a multipart upload, and a download of the same bytes.
      const big = join(dir, "big.bin");
      writeFileSync(big, Buffer.alloc(9 * 1024 * 1024, "z"));
      await aws("s3", "cp", big, "s3://cli-bucket/big.bin");
      await aws("s3", "cp", "s3://cli-bucket/big.bin", join(dir, "big-back.bin"));
      assert.ok(readFileSync(join(dir, "big-back.bin")).equals(readFileSync(big)));

      server.child.kill("SIGTERM");
      assert.equal(await server.exited, 0, server.stderr());
      const restarted = clientsFor(
        await startEmulator({ dataDir: join(dir, "state"), accountId: "111122223333" }),
      );
      try {
        const group = await restarted.personalize.send(
          new DescribeDatasetGroupCommand({ datasetGroupArn: created.datasetGroupArn }),
        );
        assert.equal(group.datasetGroup?.name, "cli-group");
      } finally {
        await restarted.close();
      }
    } finally {
      server.child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
