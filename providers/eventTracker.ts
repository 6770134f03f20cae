import type { EventTracker as DescribedEventTracker } from "@aws-sdk/client-personalize";
import { created } from "./client";
import { PersonalizeProvider } from "./lifecycle";
import { personalizeResource } from "./resource";
import type { ArgsOf, Tagged } from "./spec";
import { checkArn, checkName } from "./validate";

export type EventTrackerInputs = Tagged & {
  /** The tracker's name, unique in the account and region. */
  readonly name: string;
  /** The dataset group whose interactions dataset receives the events. */
  readonly datasetGroupArn: string;
};

export interface EventTrackerKind {
  inputs: EventTrackerInputs;
  described: DescribedEventTracker;
  outputs: {
    /** The ID PutEvents takes. */
    readonly trackingId?: string;
  };
}

/** The arguments of a EventTracker, as a program gives them. */
export type EventTrackerArgs = ArgsOf<EventTrackerKind>;

/**
 * No update API; one tracker per dataset group
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateEventTracker.html).
 */
export const eventTrackerProvider = new PersonalizeProvider<EventTrackerKind>({
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
    created((await ctx.api.createEventTracker(request)).eventTrackerArn, "CreateEventTracker"),
  describe: async (ctx, arn) =>
    (await ctx.api.describeEventTracker({ eventTrackerArn: arn })).eventTracker ?? {},
  outputs: { trackingId: (d) => d.trackingId },
  delete: (ctx, arn) => ctx.api.deleteEventTracker({ eventTrackerArn: arn }),
});
export const eventTrackerSpec = eventTrackerProvider.spec;

/** An event tracker: its trackingId lets PutEvents stream interactions into the dataset group. */
export class EventTracker extends personalizeResource(eventTrackerProvider) {}
