import * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "crypto";
import {
  CommonArgs,
  isInProgress,
  PersonalizeProvider,
  Props,
  ResourceSpec,
  tagList,
} from "./lifecycle";
import { PersonalizeResource } from "./resource";
import {
  canonical,
  checkArn,
  checkEnum,
  checkName,
  checkS3Location,
  checkString,
  isUnknown,
  UNKNOWN,
} from "./validate";

export interface DatasetImportJobArgs extends CommonArgs {
  /** A prefix: job names are unique forever, so the provider appends `-<data hash>-<random>`. */
  jobName: pulumi.Input<string>;
  datasetArn: pulumi.Input<string>;
  /** s3://bucket/key of the CSV file, or a folder ending in `/`. */
  dataLocation: pulumi.Input<string>;
  /** The role Personalize assumes to read the data. */
  roleArn: pulumi.Input<string>;
  /** FULL (default) or INCREMENTAL. */
  importMode?: pulumi.Input<string>;
  /** Content hash of the data file: changed data means a new import job (and a new solution version downstream). */
  dataHash?: pulumi.Input<string>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** `-` + 8 characters of the data hash + `-` + 6 random characters. */
const SUFFIX_LENGTH = 16;
export const JOB_NAME_PREFIX_MAX = 63 - SUFFIX_LENGTH;

/** The fields whose change means a new job; the physical name is kept while none of them changes. */
const JOB_FIELDS = [
  "jobName",
  "datasetArn",
  "dataLocation",
  "roleArn",
  "importMode",
  "dataHash",
  "region",
];

/**
 * Chooses the physical job name in `check`. It must be stable across later checks while
 * nothing that replaces the job changes (or every `up` would re-import), and new whenever
 * something does, because a job name can never be used twice.
 */
export function physicalJobName(olds: Props, news: Props): string {
  if (JOB_FIELDS.some((f) => isUnknown(news[f]))) return UNKNOWN;
  const kept = olds.physicalJobName;
  if (
    typeof kept === "string" &&
    kept !== UNKNOWN &&
    JOB_FIELDS.every((f) => canonical(olds[f]) === canonical(news[f]))
  ) {
    return kept;
  }
  const hash =
    typeof news.dataHash === "string"
      ? news.dataHash.replace(/^[a-z0-9]+:/i, "").replace(/[^a-zA-Z0-9]/g, "")
      : "";
  const random = randomBytes(3).toString("hex");
  return [news.jobName, hash.slice(0, 8), random].filter((part) => part !== "").join("-");
}

/** personalize-api.md §3.4: no update, no delete. A change is a new job; delete forgets the job. */
export const datasetImportJobSpec: ResourceSpec = {
  kind: "DatasetImportJob",
  fields: {
    jobName: "replace",
    physicalJobName: "replace",
    datasetArn: "replace",
    dataLocation: "replace",
    roleArn: "replace",
    importMode: "replace",
    dataHash: "replace",
  },
  outputKeyOf: { jobName: "jobNamePrefix" },
  defaults: { importMode: "FULL" },
  defaultTimeoutMinutes: 120,
  taggable: true,
  validate(inputs, failures, olds) {
    checkName(failures, "jobName", inputs.jobName, { maxLength: JOB_NAME_PREFIX_MAX });
    checkArn(failures, "datasetArn", inputs.datasetArn, "personalize");
    checkS3Location(failures, "dataLocation", inputs.dataLocation);
    checkArn(failures, "roleArn", inputs.roleArn, "role");
    checkEnum(failures, "importMode", inputs.importMode, ["FULL", "INCREMENTAL"]);
    checkString(failures, "dataHash", inputs.dataHash, { min: 1, max: 256 });
    if (failures.length > 0) return inputs;
    return { ...inputs, physicalJobName: physicalJobName(olds, inputs) };
  },
  // Not the by-name request: the physical name is the job name, the location a data source.
  async create(ctx, _request, inputs) {
    const out = await ctx.api.createDatasetImportJob({
      jobName: inputs.physicalJobName as string,
      datasetArn: inputs.datasetArn as string,
      dataSource: { dataLocation: inputs.dataLocation as string },
      roleArn: inputs.roleArn as string,
      importMode: inputs.importMode as "FULL" | "INCREMENTAL",
      tags: tagList(inputs.tags),
    });
    return out.datasetImportJobArn as string;
  },
  // A job of this data still running under this stack's prefix: the same `<prefix>-<hash>-`.
  async inFlight(ctx, inputs) {
    const physical = inputs.physicalJobName;
    if (typeof physical !== "string") return [];
    const stem = physical.slice(0, physical.lastIndexOf("-") + 1);
    const found: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ctx.api.listDatasetImportJobs({
        datasetArn: inputs.datasetArn as string,
        ...(nextToken ? { nextToken } : {}),
      });
      for (const job of page.datasetImportJobs ?? []) {
        if (job.jobName?.startsWith(stem) && isInProgress(job.status) && job.datasetImportJobArn)
          found.push(job.datasetImportJobArn);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return found;
  },
  describe: async (ctx, arn) =>
    ((await ctx.api.describeDatasetImportJob({ datasetImportJobArn: arn })).datasetImportJob ??
      {}) as Props,
  outputs: (_ctx, d) => ({ jobName: d.jobName }),
  inputsFromService: (d) => ({
    physicalJobName: d.jobName,
    datasetArn: d.datasetArn,
    dataLocation: (d.dataSource as { dataLocation?: string } | undefined)?.dataLocation,
    roleArn: d.roleArn,
    importMode: d.importMode,
  }),
  // No delete API: jobs live as long as their dataset. Forgetting is the delete.
};

export const datasetImportJobProvider = new PersonalizeProvider(datasetImportJobSpec);

/** A dataset import job: one import of a data file into a dataset. */
export class DatasetImportJob extends PersonalizeResource {
  /** The physical job name (prefix + suffix), as the service reports it. */
  declare readonly jobName: pulumi.Output<string>;
  /** The physical job name as check chose it: known during a preview too. */
  declare readonly physicalJobName: pulumi.Output<string>;
  declare readonly jobNamePrefix: pulumi.Output<string>;
  declare readonly datasetArn: pulumi.Output<string>;
  declare readonly dataLocation: pulumi.Output<string>;
  declare readonly roleArn: pulumi.Output<string>;
  declare readonly importMode: pulumi.Output<string>;
  declare readonly dataHash: pulumi.Output<string | undefined>;

  constructor(name: string, args: DatasetImportJobArgs, opts?: pulumi.CustomResourceOptions) {
    super(datasetImportJobProvider, name, args, ["jobName"], opts);
  }
}
