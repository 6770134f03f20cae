/**
 * Campaigns: an ACTIVE solution version deployed for the runtime API, or
 * `<solutionArn>/$LATEST`, which follows the solution's newest ACTIVE version. UpdateCampaign
 * rolls a campaign forward through `latestCampaignUpdate`
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_UpdateCampaign.html).
 */
import type * as wire from "../api/personalize";
import { inUse, invalidInput } from "../errors";
import { deleteOp, describeOp, listOp, named } from "./generic";
import { settled, type ControlPlane, type Handlers, type RequestContext } from "./model";
import type { RecordOf } from "./records";
import { compact } from "./shapes";
import { checkTags } from "./tags";

const LATEST = "/$LATEST";

/** A campaign belongs to the solution whose version (or `$LATEST`) it deploys. */
export const deploysFrom = (campaign: RecordOf<"campaign">, solutionArn: string) =>
  campaign.attrs.solutionVersionArn.startsWith(solutionArn + "/");

/** The solution version a campaign serves: `$LATEST` resolves to the newest ACTIVE version. */
export function servedVersion(model: ControlPlane, solutionVersionArn: string): string {
  if (!solutionVersionArn.endsWith(LATEST)) return solutionVersionArn;
  const solutionArn = solutionVersionArn.slice(0, -LATEST.length);
  return model.latestVersion(solutionArn, (v) => v.status === "ACTIVE")?.arn ?? solutionVersionArn;
}

/** A campaign may only deploy an ACTIVE version; `$LATEST` needs one ACTIVE version. */
function requireServable(
  model: ControlPlane,
  solutionVersionArn: string,
  config: wire.CampaignConfig | undefined,
  ctx: RequestContext,
): void {
  const latest = solutionVersionArn.endsWith(LATEST);
  if (config?.syncWithLatestSolutionVersion === true && !latest)
    throw invalidInput(
      `campaignConfig.syncWithLatestSolutionVersion needs solutionVersionArn in the form <solutionArn>${LATEST}, got ${solutionVersionArn}.`,
    );
  if (latest) {
    const solutionArn = solutionVersionArn.slice(0, -LATEST.length);
    model.get("solution", solutionArn, ctx);
    if (servedVersion(model, solutionVersionArn) === solutionVersionArn)
      throw inUse(`Solution ${solutionArn} has no ACTIVE solution version to deploy.`);
    return;
  }
  model.requireActive(
    model.get("solutionVersion", solutionVersionArn, ctx),
    "deploy it in a campaign",
  );
}

export const campaignOperations: Handlers = {
  CreateCampaign: (model, input, ctx) => {
    const { name, solutionVersionArn, campaignConfig, tags } = input;
    checkTags(tags);
    requireServable(model, solutionVersionArn, campaignConfig, ctx);
    const arn = model.newArn(ctx, `campaign/${name}`);
    model.create("campaign", ctx, {
      arn,
      name,
      attrs: {
        solutionVersionArn,
        minProvisionedTPS: input.minProvisionedTPS ?? 1,
        campaignConfig,
      },
      tags,
    });
    return { campaignArn: arn };
  },
  DescribeCampaign: describeOp("campaign"),
  ListCampaigns: listOp("campaign", { member: "solutionArn", belongs: deploysFrom }),
  UpdateCampaign: (model, input, ctx) => {
    const campaign = named(model, "campaign", input, ctx);
    if (!settled(campaign.status))
      throw inUse(
        `Campaign ${campaign.arn} is ${campaign.status}; it must be ACTIVE or CREATE FAILED to update it.`,
      );
    model.requireNoUpdateInFlight(campaign, "; wait for latestCampaignUpdate to finish");
    const current = campaign.attrs;
    const next = compact({
      solutionVersionArn: input.solutionVersionArn ?? current.solutionVersionArn,
      minProvisionedTPS: input.minProvisionedTPS ?? current.minProvisionedTPS,
      campaignConfig: input.campaignConfig ?? current.campaignConfig,
    });
    requireServable(model, next.solutionVersionArn, next.campaignConfig, ctx);
    model.lifecycle.startUpdate(campaign, next);
    return { campaignArn: campaign.arn };
  },
  DeleteCampaign: deleteOp("campaign"),
};
