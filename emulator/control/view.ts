/**
 * What the data plane may read of the control plane (the ControlPlaneView of dataplane.ts):
 * the few members of campaigns, versions, filters, event trackers and datasets it needs.
 * Every read first runs the lifecycle steps that are due, so it never sees a stale status.
 */
import type { ControlPlaneView } from "../dataplane";
import { servedVersion } from "./campaign";
import type { ControlPlane } from "./model";
import { compact } from "./shapes";

export function controlPlaneView(model: ControlPlane): ControlPlaneView {
  const fresh = () => model.lifecycle.tick();
  return {
    campaign: (arn) => {
      fresh();
      const c = model.find("campaign", arn);
      return (
        c &&
        compact({
          status: c.status ?? "",
          solutionVersionArn: servedVersion(model, c.attrs.solutionVersionArn),
          campaignConfig: c.attrs.campaignConfig && { ...c.attrs.campaignConfig },
        })
      );
    },
    solutionVersion: (arn) => {
      fresh();
      const v = model.find("solutionVersion", arn);
      return (
        v && {
          status: v.status ?? "",
          solutionArn: v.attrs.solutionArn,
          datasetGroupArn: v.attrs.datasetGroupArn,
          recipeArn: v.attrs.recipeArn,
        }
      );
    },
    filter: (arn) => {
      fresh();
      const f = model.find("filter", arn);
      return (
        f && {
          status: f.status ?? "",
          datasetGroupArn: f.attrs.datasetGroupArn,
          filterExpression: f.attrs.filterExpression,
        }
      );
    },
    eventTrackerByTrackingId: (trackingId) => {
      fresh();
      const t = model.all("eventTracker", (t) => t.attrs.trackingId === trackingId)[0];
      return t && { status: t.status ?? "", datasetGroupArn: t.attrs.datasetGroupArn };
    },
    dataset: (datasetGroupArn, datasetType) => {
      fresh();
      const arn = datasetGroupArn.replace(/:dataset-group\//, ":dataset/") + "/" + datasetType;
      const d = model.find("dataset", arn);
      return (
        d && {
          datasetArn: d.arn,
          status: d.status ?? "",
          schemaJson: model.find("schema", d.attrs.schemaArn)?.attrs.schema ?? "",
        }
      );
    },
  };
}
