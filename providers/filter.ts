import type { CreateFilterRequest } from "@aws-sdk/client-personalize";
import * as pulumi from "@pulumi/pulumi";
import { CommonArgs, PersonalizeProvider, Props, ResourceSpec } from "./lifecycle";
import { PersonalizeResource } from "./resource";
import { checkArn, checkName, checkString } from "./validate";

export interface FilterArgs extends CommonArgs {
  name: pulumi.Input<string>;
  datasetGroupArn: pulumi.Input<string>;
  /** e.g. EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed") */
  filterExpression: pulumi.Input<string>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** personalize-api.md §3.9: no update; a new expression is a new filter. */
export const filterSpec: ResourceSpec = {
  kind: "Filter",
  fields: { name: "replace", datasetGroupArn: "replace", filterExpression: "replace" },
  defaultTimeoutMinutes: 15,
  taggable: true,
  validate(inputs, failures) {
    checkName(failures, "name", inputs.name);
    checkArn(failures, "datasetGroupArn", inputs.datasetGroupArn, "personalize");
    checkString(failures, "filterExpression", inputs.filterExpression, {
      required: true,
      min: 1,
      max: 2500,
      pattern: /^\s*(EXCLUDE|INCLUDE)\s/i,
      hint: 'must start with EXCLUDE or INCLUDE, e.g. EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed")',
    });
  },
  identity: (inputs) => `${inputs.region}/${inputs.name}`,
  create: async (ctx, request) =>
    (await ctx.api.createFilter(request as CreateFilterRequest)).filterArn as string,
  describe: async (ctx, arn) =>
    ((await ctx.api.describeFilter({ filterArn: arn })).filter ?? {}) as Props,
  delete: (ctx, arn) => ctx.api.deleteFilter({ filterArn: arn }),
};

export const filterProvider = new PersonalizeProvider(filterSpec);

/** A recommendation filter over a dataset group. */
export class Filter extends PersonalizeResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly filterExpression: pulumi.Output<string>;
  declare readonly datasetGroupArn: pulumi.Output<string>;

  constructor(name: string, args: FilterArgs, opts?: pulumi.CustomResourceOptions) {
    super(filterProvider, name, args, [], opts);
  }
}
