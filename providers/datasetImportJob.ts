import type {
  DatasetImportJob as DescribedDatasetImportJob,
  ImportMode,
} from "@aws-sdk/client-personalize";
import { randomBytes } from "crypto";
import { IMPORT_MODES } from "../rules/personalize";
import { created, listAll } from "./client";
import { isInProgress, PersonalizeProvider, tagList } from "./lifecycle";
import { personalizeResource } from "./resource";
import type { ArgsOf, Props, Tagged } from "./spec";
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

export type DatasetImportJobInputs = Tagged & {
  /**
   * A prefix: job names are unique forever, so the provider appends `-<data hash>-<random>`.
   * Stored as the output `jobNamePrefix`; the output `jobName` is the physical name.
   */
  readonly jobName: string;
  /** The physical job name: `jobName` and its suffix, chosen by check (so a preview knows it too). */
  readonly physicalJobName: string;
  /** The dataset the data goes into. */
  readonly datasetArn: string;
  /** s3://bucket/key of the CSV file, or a folder ending in `/`. */
  readonly dataLocation: string;
  /** The role Personalize assumes to read the data. */
  readonly roleArn: string;
  /**
   * FULL replaces the dataset's bulk data, INCREMENTAL adds to it.
   * @default "FULL"
   */
  readonly importMode?: ImportMode;
  /**
   * Content hash of the data file: changed data means a new import job (and a new solution
   * version downstream).
   * @default none: only a change of another input imports again
   */
  readonly dataHash?: string;
};

export interface DatasetImportJobKind {
  inputs: DatasetImportJobInputs;
  described: DescribedDatasetImportJob;
  outputs: {
    /** The physical job name (prefix + suffix), as the service reports it. */
    readonly jobName?: string;
  };
  defaulted: "importMode";
  computed: "physicalJobName";
  renamed: { jobName: "jobNamePrefix" };
}

/** The arguments of a DatasetImportJob, as a program gives them. */
export type DatasetImportJobArgs = ArgsOf<DatasetImportJobKind>;

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

/**
 * No update, no delete API: a change is a new job; delete forgets the job
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetImportJob.html).
 */
export const datasetImportJobProvider = new PersonalizeProvider<DatasetImportJobKind>({
  kind: "DatasetImportJob",
  fields: {
    jobName: "replace",
    physicalJobName: { change: "replace", note: "chosen by check" },
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
    checkEnum(failures, "importMode", inputs.importMode, IMPORT_MODES);
    checkString(failures, "dataHash", inputs.dataHash, { min: 1, max: 256 });
    if (failures.length > 0) return inputs;
    return { ...inputs, physicalJobName: physicalJobName(olds, inputs) };
  },
  // Not the by-name request: the physical name is the job name, the location a data source.
  async create(ctx, _request, inputs) {
    const out = await ctx.api.createDatasetImportJob({
      jobName: inputs.physicalJobName,
      datasetArn: inputs.datasetArn,
      dataSource: { dataLocation: inputs.dataLocation },
      roleArn: inputs.roleArn,
      importMode: inputs.importMode,
      tags: tagList(inputs.tags),
    });
    return created(out.datasetImportJobArn, "CreateDatasetImportJob");
  },
  // A job of this data still running under this stack's prefix: the same `<prefix>-<hash>-`.
  async inFlight(ctx, inputs) {
    const physical = inputs.physicalJobName;
    const stem = physical.slice(0, physical.lastIndexOf("-") + 1);
    const jobs = await listAll(
      (token) => ctx.api.listDatasetImportJobs({ datasetArn: inputs.datasetArn, ...token }),
      (page) => page.datasetImportJobs,
    );
    return jobs
      .filter((job) => job.jobName?.startsWith(stem) && isInProgress(job.status))
      .flatMap((job) => job.datasetImportJobArn ?? []);
  },
  describe: async (ctx, arn) =>
    (await ctx.api.describeDatasetImportJob({ datasetImportJobArn: arn })).datasetImportJob ?? {},
  outputs: { jobName: (d) => d.jobName },
  inputsFromService: (d) => ({
    physicalJobName: d.jobName,
    datasetArn: d.datasetArn,
    dataLocation: d.dataSource?.dataLocation,
    roleArn: d.roleArn,
    importMode: d.importMode,
  }),
  // No delete API: jobs live as long as their dataset. Forgetting is the delete.
});
export const datasetImportJobSpec = datasetImportJobProvider.spec;

/** A dataset import job: one import of a data file into a dataset. */
export class DatasetImportJob extends personalizeResource(datasetImportJobProvider) {}
