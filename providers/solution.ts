import type { CreateSolutionRequest, SolutionConfig } from "@aws-sdk/client-personalize";
import * as pulumi from "@pulumi/pulumi";
import {
  CommonArgs,
  isInProgress,
  PersonalizeProvider,
  Props,
  ResourceSpec,
  StatusView,
} from "./lifecycle";
import { PersonalizeResource } from "./resource";
import { stopTraining } from "./solutionVersion";
import {
  canonical,
  checkArn,
  checkBoolean,
  checkName,
  checkObject,
  checkString,
  show,
  UNKNOWN,
} from "./validate";

export interface SolutionArgs extends CommonArgs {
  name: pulumi.Input<string>;
  datasetGroupArn: pulumi.Input<string>;
  /** e.g. arn:aws:personalize:::recipe/aws-user-personalization */
  recipeArn: pulumi.Input<string>;
  /** Hyperparameter optimisation; default false. */
  performHPO?: pulumi.Input<boolean>;
  /** Default false here (the service defaults to true and then bills training hours weekly). */
  performAutoTraining?: pulumi.Input<boolean>;
  performIncrementalUpdate?: pulumi.Input<boolean>;
  eventType?: pulumi.Input<string>;
  /** The API's SolutionConfig; autoTrainingConfig and eventsConfig update in place, the rest replaces. */
  solutionConfig?: pulumi.Input<SolutionConfig>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The parts of solutionConfig that UpdateSolution changes in place (as solutionUpdateConfig). */
const UPDATABLE_CONFIG = ["autoTrainingConfig", "eventsConfig"];

const withoutUpdatable = (config: unknown): unknown => {
  if (!config || typeof config !== "object") return config;
  const rest = { ...(config as Props) };
  for (const key of UPDATABLE_CONFIG) delete rest[key];
  // No config and a config of only updatable parts mean the same thing to the service.
  return Object.keys(rest).length > 0 ? rest : undefined;
};

const SCHEDULE = /^rate\(([1-9]|[12][0-9]|30) days?\)$/;

/** personalize-api.md §3.5. */
export const solutionSpec: ResourceSpec = {
  kind: "Solution",
  fields: {
    name: "replace",
    datasetGroupArn: "replace",
    recipeArn: "replace",
    performHPO: "replace",
    eventType: "replace",
    performAutoTraining: "update",
    performIncrementalUpdate: "update",
    solutionConfig: (olds, news) =>
      canonical(withoutUpdatable(olds.solutionConfig)) ===
        canonical(withoutUpdatable(news.solutionConfig)) && news.solutionConfig !== UNKNOWN
        ? "update"
        : "replace",
  },
  defaults: { performHPO: false, performAutoTraining: false },
  defaultTimeoutMinutes: 30,
  taggable: true,
  validate(inputs, failures) {
    checkName(failures, "name", inputs.name);
    checkArn(failures, "datasetGroupArn", inputs.datasetGroupArn, "personalize");
    checkArn(failures, "recipeArn", inputs.recipeArn, "personalize");
    checkBoolean(failures, "performHPO", inputs.performHPO);
    checkBoolean(failures, "performAutoTraining", inputs.performAutoTraining);
    checkBoolean(failures, "performIncrementalUpdate", inputs.performIncrementalUpdate);
    checkString(failures, "eventType", inputs.eventType, { min: 1, max: 256 });
    checkObject(failures, "solutionConfig", inputs.solutionConfig);
    const schedule = (inputs.solutionConfig as SolutionConfig | undefined)?.autoTrainingConfig
      ?.schedulingExpression;
    if (schedule !== undefined && schedule !== UNKNOWN && !SCHEDULE.test(schedule)) {
      failures.push({
        property: "solutionConfig.autoTrainingConfig.schedulingExpression",
        reason: `solutionConfig.autoTrainingConfig.schedulingExpression ${show(schedule)} must be rate(N days) with N from 1 to 30`,
      });
    }
  },
  identity: (inputs) => `${inputs.region}/${inputs.name}`,
  create: async (ctx, request) =>
    (await ctx.api.createSolution(request as CreateSolutionRequest)).solutionArn as string,
  describe: async (ctx, arn) =>
    ((await ctx.api.describeSolution({ solutionArn: arn })).solution ?? {}) as Props,
  outputs: (_ctx, d) => ({
    latestSolutionVersionArn: (d.latestSolutionVersion as Props | undefined)?.solutionVersionArn,
  }),
  update: {
    call(ctx, arn, news) {
      const config = (news.solutionConfig ?? {}) as SolutionConfig;
      return ctx.api.updateSolution({
        solutionArn: arn,
        performAutoTraining: news.performAutoTraining as boolean | undefined,
        performIncrementalUpdate: news.performIncrementalUpdate as boolean | undefined,
        solutionUpdateConfig:
          config.autoTrainingConfig || config.eventsConfig
            ? { autoTrainingConfig: config.autoTrainingConfig, eventsConfig: config.eventsConfig }
            : undefined,
      });
    },
    progress: (d) => d.latestSolutionUpdate as StatusView | undefined,
  },
  /**
   * DeleteSolution fails while a version trains (automatic training starts them on its own):
   * stop it and wait for CREATE STOPPED first, as AWS's cleanup script does.
   */
  async delete(ctx, arn) {
    // A campaign on one of its versions blocks DeleteSolution for as long as it exists, and
    // the engine deletes dependents first, so one still here will not go away by waiting.
    const { campaigns = [] } = await ctx.api.listCampaigns({ solutionArn: arn });
    const users = campaigns.filter((c) => !c.status?.startsWith("DELETE"));
    if (users.length > 0) {
      throw new Error(
        `Solution ${arn} is still deployed by campaign(s) ${users.map((c) => c.campaignArn).join(", ")}; ` +
          `Personalize deletes a solution only after its campaigns. Give the Campaign solutionArn ` +
          `(solution.arn) so that replacing the solution replaces the campaign first, or delete the campaign.`,
      );
    }
    const { solution } = await ctx.api.describeSolution({ solutionArn: arn });
    const latest = solution?.latestSolutionVersion;
    if (latest?.solutionVersionArn && isInProgress(latest.status))
      await stopTraining(ctx, latest.solutionVersionArn);
    await ctx.api.deleteSolution({ solutionArn: arn });
  },
};

export const solutionProvider = new PersonalizeProvider(solutionSpec);

/** A Personalize solution: a recipe and its configuration over a dataset group. */
export class Solution extends PersonalizeResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly datasetGroupArn: pulumi.Output<string>;
  declare readonly recipeArn: pulumi.Output<string>;
  declare readonly performHPO: pulumi.Output<boolean>;
  declare readonly performAutoTraining: pulumi.Output<boolean>;
  declare readonly solutionConfig: pulumi.Output<SolutionConfig | undefined>;
  declare readonly tags: pulumi.Output<Record<string, string> | undefined>;
  /** The newest version when the solution was last created, updated or refreshed. */
  declare readonly latestSolutionVersionArn: pulumi.Output<string | undefined>;

  constructor(name: string, args: SolutionArgs, opts?: pulumi.CustomResourceOptions) {
    super(solutionProvider, name, args, ["latestSolutionVersionArn"], opts);
  }
}
