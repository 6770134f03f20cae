/**
 * Solutions (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateSolution.html): a recipe and
 * its configuration in a dataset group. UpdateSolution changes automatic training and the
 * events configuration; deleting a solution takes its versions along, once no campaign deploys
 * one.
 */
import { AUTO_TRAINING_SCHEDULE } from "../../rules/personalize";
import { follows } from "../../rules/rule";
import { inUse, invalidInput, notFound } from "../errors";
import { deploysFrom } from "./campaign";
import { deleteOp, listOp, named } from "./generic";
import { inFlight, type Handlers, type KindRules } from "./model";
import { recipeByArn } from "./recipes";
import { compact, describe, summary } from "./shapes";
import { checkTags } from "./tags";

const SEMANTIC_SIMILARITY = "arn:aws:personalize:::recipe/aws-semantic-similarity";
/** What the service reports as AutoML's pick when it trains a solution with performAutoML. */
const AUTOML_PICK = "arn:aws:personalize:::recipe/aws-user-personalization";

/** `rate(N days)`, whose form the model checks: N must be 1 to 30 (rules/personalize.ts). */
function checkSchedule(config: { schedulingExpression?: string } | undefined): void {
  const expression = config?.schedulingExpression;
  if (expression === undefined) return;
  if (!follows(AUTO_TRAINING_SCHEDULE, expression))
    throw invalidInput(
      `schedulingExpression ${JSON.stringify(expression)}: the rate must be between 1 and 30 days.`,
    );
}

export const solutionOperations: Handlers = {
  CreateSolution: (model, input, ctx) => {
    const { name, datasetGroupArn, recipeArn, eventType, solutionConfig, tags } = input;
    const performAutoML = input.performAutoML ?? false;
    if (!performAutoML && recipeArn === undefined)
      throw invalidInput("recipeArn is required unless performAutoML is true.");
    checkSchedule(solutionConfig?.autoTrainingConfig);
    checkTags(tags);
    const group = model.get("datasetGroup", datasetGroupArn, ctx);
    if (recipeArn !== undefined && !recipeByArn(recipeArn))
      throw notFound(`Recipe ${recipeArn} does not exist.`);
    if (input.performIncrementalUpdate && recipeArn !== SEMANTIC_SIMILARITY)
      throw invalidInput(
        `performIncrementalUpdate is only supported by the aws-semantic-similarity recipe, not ${recipeArn}.`,
      );
    model.requireActive(group, "create solutions");
    const arn = model.newArn(ctx, `solution/${name}`);
    model.create("solution", ctx, {
      arn,
      name,
      attrs: {
        datasetGroupArn,
        recipeArn,
        performHPO: input.performHPO ?? false,
        performAutoML,
        performAutoTraining: input.performAutoTraining ?? true,
        performIncrementalUpdate: input.performIncrementalUpdate,
        eventType,
        solutionConfig,
      },
      tags,
    });
    return { solutionArn: arn };
  },
  DescribeSolution: (model, input, ctx) => {
    const solution = named(model, "solution", input, ctx);
    const latest = model.latestVersion(solution.arn);
    return {
      solution: compact({
        ...describe(solution),
        latestSolutionVersion: latest && summary(latest),
      }),
    };
  },
  ListSolutions: listOp("solution", {
    member: "datasetGroupArn",
    belongs: (s, groupArn) => s.attrs.datasetGroupArn === groupArn,
  }),
  UpdateSolution: (model, input, ctx) => {
    const { performAutoTraining, performIncrementalUpdate, solutionUpdateConfig } = input;
    checkSchedule(solutionUpdateConfig?.autoTrainingConfig);
    const solution = named(model, "solution", input, ctx);
    model.requireActive(solution, "update it");
    model.requireNoUpdateInFlight(solution);
    model.lifecycle.startUpdate(
      solution,
      compact({ performAutoTraining, performIncrementalUpdate, solutionUpdateConfig }),
    );
    return { solutionArn: solution.arn };
  },
  DeleteSolution: deleteOp("solution", (model, solution) => {
    const campaigns = model.all("campaign", (c) => deploysFrom(c, solution.arn));
    if (campaigns.length > 0)
      throw inUse(
        `Solution ${solution.arn} is used by campaign(s) ${campaigns.map((c) => c.arn).join(", ")}; delete them first.`,
      );
    const training = model.all(
      "solutionVersion",
      (v) => v.attrs.solutionArn === solution.arn && inFlight(v.status),
    );
    if (training.length > 0)
      throw inUse(
        `Solution ${solution.arn} has solution version(s) in progress (${training.map((v) => `${v.arn} ${v.status}`).join(", ")}); stop them with StopSolutionVersionCreation first.`,
      );
  }),
};

export const solutionRules: KindRules<"solution"> = {
  finished: (_model, solution) => {
    if (solution.status === "ACTIVE" && solution.attrs.performAutoML)
      solution.attrs.autoMLResult = { bestRecipeArn: AUTOML_PICK };
  },
  applyUpdate: (_model, solution) => {
    const { solutionUpdateConfig, ...rest } = solution.update?.attrs ?? {};
    Object.assign(solution.attrs, rest);
    if (solutionUpdateConfig)
      solution.attrs.solutionConfig = { ...solution.attrs.solutionConfig, ...solutionUpdateConfig };
  },
  removed: (model, solution) => {
    for (const version of model.all(
      "solutionVersion",
      (v) => v.attrs.solutionArn === solution.arn,
    )) {
      model.forget(version);
      model.dataPlane?.dropSolutionVersion(version.arn);
    }
  },
};
