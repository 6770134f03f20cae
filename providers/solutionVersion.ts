import type {
  SolutionVersion as DescribedSolutionVersion,
  TrainingMode,
} from "@aws-sdk/client-personalize";
import { TRAINING_MODES } from "../rules/personalize";
import { created, errorCode, listAll } from "./client";
import { isInProgress, PersonalizeProvider } from "./lifecycle";
import { personalizeResource } from "./resource";
import type { ArgsOf, Context, Tagged } from "./spec";
import { checkArn, checkEnum, checkName, show, UNKNOWN } from "./validate";

export type SolutionVersionInputs = Tagged & {
  /** The solution to train. */
  readonly solutionArn: string;
  /**
   * The version's name.
   * @default none
   */
  readonly name?: string;
  /**
   * FULL trains from scratch; UPDATE refreshes a FULL version with new items and interactions.
   * @default "FULL"
   */
  readonly trainingMode?: Exclude<TrainingMode, "AUTOTRAIN">;
  /**
   * Opaque values this version was trained from, e.g. the import job's ARN. Any change trains
   * a new version: that is how new data reaches the campaign. Not sent to the service.
   * @default none
   */
  readonly trainingInputs?: string[];
};

export interface SolutionVersionKind {
  inputs: SolutionVersionInputs;
  described: DescribedSolutionVersion;
  outputs: {
    /** Training hours billed for this version. */
    readonly trainingHours: number;
    /** The offline metrics GetSolutionMetrics reports once the version is ACTIVE. */
    readonly metrics: Record<string, number>;
  };
  defaulted: "trainingMode";
}

/** The arguments of a SolutionVersion, as a program gives them. */
export type SolutionVersionArgs = ArgsOf<SolutionVersionKind>;

/**
 * Stops a version that is still training and waits until it has stopped (CREATE STOPPED), as
 * AWS's cleanup script does; a version done training is left alone.
 */
export async function stopTraining(ctx: Context, versionArn: string): Promise<void> {
  const status = async () =>
    (await ctx.api.describeSolutionVersion({ solutionVersionArn: versionArn })).solutionVersion
      ?.status;
  if (!isInProgress(await status())) return;
  await ctx.api.stopSolutionVersionCreation({ solutionVersionArn: versionArn });
  await ctx.waitFor(`solution version ${versionArn} to stop training`, async () =>
    isInProgress(await status()) ? undefined : true,
  );
}

/**
 * No update, no delete API: delete stops a version still training, then forgets it
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_StopSolutionVersionCreation.html).
 */
export const solutionVersionProvider = new PersonalizeProvider<SolutionVersionKind>({
  kind: "SolutionVersion",
  fields: {
    solutionArn: "replace",
    name: "replace",
    trainingMode: "replace",
    // What the version was trained from, for the engine only: a change trains a new version.
    trainingInputs: { change: "replace", local: true },
  },
  defaults: { trainingMode: "FULL" },
  // Training takes tens of minutes on small data and hours on large data.
  defaultTimeoutMinutes: 360,
  taggable: true,
  failedStatuses: ["CREATE STOPPED"],
  validate(inputs, failures) {
    checkArn(failures, "solutionArn", inputs.solutionArn, "personalize");
    checkName(failures, "name", inputs.name, { required: false });
    checkEnum(failures, "trainingMode", inputs.trainingMode, TRAINING_MODES);
    const list = inputs.trainingInputs;
    if (list !== undefined && list !== UNKNOWN) {
      if (!Array.isArray(list) || list.some((v) => typeof v !== "string")) {
        failures.push({
          property: "trainingInputs",
          reason: `trainingInputs ${show(list)} must be a list of strings`,
        });
      }
    }
  },
  create: async (ctx, request) =>
    created(
      (await ctx.api.createSolutionVersion(request)).solutionVersionArn,
      "CreateSolutionVersion",
    ),
  // A version of this solution still training, started after the import jobs it is to be
  // trained from ended (else it trains on older data); adoption then checks name, mode, tags.
  async inFlight(ctx, inputs) {
    let dataReady = 0;
    for (const input of inputs.trainingInputs ?? []) {
      if (!input.includes(":dataset-import-job/")) continue;
      const { datasetImportJob } = await ctx.api.describeDatasetImportJob({
        datasetImportJobArn: input,
      });
      const ended = datasetImportJob?.lastUpdatedDateTime?.getTime() ?? Infinity;
      dataReady = Math.max(dataReady, ended);
    }
    const versions = await listAll(
      (token) => ctx.api.listSolutionVersions({ solutionArn: inputs.solutionArn, ...token }),
      (page) => page.solutionVersions,
    );
    return versions
      .filter((v) => isInProgress(v.status) && (v.creationDateTime?.getTime() ?? 0) >= dataReady)
      .flatMap((v) => v.solutionVersionArn ?? []);
  },
  describe: async (ctx, arn) =>
    (await ctx.api.describeSolutionVersion({ solutionVersionArn: arn })).solutionVersion ?? {},
  outputs: {
    trainingHours: (d) => d.trainingHours ?? 0,
    async metrics(d, ctx, arn) {
      if (d.status !== "ACTIVE") return {};
      try {
        return (await ctx.api.getSolutionMetrics({ solutionVersionArn: arn })).metrics ?? {};
      } catch (err) {
        // Not ready yet is "no metrics", anything else is a real problem.
        if (errorCode(err) !== "ResourceInUseException") throw err;
        return {};
      }
    },
  },
  delete: stopTraining,
  forgetAfterDelete: true,
});
export const solutionVersionSpec = solutionVersionProvider.spec;

/** A trained model (solution version). Creating it trains; deleting it stops training if needed and forgets it. */
export class SolutionVersion extends personalizeResource(solutionVersionProvider) {}
