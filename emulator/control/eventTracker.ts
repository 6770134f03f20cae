/**
 * Event trackers: one per dataset group
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateEventTracker.html); its trackingId is
 * what PutEvents names to record interactions in the group's Interactions dataset.
 */
import { randomUUID } from "node:crypto";
import { alreadyExists } from "../errors";
import { deleteOp, describeOp, listOp } from "./generic";
import type { Handlers } from "./model";
import { checkTags } from "./tags";

export const eventTrackerOperations: Handlers = {
  CreateEventTracker: (model, { name, datasetGroupArn, tags }, ctx) => {
    checkTags(tags);
    const group = model.get("datasetGroup", datasetGroupArn, ctx);
    model.requireActive(group, "add an event tracker");
    const arn = model.newArn(ctx, `event-tracker/${name}`);
    const existing = model.all("eventTracker", (t) => t.attrs.datasetGroupArn === datasetGroupArn);
    if (existing.length > 0)
      throw alreadyExists(
        `Dataset group ${datasetGroupArn} already has an event tracker (${existing[0].arn}); a dataset group can have only one.`,
      );
    const trackingId = randomUUID();
    model.create("eventTracker", ctx, {
      arn,
      name,
      attrs: { accountId: model.accountId, trackingId, datasetGroupArn },
      tags,
    });
    return { eventTrackerArn: arn, trackingId };
  },
  DescribeEventTracker: describeOp("eventTracker"),
  ListEventTrackers: listOp("eventTracker", {
    member: "datasetGroupArn",
    belongs: (t, groupArn) => t.attrs.datasetGroupArn === groupArn,
  }),
  DeleteEventTracker: deleteOp("eventTracker"),
};
