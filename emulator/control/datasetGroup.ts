/**
 * Dataset groups: the container every other resource but schemas lives in
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetGroup.html). Deleted only once
 * its datasets, solutions, event trackers and filters are.
 */
import { inUse, invalidInput } from "../errors";
import { deleteOp, describeOp, listOp } from "./generic";
import type { Handlers } from "./model";
import { compact } from "./shapes";
import { checkTags } from "./tags";

export const datasetGroupOperations: Handlers = {
  CreateDatasetGroup: (model, { name, roleArn, kmsKeyArn, domain, tags }, ctx) => {
    if (roleArn && !kmsKeyArn) throw invalidInput("roleArn is only valid together with kmsKeyArn.");
    checkTags(tags);
    const arn = model.newArn(ctx, `dataset-group/${name}`);
    model.create("datasetGroup", ctx, { arn, name, attrs: { roleArn, kmsKeyArn, domain }, tags });
    return compact({ datasetGroupArn: arn, domain });
  },
  DescribeDatasetGroup: describeOp("datasetGroup"),
  ListDatasetGroups: listOp("datasetGroup"),
  DeleteDatasetGroup: deleteOp("datasetGroup", (model, group) => {
    const inGroup = (r: { attrs: { datasetGroupArn?: string } }) =>
      r.attrs.datasetGroupArn === group.arn;
    const dependents = [
      ...model.all("dataset", inGroup),
      ...model.all("solution", inGroup),
      ...model.all("eventTracker", inGroup),
      ...model.all("filter", inGroup),
    ];
    if (dependents.length > 0)
      throw inUse(
        `Dataset group ${group.arn} still has ${dependents.length} dependent resource(s) (${dependents
          .slice(0, 5)
          .map((d) => d.arn)
          .join(", ")}); delete its datasets, solutions, event trackers and filters first.`,
      );
  }),
};
