import type { Campaign as DescribedCampaign, CampaignConfig } from "@aws-sdk/client-personalize";
import { PERSONALIZE_ARN } from "../rules/personalize";
import { created } from "./client";
import { PersonalizeProvider } from "./lifecycle";
import { personalizeResource } from "./resource";
import type { ArgsOf, Tagged } from "./spec";
import {
  checkArn,
  checkName,
  checkNumber,
  checkObject,
  checkString,
  checkVersionOfSolution,
} from "./validate";

export type CampaignInputs = Tagged & {
  /** The campaign's name, unique in the account and region. */
  readonly name: string;
  /** The deployed model; changing it rolls the campaign forward in place (UpdateCampaign). */
  readonly solutionVersionArn: string;
  /**
   * The solution the version belongs to (recommended: `solution.arn`). Not sent to the
   * service; it tells the engine that replacing the solution replaces the campaign too.
   * Personalize refuses to delete a solution while a campaign deploys one of its versions, so
   * without it a replaced solution (same name: deleted first) waits on the campaign for ever.
   * A new version of the same solution still updates the campaign in place.
   * @default none
   */
  readonly solutionArn?: string;
  /**
   * Billed while the campaign is ACTIVE. Updates in place.
   * @default 1
   */
  readonly minProvisionedTPS?: number;
  /**
   * The API's CampaignConfig. Updates in place.
   * @default none
   */
  readonly campaignConfig?: CampaignConfig;
};

export interface CampaignKind {
  inputs: CampaignInputs;
  described: DescribedCampaign;
  outputs: {
    /** The version the service reports deployed; during an update, still the old one. */
    readonly deployedSolutionVersionArn?: string;
  };
  defaulted: "minProvisionedTPS";
}

/** The arguments of a Campaign, as a program gives them. */
export type CampaignArgs = ArgsOf<CampaignKind>;

/**
 * Everything but the name updates in place, so new data reaches the campaign without downtime:
 * the campaign keeps serving the old version until the update is ACTIVE
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_UpdateCampaign.html).
 */
export const campaignProvider = new PersonalizeProvider<CampaignKind>({
  kind: "Campaign",
  fields: {
    name: "replace",
    // Not a CreateCampaign parameter: it is there so a replaced solution replaces the campaign.
    solutionArn: { change: "replace", local: true },
    solutionVersionArn: "update",
    minProvisionedTPS: "update",
    campaignConfig: "update",
  },
  defaults: { minProvisionedTPS: 1 },
  // "usually a few minutes but can take over an hour" (DG); AWS examples wait up to 3 h.
  defaultTimeoutMinutes: 180,
  taggable: true,
  validate(inputs, failures) {
    checkName(failures, "name", inputs.name);
    // A version ARN, or <solution ARN>/$LATEST with syncWithLatestSolutionVersion.
    checkString(failures, "solutionVersionArn", inputs.solutionVersionArn, {
      required: true,
      max: PERSONALIZE_ARN.max,
      pattern: PERSONALIZE_ARN.pattern,
      hint: "is not a solution version ARN",
    });
    checkArn(failures, "solutionArn", inputs.solutionArn, "personalize", { required: false });
    checkVersionOfSolution(failures, inputs);
    checkNumber(failures, "minProvisionedTPS", inputs.minProvisionedTPS, { min: 1, integer: true });
    checkObject(failures, "campaignConfig", inputs.campaignConfig);
  },
  identity: (inputs) => `${inputs.region}/${inputs.name}`,
  create: async (ctx, request) =>
    created((await ctx.api.createCampaign(request)).campaignArn, "CreateCampaign"),
  describe: async (ctx, arn) =>
    (await ctx.api.describeCampaign({ campaignArn: arn })).campaign ?? {},
  outputs: { deployedSolutionVersionArn: (d) => d.solutionVersionArn },
  update: {
    call: (ctx, arn, news) =>
      ctx.api.updateCampaign({
        campaignArn: arn,
        solutionVersionArn: news.solutionVersionArn,
        minProvisionedTPS: news.minProvisionedTPS,
        campaignConfig: news.campaignConfig,
      }),
    // The campaign keeps serving the old version (status ACTIVE) while this runs.
    progress: (d) => d.latestCampaignUpdate,
  },
  delete: (ctx, arn) => ctx.api.deleteCampaign({ campaignArn: arn }),
});
export const campaignSpec = campaignProvider.spec;

/** A Personalize campaign: a deployed solution version serving real-time recommendations. */
export class Campaign extends personalizeResource(campaignProvider) {}
