import type { CreateDatasetGroupRequest } from "@aws-sdk/client-personalize";
import * as pulumi from "@pulumi/pulumi";
import { CommonArgs, PersonalizeProvider, Props, ResourceSpec } from "./lifecycle";
import { PersonalizeResource } from "./resource";
import { checkArn, checkEnum, checkName, UNKNOWN } from "./validate";

export const DOMAINS = ["ECOMMERCE", "VIDEO_ON_DEMAND"] as const;

export interface DatasetGroupArgs extends CommonArgs {
  name: pulumi.Input<string>;
  /** ECOMMERCE or VIDEO_ON_DEMAND for a Domain dataset group; absent for a Custom one. */
  domain?: pulumi.Input<string>;
  kmsKeyArn?: pulumi.Input<string>;
  /** Only together with kmsKeyArn: the role Personalize assumes to use the key. */
  roleArn?: pulumi.Input<string>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** personalize-api.md §3.1: no update API; everything but tags replaces. */
export const datasetGroupSpec: ResourceSpec = {
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
    (await ctx.api.createDatasetGroup(request as CreateDatasetGroupRequest))
      .datasetGroupArn as string,
  describe: async (ctx, arn) =>
    ((await ctx.api.describeDatasetGroup({ datasetGroupArn: arn })).datasetGroup ?? {}) as Props,
  delete: (ctx, arn) => ctx.api.deleteDatasetGroup({ datasetGroupArn: arn }),
};

export const datasetGroupProvider = new PersonalizeProvider(datasetGroupSpec);

/** A Personalize dataset group: the container of datasets, solutions, campaigns. */
export class DatasetGroup extends PersonalizeResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly domain: pulumi.Output<string | undefined>;
  declare readonly tags: pulumi.Output<Record<string, string> | undefined>;

  constructor(name: string, args: DatasetGroupArgs, opts?: pulumi.CustomResourceOptions) {
    super(datasetGroupProvider, name, args, [], opts);
  }
}
