// Fault injection: throttles, 500s, latency and forced CREATE FAILED.
import {
  CreateDatasetGroupCommand,
  CreateDatasetImportJobCommand,
  DescribeDatasetGroupCommand,
  DescribeDatasetImportJobCommand,
  ListDatasetGroupsCommand,
  PersonalizeClient,
} from "@aws-sdk/client-personalize";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { strict as assert } from "node:assert";
import { eventually, groupWithInteractions, harness, rejection } from "./helpers";

const outcomes = async (p: PersonalizeClient, n: number) => {
  const names: string[] = [];
  for (let i = 0; i < n; i++)
    names.push(
      await p.send(new ListDatasetGroupsCommand({})).then(
        () => "ok",
        (e: Error) => e.name,
      ),
    );
  return names;
};

describe("emulator fault injection", function () {
  it("throttles every call at --throttle-rate 1 with ThrottlingException (400), and leaves S3 alone", async () => {
    const h = await harness({ faults: { throttleRate: 1 } });
    try {
      const err = await rejection(h.personalize.send(new CreateDatasetGroupCommand({ name: "t" })));
      assert.equal(err.name, "ThrottlingException");
      assert.equal(err.$metadata?.httpStatusCode, 400);
      assert.match(err.message, /Rate exceeded/);
      await h.s3.send(new CreateBucketCommand({ Bucket: "still-works" }));
      h.emulator.setFaults({});
      await h.personalize.send(new CreateDatasetGroupCommand({ name: "t" }));
    } finally {
      await h.close();
    }
  });

  it("fails every call at --error-rate 1 with HTTP 500, which the SDK marks as a server fault", async () => {
    const h = await harness({ faults: { errorRate: 1 } });
    try {
      const err = (await rejection(
        h.personalize.send(new ListDatasetGroupsCommand({})),
      )) as Error & { $fault?: string; $metadata?: { httpStatusCode?: number } };
      assert.equal(err.$metadata?.httpStatusCode, 500);
      assert.equal(err.$fault, "server");
    } finally {
      await h.close();
    }
  });

  it("spreads partial rates over calls, the same way for the same seed", async () => {
    const a = await harness({ faults: { throttleRate: 0.3, errorRate: 0.2, seed: 7 } });
    const b = await harness({ faults: { throttleRate: 0.3, errorRate: 0.2, seed: 7 } });
    try {
      const seqA = await outcomes(a.personalize, 200);
      const seqB = await outcomes(b.personalize, 200);
      assert.deepEqual(seqA, seqB);
      const count = (name: string) => seqA.filter((x) => x === name).length;
      assert.ok(
        count("ThrottlingException") > 35 && count("ThrottlingException") < 85,
        `throttled ${count("ThrottlingException")}/200`,
      );
      assert.ok(
        count("InternalFailure") > 20 && count("InternalFailure") < 60,
        `failed ${count("InternalFailure")}/200`,
      );
      assert.ok(count("ok") > 60, `succeeded ${count("ok")}/200`);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("adds --latency-ms to control-plane calls", async () => {
    const h = await harness({ faults: { latencyMs: 150 } });
    try {
      const started = process.hrtime.bigint();
      await h.personalize.send(new ListDatasetGroupsCommand({}));
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      // A lower bound only: the injected delay must be there; how much slower the machine is does not matter.
      assert.ok(elapsedMs >= 145, `answered after ${elapsedMs} ms`);
    } finally {
      await h.close();
    }
  });

  it("ends named resources CREATE FAILED with the given failureReason, verbatim (import jobs also by jobName prefix)", async () => {
    const reason = "Input CSV is missing the following columns: [TIMESTAMP]";
    const h = await harness({
      faults: { failures: { "doomed-group": "KMS key is disabled", "doomed-import": reason } },
    });
    try {
      const p = h.personalize;
      const { datasetGroupArn: doomed } = await p.send(
        new CreateDatasetGroupCommand({ name: "doomed-group" }),
      );
      const failed = await eventually(
        async () =>
          (await p.send(new DescribeDatasetGroupCommand({ datasetGroupArn: doomed })))
            .datasetGroup!,
        (g) => g.status === "CREATE FAILED",
        "group CREATE FAILED",
      );
      assert.equal(failed.failureReason, "KMS key is disabled");

      const { datasetArn } = await groupWithInteractions(p, "fine-group");
      const { datasetImportJobArn } = await p.send(
        new CreateDatasetImportJobCommand({
          jobName: "doomed-import",
          datasetArn,
          dataSource: { dataLocation: "s3://b/x.csv" },
        }),
      );
      const job = await eventually(
        async () =>
          (await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn })))
            .datasetImportJob!,
        (j) => j.status === "CREATE FAILED",
        "import CREATE FAILED",
      );
      assert.equal(job.failureReason, reason);

      // The providers name a job <jobName>-<hash>-<random>: --fail matches it by that prefix.
      const suffixed = await p.send(
        new CreateDatasetImportJobCommand({
          jobName: "doomed-import-0a1b2c3d-7b7539",
          datasetArn,
          dataSource: { dataLocation: "s3://b/x.csv" },
        }),
      );
      const fine = await p.send(
        new CreateDatasetImportJobCommand({
          jobName: "doomed-imports",
          datasetArn,
          dataSource: { dataLocation: "s3://b/x.csv" },
        }),
      );
      const settled = async (datasetImportJobArn: string | undefined) =>
        eventually(
          async () =>
            (await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn })))
              .datasetImportJob!,
          (j) => j.status === "CREATE FAILED" || j.status === "ACTIVE",
          "import settled",
        );
      assert.equal((await settled(suffixed.datasetImportJobArn)).failureReason, reason);
      assert.equal((await settled(fine.datasetImportJobArn)).status, "ACTIVE");
      const { datasetGroupArn: prefixed } = await p.send(
        new CreateDatasetGroupCommand({ name: "doomed-group-2" }),
      );
      const group = await eventually(
        async () =>
          (await p.send(new DescribeDatasetGroupCommand({ datasetGroupArn: prefixed })))
            .datasetGroup!,
        (g) => g.status === "ACTIVE" || g.status === "CREATE FAILED",
        "group settled",
      );
      assert.equal(group.status, "ACTIVE", "only import jobs match by prefix");
    } finally {
      await h.close();
    }
  });
});
