import type { CreateEventTrackerRequest } from "@aws-sdk/client-personalize";
import * as pulumi from "@pulumi/pulumi";
import { CommonArgs, PersonalizeProvider, Props, ResourceSpec } from "./lifecycle";
import { PersonalizeResource } from "./resource";
import { checkArn, checkName } from "./validate";

export interface EventTrackerArgs extends CommonArgs {
  name: pulumi.Input<string>;
  datasetGroupArn: pulumi.Input<string>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** personalize-api.md §3.8: no update; one tracker per dataset group. */
export const eventTrackerSpec: ResourceSpec = {
  kind: "EventTracker",
  fields: { name: "replace", datasetGroupArn: "replace" },
  defaultTimeoutMinutes: 10,
  taggable: true,
  validate(inputs, failures) {
    checkName(failures, "name", inputs.name);
    checkArn(failures, "datasetGroupArn", inputs.datasetGroupArn, "personalize");
  },
  // One tracker per dataset group as well as a unique name: a replacement in the same group must delete first.
  identity: (inputs) => `${inputs.region}/${inputs.datasetGroupArn}`,
  create: async (ctx, request) =>
    (await ctx.api.createEventTracker(request as CreateEventTrackerRequest))
      .eventTrackerArn as string,
  describe: async (ctx, arn) =>
    ((await ctx.api.describeEventTracker({ eventTrackerArn: arn })).eventTracker ?? {}) as Props,
  outputs: (_ctx, d) => ({ trackingId: d.trackingId }),
  delete: (ctx, arn) => ctx.api.deleteEventTracker({ eventTrackerArn: arn }),
};

export const eventTrackerProvider = new PersonalizeProvider(eventTrackerSpec);

/** An event tracker: its trackingId lets PutEvents stream interactions into the dataset group. */
export class EventTracker extends PersonalizeResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly trackingId: pulumi.Output<string>;
  declare readonly datasetGroupArn: pulumi.Output<string>;

  constructor(name: string, args: EventTrackerArgs, opts?: pulumi.CustomResourceOptions) {
    super(eventTrackerProvider, name, args, ["trackingId"], opts);
  }
}
