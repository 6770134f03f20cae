/**
 * Dataset import jobs
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetImportJob.html): read a CSV
 * from S3 into an ACTIVE dataset through the data plane. At most 5 are in flight per region;
 * INCREMENTAL needs an earlier successful import. Import jobs cannot be deleted (their dataset
 * takes them along).
 */
import type { ImportJobSpec } from "../dataplane";
import { invalidInput, limitExceeded } from "../errors";
import { describeOp, listOp } from "./generic";
import { inFlight, type ControlPlane, type Handlers, type KindRules } from "./model";
import type { RecordOf } from "./records";
import { checkTags } from "./tags";

const MAX_PENDING_IMPORT_JOBS = 5;

export const datasetImportJobOperations: Handlers = {
  CreateDatasetImportJob: (model, input, ctx) => {
    const { jobName, datasetArn, dataSource, roleArn, tags } = input;
    const { publishAttributionMetricsToS3 } = input;
    const importMode = input.importMode ?? "FULL";
    const dataLocation = dataSource.dataLocation;
    if (dataLocation === undefined)
      throw invalidInput(
        "dataSource.dataLocation is required: the s3://bucket/key.csv (or s3://bucket/folder/) to import.",
      );
    checkTags(tags);
    const dataset = model.get("dataset", datasetArn, ctx);
    model.requireActive(dataset, "import data");
    const arn = model.newArn(ctx, `dataset-import-job/${jobName}`);
    if (
      importMode === "INCREMENTAL" &&
      model.all(
        "datasetImportJob",
        (j) => j.attrs.datasetArn === datasetArn && j.status === "ACTIVE",
      ).length === 0
    )
      throw invalidInput(
        `importMode INCREMENTAL needs an earlier successful bulk import into ${datasetArn}; use FULL first.`,
      );
    if (
      model.all("datasetImportJob", (j) => j.region === ctx.region && inFlight(j.status)).length >=
      MAX_PENDING_IMPORT_JOBS
    )
      throw limitExceeded(
        `More than ${MAX_PENDING_IMPORT_JOBS} resources with PENDING or IN_PROGRESS status.`,
      );
    model.create("datasetImportJob", ctx, {
      arn,
      name: jobName,
      attrs: {
        datasetArn,
        dataSource: { dataLocation },
        roleArn,
        importMode,
        publishAttributionMetricsToS3,
      },
      tags,
    });
    return { datasetImportJobArn: arn };
  },
  DescribeDatasetImportJob: describeOp("datasetImportJob"),
  ListDatasetImportJobs: listOp("datasetImportJob", {
    member: "datasetArn",
    belongs: (j, datasetArn) => j.attrs.datasetArn === datasetArn,
  }),
};

/** What the data plane needs to run an import job. */
function importSpec(model: ControlPlane, job: RecordOf<"datasetImportJob">): ImportJobSpec {
  const dataset = model.find("dataset", job.attrs.datasetArn);
  if (!dataset)
    throw new Error(`Dataset ${job.attrs.datasetArn} was deleted while ${job.arn} ran.`);
  return {
    jobArn: job.arn,
    datasetArn: dataset.arn,
    datasetGroupArn: dataset.attrs.datasetGroupArn,
    datasetType: dataset.attrs.datasetType,
    schemaJson: model.find("schema", dataset.attrs.schemaArn)?.attrs.schema ?? "",
    dataLocation: job.attrs.dataSource.dataLocation,
    importMode: job.attrs.importMode,
  };
}

export const datasetImportJobRules: KindRules<"datasetImportJob"> = {
  work: (model, job, dataPlane) => dataPlane.importData(importSpec(model, job)),
};
