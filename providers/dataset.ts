import type { Dataset as DescribedDataset } from "@aws-sdk/client-personalize";
import { DATASET_TYPES, normalizeDatasetType } from "../schemas/avro";
import { created } from "./client";
import { PersonalizeProvider } from "./lifecycle";
import { personalizeResource } from "./resource";
import type { ArgsOf, Tagged } from "./spec";
import { checkArn, checkName, show, UNKNOWN } from "./validate";

export type DatasetInputs = Tagged & {
  /** The dataset's name. */
  readonly name: string;
  /** The dataset group it belongs to. */
  readonly datasetGroupArn: string;
  /** Interactions, Items, Users, Actions or Action_Interactions, in any case; stored upper-case as the service returns it. */
  readonly datasetType: string;
  /** Its schema; for ITEMS and USERS datasets a new one updates the dataset in place. */
  readonly schemaArn: string;
};

export interface DatasetKind {
  inputs: DatasetInputs;
  described: DescribedDataset;
  outputs: {
    /** Only for Action_Interactions datasets: the ID PutActionInteractions takes. */
    readonly trackingId?: string;
  };
}

/** The arguments of a Dataset, as a program gives them. */
export type DatasetArgs = ArgsOf<DatasetKind>;

/**
 * UpdateDataset replaces the schema of Items and Users datasets only
 * (https://docs.aws.amazon.com/personalize/latest/dg/updating-dataset-schema.html).
 */
const SCHEMA_UPDATABLE = ["ITEMS", "USERS"];

const upper = (v: unknown) => (typeof v === "string" ? v.toUpperCase() : v);

export const datasetProvider = new PersonalizeProvider<DatasetKind>({
  kind: "Dataset",
  fields: {
    name: "replace",
    datasetGroupArn: "replace",
    datasetType: { change: "replace", normalize: { note: "any case", apply: upper } },
    schemaArn: {
      change: (_olds, news) =>
        SCHEMA_UPDATABLE.includes(String(upper(news.datasetType))) ? "update" : "replace",
      when: { update: "ITEMS, USERS", replace: "other types" },
    },
  },
  defaultTimeoutMinutes: 10,
  taggable: true,
  validate(inputs, failures) {
    checkName(failures, "name", inputs.name);
    checkArn(failures, "datasetGroupArn", inputs.datasetGroupArn, "personalize");
    checkArn(failures, "schemaArn", inputs.schemaArn, "personalize");
    const type = inputs.datasetType;
    if (type === undefined)
      failures.push({ property: "datasetType", reason: "datasetType is required" });
    else if (type !== UNKNOWN) {
      const normal = typeof type === "string" ? normalizeDatasetType(type) : undefined;
      if (!normal) {
        failures.push({
          property: "datasetType",
          reason: `datasetType ${show(type)} must be one of ${DATASET_TYPES.join(", ")} (any case)`,
        });
      } else return { ...inputs, datasetType: normal };
    }
  },
  // The ARN is dataset/<group name>/<TYPE>: the dataset's own name is not part of it.
  identity: (inputs) => `${inputs.datasetGroupArn}/${upper(inputs.datasetType)}`,
  create: async (ctx, request) =>
    created((await ctx.api.createDataset(request)).datasetArn, "CreateDataset"),
  describe: async (ctx, arn) => (await ctx.api.describeDataset({ datasetArn: arn })).dataset ?? {},
  outputs: { trackingId: (d) => d.trackingId },
  // Reached only for ITEMS and USERS datasets: for the others a new schemaArn replaces.
  update: {
    call: (ctx, arn, news) => ctx.api.updateDataset({ datasetArn: arn, schemaArn: news.schemaArn }),
    progress: (d) => d.latestDatasetUpdate,
  },
  delete: (ctx, arn) => ctx.api.deleteDataset({ datasetArn: arn }),
});
export const datasetSpec = datasetProvider.spec;

/** A Personalize dataset of one type in a dataset group. */
export class Dataset extends personalizeResource(datasetProvider) {}
