import type { Solution as DescribedSolution, SolutionConfig } from "@aws-sdk/client-personalize";
import { AUTO_TRAINING_SCHEDULE } from "../rules/personalize";
import { created } from "./client";
import { isInProgress, PersonalizeProvider } from "./lifecycle";
import { personalizeResource } from "./resource";
import { stopTraining } from "./solutionVersion";
import type { ArgsOf, Tagged } from "./spec";
import {
  canonical,
  checkArn,
  checkBoolean,
  checkName,
  checkObject,
  checkString,
  member,
  show,
  UNKNOWN,
} from "./validate";

export type SolutionInputs = Tagged & {
  /** The solution's name, unique in the account and region. */
  readonly name: string;
  /** The dataset group it trains on. */
  readonly datasetGroupArn: string;
  /** e.g. arn:aws:personalize:::recipe/aws-user-personalization */
  readonly recipeArn: string;
  /**
   * Hyperparameter optimisation (billed as training hours).
   * @default false
   */
  readonly performHPO?: boolean;
  /**
   * Automatic training: a new version every `solutionConfig.autoTrainingConfig` period.
   * @default false (the service defaults to true and then bills training hours weekly)
   */
  readonly performAutoTraining?: boolean;
  /**
   * Incremental updates of the model as data arrives (aws-semantic-similarity only).
   * @default the service's default
   */
  readonly performIncrementalUpdate?: boolean;
  /**
   * Train on the interactions of this event type only.
   * @default every event type
   */
  readonly eventType?: string;
  /**
   * The API's SolutionConfig; autoTrainingConfig and eventsConfig update in place, the rest replaces.
   * @default none
   */
  readonly solutionConfig?: SolutionConfig;
};

export interface SolutionKind {
  inputs: SolutionInputs;
  described: DescribedSolution;
  outputs: {
    /** The newest version when the solution was last created, updated or refreshed. */
    readonly latestSolutionVersionArn?: string;
  };
  defaulted: "performHPO" | "performAutoTraining";
}

/** The arguments of a Solution, as a program gives them. */
export type SolutionArgs = ArgsOf<SolutionKind>;

/** The parts of solutionConfig that UpdateSolution changes in place (as solutionUpdateConfig). */
const UPDATABLE_CONFIG = ["autoTrainingConfig", "eventsConfig"];

const withoutUpdatable = (config: unknown): unknown => {
  if (!config || typeof config !== "object") return config;
  const rest = Object.fromEntries(
    Object.entries(config).filter(([key]) => !UPDATABLE_CONFIG.includes(key)),
  );
  // No config and a config of only updatable parts mean the same thing to the service.
  return Object.keys(rest).length > 0 ? rest : undefined;
};

/**
 * UpdateSolution changes automatic training, incremental updates and two parts of the
 * configuration in place; the rest replaces (https://docs.aws.amazon.com/personalize/latest/dg/API_UpdateSolution.html).
 */
export const solutionProvider = new PersonalizeProvider<SolutionKind>({
  kind: "Solution",
  fields: {
    name: "replace",
    datasetGroupArn: "replace",
    recipeArn: "replace",
    performHPO: "replace",
    eventType: "replace",
    performAutoTraining: "update",
    performIncrementalUpdate: "update",
    solutionConfig: {
      change: (olds, news) =>
        canonical(withoutUpdatable(olds.solutionConfig)) ===
          canonical(withoutUpdatable(news.solutionConfig)) && news.solutionConfig !== UNKNOWN
          ? "update"
          : "replace",
      when: { update: "autoTrainingConfig, eventsConfig", replace: "the rest" },
    },
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
    const schedule = member(inputs.solutionConfig, "autoTrainingConfig", "schedulingExpression");
    if (
      schedule !== undefined &&
      schedule !== UNKNOWN &&
      (typeof schedule !== "string" || !AUTO_TRAINING_SCHEDULE.pattern.test(schedule))
    ) {
      const property = "solutionConfig.autoTrainingConfig.schedulingExpression";
      failures.push({
        property,
        reason: `${property} ${show(schedule)} ${AUTO_TRAINING_SCHEDULE.problem}`,
      });
    }
  },
  identity: (inputs) => `${inputs.region}/${inputs.name}`,
  create: async (ctx, request) =>
    created((await ctx.api.createSolution(request)).solutionArn, "CreateSolution"),
  describe: async (ctx, arn) =>
    (await ctx.api.describeSolution({ solutionArn: arn })).solution ?? {},
  outputs: {
    latestSolutionVersionArn: (d) => d.latestSolutionVersion?.solutionVersionArn,
  },
  update: {
    call(ctx, arn, news) {
      const config = news.solutionConfig ?? {};
      return ctx.api.updateSolution({
        solutionArn: arn,
        performAutoTraining: news.performAutoTraining,
        performIncrementalUpdate: news.performIncrementalUpdate,
        solutionUpdateConfig:
          config.autoTrainingConfig || config.eventsConfig
            ? { autoTrainingConfig: config.autoTrainingConfig, eventsConfig: config.eventsConfig }
            : undefined,
      });
    },
    progress: (d) => d.latestSolutionUpdate,
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
});
export const solutionSpec = solutionProvider.spec;

/** A Personalize solution: a recipe and its configuration over a dataset group. */
export class Solution extends personalizeResource(solutionProvider) {}
