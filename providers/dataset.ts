import type { CreateDatasetRequest } from "@aws-sdk/client-personalize";
import * as pulumi from "@pulumi/pulumi";
import { DATASET_TYPES, normalizeDatasetType } from "../schemas/avro";
import { CommonArgs, PersonalizeProvider, Props, ResourceSpec, StatusView } from "./lifecycle";
import { PersonalizeResource } from "./resource";
import { checkArn, checkName, show, UNKNOWN } from "./validate";

export interface DatasetArgs extends CommonArgs {
  name: pulumi.Input<string>;
  datasetGroupArn: pulumi.Input<string>;
  /** Interactions, Items, Users, Actions or Action_Interactions, in any case; stored upper-case as the service returns it. */
  datasetType: pulumi.Input<string>;
  schemaArn: pulumi.Input<string>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** personalize-api.md §3.3: UpdateDataset replaces the schema of Items and Users datasets only. */
const SCHEMA_UPDATABLE = ["ITEMS", "USERS"];

const upper = (v: unknown) => (typeof v === "string" ? v.toUpperCase() : v);

export const datasetSpec: ResourceSpec = {
  kind: "Dataset",
  fields: {
    name: "replace",
    datasetGroupArn: "replace",
    datasetType: "replace",
    schemaArn: (_olds, news) =>
      SCHEMA_UPDATABLE.includes(String(upper(news.datasetType))) ? "update" : "replace",
  },
  normalize: { datasetType: upper },
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
    (await ctx.api.createDataset(request as CreateDatasetRequest)).datasetArn as string,
  describe: async (ctx, arn) =>
    ((await ctx.api.describeDataset({ datasetArn: arn })).dataset ?? {}) as Props,
  outputs: (_ctx, d) => ({ trackingId: d.trackingId }),
  // Reached only for ITEMS and USERS datasets: for the others a new schemaArn replaces.
  update: {
    call: (ctx, arn, news) =>
      ctx.api.updateDataset({ datasetArn: arn, schemaArn: news.schemaArn as string }),
    progress: (d) => d.latestDatasetUpdate as StatusView | undefined,
  },
  delete: (ctx, arn) => ctx.api.deleteDataset({ datasetArn: arn }),
};

export const datasetProvider = new PersonalizeProvider(datasetSpec);

/** A Personalize dataset of one type in a dataset group. */
export class Dataset extends PersonalizeResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly datasetGroupArn: pulumi.Output<string>;
  declare readonly datasetType: pulumi.Output<string>;
  declare readonly schemaArn: pulumi.Output<string>;
  declare readonly tags: pulumi.Output<Record<string, string> | undefined>;
  /** Only for Action_Interactions datasets: the ID PutActionInteractions takes. */
  declare readonly trackingId: pulumi.Output<string | undefined>;

  constructor(name: string, args: DatasetArgs, opts?: pulumi.CustomResourceOptions) {
    super(datasetProvider, name, args, ["trackingId"], opts);
  }
}
