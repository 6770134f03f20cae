// The Pulumi program: read the stack's config, check the program's types, build the workshop
// stack, export its outputs.
// Everything else lives in stack/ so that tests can build the stack without this module.
import {
  buildWorkshopStack,
  checkProgramTypes,
  modulesRequiredOn,
  PROJECT_DIR,
  readStackConfig,
} from "./stack";

const config = readStackConfig();
// Under `pulumi preview` and `up`, type errors stop the program here, before any resource.
checkProgramTypes(PROJECT_DIR, modulesRequiredOn(config.target));
const outputs = buildWorkshopStack(config);

export const target = outputs.target;
export const bucketName = outputs.bucketName;
export const dataLocation = outputs.dataLocation;
export const roleArn = outputs.roleArn;
export const datasetGroupArn = outputs.datasetGroupArn;
export const schemaArn = outputs.schemaArn;
export const datasetArn = outputs.datasetArn;
export const datasetImportJobArn = outputs.datasetImportJobArn;
export const solutionArn = outputs.solutionArn;
export const solutionVersionArn = outputs.solutionVersionArn;
export const campaignArn = outputs.campaignArn;
export const campaignName = outputs.campaignName;
