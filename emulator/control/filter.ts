/**
 * Filters: an expression over a dataset group's data that runtime calls name to include or
 * exclude items (https://docs.aws.amazon.com/personalize/latest/dg/creating-filter-expressions.html).
 * At most 10 per dataset group; the expression's grammar is checked at create time (the data
 * plane compiles it at use).
 */
import { invalidInput, limitExceeded } from "../errors";
import { deleteOp, describeOp, listOp } from "./generic";
import type { Handlers } from "./model";
import { checkTags } from "./tags";

const MAX_FILTERS_PER_GROUP = 10;
const FILTER_EXPRESSION =
  /^\s*(EXCLUDE|INCLUDE)\s+(ItemID|UserID|ActionID)\s+WHERE\s+(Interactions|Items|Users|Actions|ActionInteractions|CurrentItem|CurrentUser)\.[A-Za-z_*][A-Za-z0-9_]*\s+(NOT\s+IN|IN|=|<=|>=|<|>)\s*\S/i;

export const filterOperations: Handlers = {
  CreateFilter: (model, { name, datasetGroupArn, filterExpression, tags }, ctx) => {
    if (!filterExpression.split("|").every((part) => FILTER_EXPRESSION.test(part)))
      throw invalidInput(
        `Could not create filter. Invalid input symbol in filterExpression ${JSON.stringify(filterExpression)}: expected EXCLUDE|INCLUDE ItemID|UserID WHERE <Dataset>.<FIELD> IN|NOT IN|=|<|>... (...).`,
      );
    checkTags(tags);
    const group = model.get("datasetGroup", datasetGroupArn, ctx);
    model.requireActive(group, "add filters");
    const arn = model.newArn(ctx, `filter/${name}`);
    if (
      model.all("filter", (f) => f.attrs.datasetGroupArn === datasetGroupArn).length >=
      MAX_FILTERS_PER_GROUP
    )
      throw limitExceeded(
        `Dataset group ${datasetGroupArn} already has ${MAX_FILTERS_PER_GROUP} filters, the most allowed.`,
      );
    model.create("filter", ctx, { arn, name, attrs: { datasetGroupArn, filterExpression }, tags });
    return { filterArn: arn };
  },
  DescribeFilter: describeOp("filter"),
  ListFilters: listOp("filter", {
    member: "datasetGroupArn",
    belongs: (f, groupArn) => f.attrs.datasetGroupArn === groupArn,
  }),
  DeleteFilter: deleteOp("filter"),
};
