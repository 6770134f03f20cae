import type { DatasetGroup as DescribedDatasetGroup, Domain } from "@aws-sdk/client-personalize";
import { DOMAINS } from "../rules/personalize";
import { PersonalizeProvider } from "./lifecycle";
import { personalizeResource } from "./resource";
import { created } from "./client";
import type { ArgsOf, Tagged } from "./spec";
import { checkArn, checkEnum, checkName, UNKNOWN } from "./validate";

export type DatasetGroupInputs = Tagged & {
  /** The dataset group's name, unique in the account and region. */
  readonly name: string;
  /**
   * The domain of a Domain dataset group.
   * @default none: a Custom dataset group
   */
  readonly domain?: Domain;
  /**
   * The KMS key that encrypts the datasets.
   * @default none: Personalize's own encryption
   */
  readonly kmsKeyArn?: string;
  /**
   * The role Personalize assumes to use the key; only together with `kmsKeyArn`.
   * @default none
   */
  readonly roleArn?: string;
};

export interface DatasetGroupKind {
  inputs: DatasetGroupInputs;
  described: DescribedDatasetGroup;
}

/** The arguments of a DatasetGroup, as a program gives them. */
export type DatasetGroupArgs = ArgsOf<DatasetGroupKind>;

/**
 * No update API: everything but tags replaces
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetGroup.html).
 */
export const datasetGroupProvider = new PersonalizeProvider<DatasetGroupKind>({
  kind: "DatasetGroup",
  fields: { name: "replace", domain: "replace", kmsKeyArn: "replace", roleArn: "replace" },
  defaultTimeoutMinutes: 10,
  taggable: true,
  validate(inputs, failures) {
    checkName(failures, "name", inputs.name);
    checkEnum(failures, "domain", inputs.domain, DOMAINS);
    checkArn(failures, "kmsKeyArn", inputs.kmsKeyArn, "kms", { required: false });
    checkArn(failures, "roleArn", inputs.roleArn, "role", { required: false });
    if (
      inputs.roleArn !== undefined &&
      inputs.kmsKeyArn === undefined &&
      inputs.roleArn !== UNKNOWN
    ) {
      failures.push({
        property: "roleArn",
        reason: `roleArn "${String(inputs.roleArn)}" is only valid together with kmsKeyArn`,
      });
    }
  },
  identity: (inputs) => `${inputs.region}/${inputs.name}`,
  create: async (ctx, request) =>
    created((await ctx.api.createDatasetGroup(request)).datasetGroupArn, "CreateDatasetGroup"),
  describe: async (ctx, arn) =>
    (await ctx.api.describeDatasetGroup({ datasetGroupArn: arn })).datasetGroup ?? {},
  delete: (ctx, arn) => ctx.api.deleteDatasetGroup({ datasetGroupArn: arn }),
});
export const datasetGroupSpec = datasetGroupProvider.spec;

/** A Personalize dataset group: the container of datasets, solutions, campaigns. */
export class DatasetGroup extends personalizeResource(datasetGroupProvider) {}
