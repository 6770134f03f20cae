import type { CreateSolutionVersionRequest } from "@aws-sdk/client-personalize";
import * as pulumi from "@pulumi/pulumi";
import { errorCode } from "./client";
import {
  CommonArgs,
  Context,
  isInProgress,
  PersonalizeProvider,
  Props,
  ResourceSpec,
} from "./lifecycle";
import { PersonalizeResource } from "./resource";
import { checkArn, checkEnum, checkName, show, UNKNOWN } from "./validate";

export interface SolutionVersionArgs extends CommonArgs {
  solutionArn: pulumi.Input<string>;
  name?: pulumi.Input<string>;
  /** FULL (default) or UPDATE. */
  trainingMode?: pulumi.Input<string>;
  /**
   * Opaque values this version was trained from, e.g. the import job's ARN. Any change trains
   * a new version: that is how new data reaches the campaign.
   */
  trainingInputs?: pulumi.Input<pulumi.Input<string>[]>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

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

/** personalize-api.md §3.6: no update, no delete. Delete stops a version still training, then forgets it. */
export const solutionVersionSpec: ResourceSpec = {
  kind: "SolutionVersion",
  fields: {
    solutionArn: "replace",
    name: "replace",
    trainingMode: "replace",
    trainingInputs: "replace",
  },
  // What the version was trained from, for the engine only: a change trains a new version.
  localFields: ["trainingInputs"],
  defaults: { trainingMode: "FULL" },
  // Training takes tens of minutes on small data and hours on large data (personalize-api.md §8).
  defaultTimeoutMinutes: 360,
  taggable: true,
  failedStatuses: ["CREATE STOPPED"],
  validate(inputs, failures) {
    checkArn(failures, "solutionArn", inputs.solutionArn, "personalize");
    checkName(failures, "name", inputs.name, { required: false });
    checkEnum(failures, "trainingMode", inputs.trainingMode, ["FULL", "UPDATE"]);
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
    (await ctx.api.createSolutionVersion(request as CreateSolutionVersionRequest))
      .solutionVersionArn as string,
  // A version of this solution still training, started after the import jobs it is to be
  // trained from ended (else it trains on older data); adoption then checks name, mode, tags.
  async inFlight(ctx, inputs) {
    let dataReady = 0;
    for (const input of Array.isArray(inputs.trainingInputs) ? inputs.trainingInputs : []) {
      if (typeof input !== "string" || !input.includes(":dataset-import-job/")) continue;
      const { datasetImportJob } = await ctx.api.describeDatasetImportJob({
        datasetImportJobArn: input,
      });
      const ended = datasetImportJob?.lastUpdatedDateTime?.getTime() ?? Infinity;
      dataReady = Math.max(dataReady, ended);
    }
    const found: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ctx.api.listSolutionVersions({
        solutionArn: inputs.solutionArn as string,
        ...(nextToken ? { nextToken } : {}),
      });
      for (const version of page.solutionVersions ?? []) {
        const started = version.creationDateTime?.getTime() ?? 0;
        if (isInProgress(version.status) && version.solutionVersionArn && started >= dataReady)
          found.push(version.solutionVersionArn);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return found;
  },
  describe: async (ctx, arn) =>
    ((await ctx.api.describeSolutionVersion({ solutionVersionArn: arn })).solutionVersion ??
      {}) as Props,
  async outputs(ctx, d, arn) {
    let metrics: Record<string, number> = {};
    if (d.status === "ACTIVE") {
      try {
        const out = await ctx.api.getSolutionMetrics({ solutionVersionArn: arn });
        metrics = out.metrics ?? {};
      } catch (err) {
        // Not ready yet is "no metrics", anything else is a real problem.
        if (errorCode(err) !== "ResourceInUseException") throw err;
      }
    }
    return { trainingHours: d.trainingHours ?? 0, metrics };
  },
  delete: stopTraining,
  forgetAfterDelete: true,
};

export const solutionVersionProvider = new PersonalizeProvider(solutionVersionSpec);

/** A trained model (solution version). Creating it trains; deleting it stops training if needed and forgets it. */
export class SolutionVersion extends PersonalizeResource {
  declare readonly solutionArn: pulumi.Output<string>;
  declare readonly trainingMode: pulumi.Output<string>;
  declare readonly trainingHours: pulumi.Output<number>;
  declare readonly metrics: pulumi.Output<Record<string, number>>;

  constructor(name: string, args: SolutionVersionArgs, opts?: pulumi.CustomResourceOptions) {
    super(solutionVersionProvider, name, args, ["trainingHours", "metrics"], opts);
  }
}
