// The Pulumi program: read the stack's config, build the workshop stack, export its outputs.
// Everything else lives in stack/ so that tests can build the stack without this module.
import { buildWorkshopStack, readStackConfig } from "./stack";

const outputs = buildWorkshopStack(readStackConfig());

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
