import type { CampaignConfig, CreateCampaignRequest } from "@aws-sdk/client-personalize";
import * as pulumi from "@pulumi/pulumi";
import { CommonArgs, PersonalizeProvider, Props, ResourceSpec, StatusView } from "./lifecycle";
import { PersonalizeResource } from "./resource";
import {
  checkArn,
  checkName,
  checkNumber,
  checkObject,
  checkString,
  isUnknown,
  show,
} from "./validate";

export interface CampaignArgs extends CommonArgs {
  name: pulumi.Input<string>;
  /** The deployed model; changing it rolls the campaign forward in place (UpdateCampaign). */
  solutionVersionArn: pulumi.Input<string>;
  /**
   * The solution the version belongs to (recommended: `solution.arn`). Not sent to the
   * service; it tells the engine that replacing the solution replaces the campaign too.
   * Personalize refuses to delete a solution while a campaign deploys one of its versions, so
   * without it a replaced solution (same name: deleted first) waits on the campaign for ever.
   * A new version of the same solution still updates the campaign in place.
   */
  solutionArn?: pulumi.Input<string>;
  /** Default 1; billed while the campaign is ACTIVE. Updates in place. */
  minProvisionedTPS?: pulumi.Input<number>;
  campaignConfig?: pulumi.Input<CampaignConfig>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * personalize-api.md §3.7: everything but the name updates in place, so new data reaches the
 * campaign without downtime: the campaign keeps serving the old version until the update is ACTIVE.
 */
export const campaignSpec: ResourceSpec = {
  kind: "Campaign",
  fields: {
    name: "replace",
    solutionArn: "replace",
    solutionVersionArn: "update",
    minProvisionedTPS: "update",
    campaignConfig: "update",
  },
  // Not a CreateCampaign parameter: it is there so a replaced solution replaces the campaign.
  localFields: ["solutionArn"],
  defaults: { minProvisionedTPS: 1 },
  // "usually a few minutes but can take over an hour" (DG); AWS examples wait up to 3 h.
  defaultTimeoutMinutes: 180,
  taggable: true,
  validate(inputs, failures) {
    checkName(failures, "name", inputs.name);
    // A version ARN, or <solution ARN>/$LATEST with syncWithLatestSolutionVersion.
    checkString(failures, "solutionVersionArn", inputs.solutionVersionArn, {
      required: true,
      max: 256,
      pattern: /^arn:([a-z\d-]+):personalize:.*:.*:.+$/,
      hint: "is not a solution version ARN",
    });
    checkArn(failures, "solutionArn", inputs.solutionArn, "personalize", { required: false });
    const { solutionArn, solutionVersionArn } = inputs;
    if (
      typeof solutionArn === "string" &&
      typeof solutionVersionArn === "string" &&
      !isUnknown(solutionArn) &&
      !isUnknown(solutionVersionArn) &&
      !solutionVersionArn.startsWith(`${solutionArn}/`)
    ) {
      failures.push({
        property: "solutionVersionArn",
        reason: `solutionVersionArn ${show(solutionVersionArn)} is not a version of solutionArn ${show(solutionArn)}`,
      });
    }
    checkNumber(failures, "minProvisionedTPS", inputs.minProvisionedTPS, { min: 1, integer: true });
    checkObject(failures, "campaignConfig", inputs.campaignConfig);
  },
  identity: (inputs) => `${inputs.region}/${inputs.name}`,
  create: async (ctx, request) =>
    (await ctx.api.createCampaign(request as CreateCampaignRequest)).campaignArn as string,
  describe: async (ctx, arn) =>
    ((await ctx.api.describeCampaign({ campaignArn: arn })).campaign ?? {}) as Props,
  outputs: (_ctx, d) => ({ deployedSolutionVersionArn: d.solutionVersionArn }),
  update: {
    call: (ctx, arn, news) =>
      ctx.api.updateCampaign({
        campaignArn: arn,
        solutionVersionArn: news.solutionVersionArn as string,
        minProvisionedTPS: news.minProvisionedTPS as number,
        campaignConfig: news.campaignConfig as CampaignConfig | undefined,
      }),
    // The campaign keeps serving the old version (status ACTIVE) while this runs.
    progress: (d) => d.latestCampaignUpdate as StatusView | undefined,
  },
  delete: (ctx, arn) => ctx.api.deleteCampaign({ campaignArn: arn }),
};

export const campaignProvider = new PersonalizeProvider(campaignSpec);

/** A Personalize campaign: a deployed solution version serving real-time recommendations. */
export class Campaign extends PersonalizeResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly solutionVersionArn: pulumi.Output<string>;
  declare readonly solutionArn: pulumi.Output<string | undefined>;
  declare readonly minProvisionedTPS: pulumi.Output<number>;
  declare readonly campaignConfig: pulumi.Output<CampaignConfig | undefined>;
  declare readonly tags: pulumi.Output<Record<string, string> | undefined>;
  /** The version the service reports deployed; during an update, still the old one. */
  declare readonly deployedSolutionVersionArn: pulumi.Output<string>;

  constructor(name: string, args: CampaignArgs, opts?: pulumi.CustomResourceOptions) {
    super(campaignProvider, name, args, ["deployedSolutionVersionArn"], opts);
  }
}
