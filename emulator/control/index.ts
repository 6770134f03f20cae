/**
 * The control plane assembled: every implemented operation, by the module of its resource
 * kind, and the rules each kind adds to the shared lifecycle.
 */
import { campaignOperations } from "./campaign";
import { datasetOperations, datasetRules } from "./dataset";
import { datasetGroupOperations } from "./datasetGroup";
import { datasetImportJobOperations, datasetImportJobRules } from "./datasetImportJob";
import { eventTrackerOperations } from "./eventTracker";
import { filterOperations } from "./filter";
import { ControlPlane, type ControlPlaneOptions } from "./model";
import { recipeOperations } from "./recipes";
import { schemaOperations } from "./schema";
import { solutionOperations, solutionRules } from "./solution";
import { solutionVersionOperations, solutionVersionRules } from "./solutionVersion";
import { tagOperations } from "./tags";

export { ControlPlane, type ControlPlaneOptions, type RequestContext } from "./model";
export { controlPlaneView } from "./view";
export { DEFAULT_DURATIONS, PENDING_SHARE, type LifecycleKind } from "./lifecycle";
export type { ResourceRecord } from "./records";

export function createControlPlane(options: ControlPlaneOptions): ControlPlane {
  return new ControlPlane(
    options,
    {
      ...datasetGroupOperations,
      ...schemaOperations,
      ...datasetOperations,
      ...datasetImportJobOperations,
      ...solutionOperations,
      ...solutionVersionOperations,
      ...campaignOperations,
      ...eventTrackerOperations,
      ...filterOperations,
      ...recipeOperations,
      ...tagOperations,
    },
    {
      dataset: datasetRules,
      datasetImportJob: datasetImportJobRules,
      solution: solutionRules,
      solutionVersion: solutionVersionRules,
    },
  );
}
