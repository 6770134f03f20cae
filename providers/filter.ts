import type { Filter as DescribedFilter } from "@aws-sdk/client-personalize";
import { created } from "./client";
import { PersonalizeProvider } from "./lifecycle";
import { personalizeResource } from "./resource";
import type { ArgsOf, Tagged } from "./spec";
import { checkArn, checkName, checkString } from "./validate";

export type FilterInputs = Tagged & {
  /** The filter's name, unique in the account and region. */
  readonly name: string;
  /** The dataset group whose data the expression reads. */
  readonly datasetGroupArn: string;
  /** e.g. EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed") */
  readonly filterExpression: string;
};

export interface FilterKind {
  inputs: FilterInputs;
  described: DescribedFilter;
}

/** The arguments of a Filter, as a program gives them. */
export type FilterArgs = ArgsOf<FilterKind>;

/**
 * No update API: a new expression is a new filter
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateFilter.html).
 */
export const filterProvider = new PersonalizeProvider<FilterKind>({
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
    created((await ctx.api.createFilter(request)).filterArn, "CreateFilter"),
  describe: async (ctx, arn) => (await ctx.api.describeFilter({ filterArn: arn })).filter ?? {},
  delete: (ctx, arn) => ctx.api.deleteFilter({ filterArn: arn }),
});
export const filterSpec = filterProvider.spec;

/** A recommendation filter over a dataset group. */
export class Filter extends personalizeResource(filterProvider) {}
