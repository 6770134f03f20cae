/**
 * What the control plane stores: one record per resource, typed by its kind. A record's
 * `attrs` are the members of the kind's Describe shape in the service model (emulator/api/
 * personalize.ts) other than name, ARN, status, failureReason, dates and the computed
 * `latest*` members, so a Describe built from them cannot carry a member the model lacks.
 */
import type { DatasetType } from "../../schemas/avro";
import type * as wire from "../api/personalize";

export type Kind =
  | "datasetGroup"
  | "schema"
  | "dataset"
  | "datasetImportJob"
  | "solution"
  | "solutionVersion"
  | "campaign"
  | "eventTracker"
  | "filter";

export type ArnMember =
  | "datasetGroupArn"
  | "schemaArn"
  | "datasetArn"
  | "datasetImportJobArn"
  | "solutionArn"
  | "solutionVersionArn"
  | "campaignArn"
  | "eventTrackerArn"
  | "filterArn";

export interface KindSpec {
  /** The Describe wrapper member, e.g. `datasetGroup`. */
  wrapper: string;
  /** The resource's word in messages, e.g. `Dataset group`. */
  label: string;
  arnMember: ArnMember;
  nameMember: "name" | "jobName";
  /** The List answer's member, and the model shape of one listed item. */
  listKey: string;
  summaryShape: string;
  /** Schemas have no status: create and delete are immediate. */
  hasStatus: boolean;
  /** The `latest*Update` member, for resources with an Update API. */
  updateMember?: string;
}

export const KINDS: Record<Kind, KindSpec> = {
  datasetGroup: {
    wrapper: "datasetGroup",
    label: "Dataset group",
    arnMember: "datasetGroupArn",
    nameMember: "name",
    listKey: "datasetGroups",
    summaryShape: "DatasetGroupSummary",
    hasStatus: true,
  },
  schema: {
    wrapper: "schema",
    label: "Schema",
    arnMember: "schemaArn",
    nameMember: "name",
    listKey: "schemas",
    summaryShape: "DatasetSchemaSummary",
    hasStatus: false,
  },
  dataset: {
    wrapper: "dataset",
    label: "Dataset",
    arnMember: "datasetArn",
    nameMember: "name",
    listKey: "datasets",
    summaryShape: "DatasetSummary",
    hasStatus: true,
    updateMember: "latestDatasetUpdate",
  },
  datasetImportJob: {
    wrapper: "datasetImportJob",
    label: "Dataset import job",
    arnMember: "datasetImportJobArn",
    nameMember: "jobName",
    listKey: "datasetImportJobs",
    summaryShape: "DatasetImportJobSummary",
    hasStatus: true,
  },
  solution: {
    wrapper: "solution",
    label: "Solution",
    arnMember: "solutionArn",
    nameMember: "name",
    listKey: "solutions",
    summaryShape: "SolutionSummary",
    hasStatus: true,
    updateMember: "latestSolutionUpdate",
  },
  solutionVersion: {
    wrapper: "solutionVersion",
    label: "Solution version",
    arnMember: "solutionVersionArn",
    nameMember: "name",
    listKey: "solutionVersions",
    summaryShape: "SolutionVersionSummary",
    hasStatus: true,
  },
  campaign: {
    wrapper: "campaign",
    label: "Campaign",
    arnMember: "campaignArn",
    nameMember: "name",
    listKey: "campaigns",
    summaryShape: "CampaignSummary",
    hasStatus: true,
    updateMember: "latestCampaignUpdate",
  },
  eventTracker: {
    wrapper: "eventTracker",
    label: "Event tracker",
    arnMember: "eventTrackerArn",
    nameMember: "name",
    listKey: "eventTrackers",
    summaryShape: "EventTrackerSummary",
    hasStatus: true,
  },
  filter: {
    wrapper: "filter",
    label: "Filter",
    arnMember: "filterArn",
    nameMember: "name",
    listKey: "Filters",
    summaryShape: "FilterSummary",
    hasStatus: true,
  },
};

/** Members every record holds outside `attrs`. */
type Common = "name" | "status" | "failureReason" | "creationDateTime" | "lastUpdatedDateTime";

/** `T` with the members `M` always present. */
type With<T, M extends keyof T> = T & { [P in M]-?: Exclude<T[P], undefined> };

/**
 * Per kind, the Describe members a record keeps in `attrs`; those every resource of the kind
 * has are required.
 */
export interface KindAttrs {
  datasetGroup: Omit<wire.DatasetGroup, Common | "datasetGroupArn">;
  schema: With<Omit<wire.DatasetSchema, Common | "schemaArn">, "schema">;
  dataset: With<
    Omit<wire.Dataset, Common | "datasetArn" | "latestDatasetUpdate" | "datasetType">,
    "datasetGroupArn" | "schemaArn"
  > & { datasetType: DatasetType };
  datasetImportJob: With<
    Omit<wire.DatasetImportJob, Common | "jobName" | "datasetImportJobArn" | "dataSource">,
    "datasetArn" | "importMode"
  > & { dataSource: With<wire.DataSource, "dataLocation"> };
  solution: With<
    Omit<wire.Solution, Common | "solutionArn" | "latestSolutionVersion" | "latestSolutionUpdate">,
    "datasetGroupArn"
  >;
  solutionVersion: With<
    Omit<wire.SolutionVersion, Common | "solutionVersionArn">,
    "solutionArn" | "datasetGroupArn" | "recipeArn" | "trainingMode"
  >;
  campaign: With<
    Omit<wire.Campaign, Common | "campaignArn" | "latestCampaignUpdate">,
    "solutionVersionArn"
  >;
  eventTracker: With<
    Omit<wire.EventTracker, Common | "eventTrackerArn">,
    "datasetGroupArn" | "trackingId"
  >;
  filter: With<Omit<wire.Filter, Common | "filterArn">, "datasetGroupArn" | "filterExpression">;
}

/** Per kind with an Update API, what an update changes (its `latest*Update` members). */
export interface KindUpdates {
  dataset: Pick<wire.DatasetUpdateSummary, "schemaArn">;
  solution: Pick<
    wire.SolutionUpdateSummary,
    "performAutoTraining" | "performIncrementalUpdate" | "solutionUpdateConfig"
  >;
  campaign: Pick<
    wire.CampaignUpdateSummary,
    "solutionVersionArn" | "minProvisionedTPS" | "campaignConfig"
  >;
}

/** A pending change made through an Update API (`latestCampaignUpdate` and friends). */
export interface UpdateRecord<Attrs = Record<string, unknown>> {
  attrs: Attrs;
  status: string;
  failureReason?: string;
  created: number;
  updated: number;
  dueAt?: number;
}

/** One resource of kind K as stored and persisted. Dates are epoch milliseconds. */
export interface RecordOf<K extends Kind> {
  kind: K;
  arn: string;
  name?: string;
  /** The region of the request that created it: other regions do not see it. */
  region: string;
  status?: string;
  failureReason?: string;
  created: number;
  updated: number;
  attrs: KindAttrs[K];
  tags: wire.Tag[];
  /** When the next lifecycle step is due; absent when the resource is at rest. */
  dueAt?: number;
  /** Data-plane work (import jobs, solution versions): the resource finishes only when done. */
  work?: "running" | "done";
  outcome?: { failureReason?: string; trainingHours?: number };
  update?: UpdateRecord<KindUpdates[K & keyof KindUpdates]>;
  /** Fault injection: the resource ends CREATE FAILED with this reason. */
  forcedFailure?: string;
}

/** A resource of any kind. */
export type ResourceRecord = RecordOf<Kind>;
