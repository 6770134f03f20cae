import {
  CreateSolutionVersionCommand,
  DescribeSolutionVersionCommand,
  GetSolutionMetricsCommand,
  StopSolutionVersionCreationCommand,
} from "@aws-sdk/client-personalize";
import * as pulumi from "@pulumi/pulumi";
import { errorCode } from "./client";
import {
  CommonArgs,
  isInProgress,
  PersonalizeProvider,
  Props,
  ResourceSpec,
  tagList,
  withOutputKeys,
} from "./lifecycle";
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

/** personalize-api.md §3.6: no update, no delete. Delete stops a version still training, then forgets it. */
export const solutionVersionSpec: ResourceSpec = {
  kind: "SolutionVersion",
  fields: {
    solutionArn: "replace",
    name: "replace",
    trainingMode: "replace",
    trainingInputs: "replace",
  },
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
  async create(ctx, inputs) {
    const out = await ctx.client.send(
      new CreateSolutionVersionCommand({
        solutionArn: inputs.solutionArn as string,
        name: inputs.name as string | undefined,
        trainingMode: inputs.trainingMode as "FULL" | "UPDATE",
        tags: tagList(inputs.tags),
      }),
    );
    return out.solutionVersionArn as string;
  },
  async describe(ctx, arn) {
    const out = await ctx.client.send(
      new DescribeSolutionVersionCommand({ solutionVersionArn: arn }),
    );
    return (out.solutionVersion ?? {}) as Props;
  },
  async outputs(ctx, d, arn) {
    let metrics: Record<string, number> = {};
    if (d.status === "ACTIVE") {
      try {
        const out = await ctx.client.send(
          new GetSolutionMetricsCommand({ solutionVersionArn: arn }),
        );
        metrics = out.metrics ?? {};
      } catch (err) {
        // Not ready yet is "no metrics", anything else is a real problem.
        if (errorCode(err) !== "ResourceInUseException") throw err;
      }
    }
    return {
      status: d.status,
      failureReason: d.failureReason,
      trainingHours: d.trainingHours ?? 0,
      metrics,
    };
  },
  inputsFromService: (d) => ({
    solutionArn: d.solutionArn,
    name: d.name,
    trainingMode: d.trainingMode,
  }),
  async delete(ctx, arn) {
    const out = await ctx.client.send(
      new DescribeSolutionVersionCommand({ solutionVersionArn: arn }),
    );
    if (!isInProgress(out.solutionVersion?.status)) return;
    await ctx.client.send(new StopSolutionVersionCreationCommand({ solutionVersionArn: arn }));
    await ctx.waitFor(`solution version ${arn} to stop training`, async () => {
      const now = await ctx.client.send(
        new DescribeSolutionVersionCommand({ solutionVersionArn: arn }),
      );
      return isInProgress(now.solutionVersion?.status) ? undefined : true;
    });
  },
  forgetAfterDelete: true,
};

export const solutionVersionProvider = new PersonalizeProvider(solutionVersionSpec);

/** A trained model (solution version). Creating it trains; deleting it stops training if needed and forgets it. */
export class SolutionVersion extends pulumi.dynamic.Resource {
  declare readonly arn: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly solutionArn: pulumi.Output<string>;
  declare readonly trainingMode: pulumi.Output<string>;
  declare readonly trainingHours: pulumi.Output<number>;
  declare readonly metrics: pulumi.Output<Record<string, number>>;
  declare readonly region: pulumi.Output<string>;

  constructor(name: string, args: SolutionVersionArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      solutionVersionProvider,
      name,
      withOutputKeys(args, [
        "arn",
        "status",
        "solutionArn",
        "trainingMode",
        "trainingHours",
        "metrics",
        "region",
      ]),
      opts,
      "personalize",
      "SolutionVersion",
    );
  }
}
