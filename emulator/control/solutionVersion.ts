/**
 * Solution versions
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateSolutionVersion.html): one training of
 * an ACTIVE solution, run by the data plane. At most 20 are in flight per region; UPDATE
 * training needs a recipe that supports it and an ACTIVE FULL version. A version in progress
 * can be stopped.
 */
import { randomBytes } from "node:crypto";
import type { TrainingSpec } from "../dataplane";
import { inUse, invalidInput, limitExceeded } from "../errors";
import { describeOp, listOp, named } from "./generic";
import { inFlight, type ControlPlane, type Handlers, type KindRules } from "./model";
import { recipeByArn } from "./recipes";
import type { RecordOf } from "./records";
import { compact } from "./shapes";
import { checkTags } from "./tags";

const MAX_PENDING_SOLUTION_VERSIONS = 20;
/** The recipe of a solution created with performAutoML and no recipeArn. */
const AUTOML_RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization";

/** The solution's newest ACTIVE version trained with FULL: what UPDATE training starts from. */
const fullBase = (model: ControlPlane, solutionArn: string) =>
  model.latestVersion(solutionArn, (v) => v.status === "ACTIVE" && v.attrs.trainingMode === "FULL");

export const solutionVersionOperations: Handlers = {
  CreateSolutionVersion: (model, { solutionArn, name, trainingMode = "FULL", tags }, ctx) => {
    if (trainingMode === "AUTOTRAIN")
      throw invalidInput(
        "trainingMode AUTOTRAIN is reserved for versions that automatic training creates; use FULL or UPDATE.",
      );
    checkTags(tags);
    const solution = model.get("solution", solutionArn, ctx);
    model.requireActive(solution, "train it");
    const recipeArn = solution.attrs.recipeArn ?? AUTOML_RECIPE;
    if (trainingMode === "UPDATE") {
      if (!recipeByArn(recipeArn)?.supportsUpdateTraining)
        throw invalidInput(
          `trainingMode UPDATE is not supported by recipe ${recipeArn}; use FULL.`,
        );
      if (!fullBase(model, solutionArn))
        throw invalidInput(
          `trainingMode UPDATE needs an ACTIVE FULL solution version of ${solutionArn}; create one with trainingMode FULL first.`,
        );
    }
    if (
      model.all("solutionVersion", (v) => v.region === ctx.region && inFlight(v.status)).length >=
      MAX_PENDING_SOLUTION_VERSIONS
    )
      throw limitExceeded(
        `More than ${MAX_PENDING_SOLUTION_VERSIONS} resources with PENDING or IN_PROGRESS status.`,
      );
    const arn = `${solutionArn}/${randomBytes(4).toString("hex")}`;
    const a = solution.attrs;
    model.create("solutionVersion", ctx, {
      arn,
      name,
      attrs: {
        solutionArn,
        datasetGroupArn: a.datasetGroupArn,
        recipeArn,
        performHPO: a.performHPO,
        performAutoML: a.performAutoML,
        performIncrementalUpdate: a.performIncrementalUpdate,
        eventType: a.eventType,
        solutionConfig: a.solutionConfig,
        trainingMode,
        trainingType: "MANUAL",
      },
      tags,
    });
    return { solutionVersionArn: arn };
  },
  DescribeSolutionVersion: describeOp("solutionVersion"),
  ListSolutionVersions: listOp("solutionVersion", {
    member: "solutionArn",
    belongs: (v, solutionArn) => v.attrs.solutionArn === solutionArn,
    mustExist: "solution",
  }),
  StopSolutionVersionCreation: (model, input, ctx) => {
    const version = named(model, "solutionVersion", input, ctx);
    if (version.status !== "CREATE PENDING" && version.status !== "CREATE IN_PROGRESS")
      throw inUse(
        `Solution version ${version.arn} is ${version.status}; only a version in CREATE PENDING or CREATE IN_PROGRESS can be stopped.`,
      );
    // Training that is still running is abandoned: its outcome no longer matters.
    if (version.work === "running") version.work = "done";
    model.lifecycle.stop(version);
  },
  GetSolutionMetrics: (model, input, ctx) => {
    const version = named(model, "solutionVersion", input, ctx);
    model.requireActive(version, "read its metrics");
    return compact({
      solutionVersionArn: version.arn,
      metrics: model.dataPlane?.metrics(version.arn),
    });
  },
};

/** What the data plane needs to train a version. */
function trainingSpec(model: ControlPlane, version: RecordOf<"solutionVersion">): TrainingSpec {
  const { solutionArn, datasetGroupArn, recipeArn, eventType, solutionConfig } = version.attrs;
  const trainingMode = version.attrs.trainingMode === "UPDATE" ? "UPDATE" : "FULL";
  return compact({
    solutionVersionArn: version.arn,
    solutionArn,
    datasetGroupArn,
    recipeArn,
    eventType,
    eventValueThreshold: solutionConfig?.eventValueThreshold,
    algorithmHyperParameters: solutionConfig?.algorithmHyperParameters,
    trainingMode,
    baseSolutionVersionArn:
      trainingMode === "UPDATE" ? fullBase(model, solutionArn)?.arn : undefined,
  });
}

export const solutionVersionRules: KindRules<"solutionVersion"> = {
  work: (model, version, dataPlane) => dataPlane.train(trainingSpec(model, version)),
  finished: (_model, version) => {
    if (version.status === "ACTIVE")
      version.attrs.trainingHours = version.outcome?.trainingHours ?? 0;
  },
};
