/**
 * Datasets: one per type in a dataset group, with a schema valid for that type and the
 * group's domain (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDataset.html).
 * UpdateDataset replaces the schema of an Items or Users dataset with a compatible one
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_UpdateDataset.html). Deleting a dataset
 * drops its import jobs and its data.
 */
import { randomUUID } from "node:crypto";
import {
  normalizeDatasetType,
  schemaProblemsForDataset,
  type DatasetType,
} from "../../schemas/avro";
import { inUse, invalidInput } from "../errors";
import { deleteOp, describeOp, listOp, named } from "./generic";
import { inFlight, type Handlers, type KindRules } from "./model";
import { parseSchemaText } from "./schema";
import { checkTags } from "./tags";

/** The dataset's type as stored: the ARN's upper-case form (`INTERACTIONS`, ...). */
function datasetType(text: string): DatasetType {
  const type = normalizeDatasetType(text);
  if (!type)
    throw invalidInput(
      `Invalid datasetType ${JSON.stringify(text)}: must be one of Interactions, Items, Users, Actions, Action_Interactions.`,
    );
  return type;
}

export const datasetOperations: Handlers = {
  CreateDataset: (model, { name, schemaArn, datasetGroupArn, datasetType: text, tags }, ctx) => {
    const type = datasetType(text);
    checkTags(tags);
    const group = model.get("datasetGroup", datasetGroupArn, ctx);
    const schema = model.get("schema", schemaArn, ctx);
    model.requireActive(group, "add datasets");
    const groupDomain = group.attrs.domain;
    const schemaDomain = schema.attrs.domain;
    if (groupDomain !== schemaDomain)
      throw invalidInput(
        `Schema ${schemaArn} has domain ${schemaDomain ?? "none (custom)"} but dataset group ${datasetGroupArn} has domain ${groupDomain ?? "none (custom)"}; they must match.`,
      );
    const problems = schemaProblemsForDataset(
      parseSchemaText(schema.attrs.schema ?? ""),
      type,
      groupDomain,
    );
    if (problems.length > 0)
      throw invalidInput(
        `Schema ${schemaArn} is not valid for a ${type} dataset: ${problems.join("; ")}.`,
      );
    const arn = model.newArn(ctx, `dataset/${group.name}/${type}`);
    const trackingId = type === "ACTION_INTERACTIONS" ? randomUUID() : undefined;
    model.create("dataset", ctx, {
      arn,
      name,
      attrs: { datasetGroupArn, datasetType: type, schemaArn, trackingId },
      tags,
    });
    return { datasetArn: arn };
  },
  DescribeDataset: describeOp("dataset"),
  ListDatasets: listOp("dataset", {
    member: "datasetGroupArn",
    belongs: (d, groupArn) => d.attrs.datasetGroupArn === groupArn,
  }),
  UpdateDataset: (model, input, ctx) => {
    const dataset = named(model, "dataset", input, ctx);
    const schema = model.get("schema", input.schemaArn, ctx);
    const type = dataset.attrs.datasetType;
    if (type !== "ITEMS" && type !== "USERS")
      throw invalidInput(
        `Dataset ${dataset.arn} is a ${type} dataset; only ITEMS and USERS datasets can change their schema.`,
      );
    model.requireActive(dataset, "update it");
    model.requireNoUpdateInFlight(dataset);
    const current = parseSchemaText(
      model.get("schema", dataset.attrs.schemaArn ?? "", ctx).attrs.schema ?? "",
    );
    const next = parseSchemaText(schema.attrs.schema ?? "");
    const problems = schemaProblemsForDataset(
      next,
      type,
      model.find("datasetGroup", dataset.attrs.datasetGroupArn ?? "")?.attrs.domain,
    );
    const byName = new Map(next.fields.map((f) => [f.name, f]));
    for (const field of current.fields) {
      const kept = byName.get(field.name);
      if (!kept) problems.push(`field ${field.name} of the current schema is missing`);
      else if (
        kept.type !== field.type ||
        kept.nullable !== field.nullable ||
        kept.categorical !== field.categorical ||
        kept.textual !== field.textual
      )
        problems.push(`field ${field.name} must keep its type and attributes`);
    }
    const old = new Set(current.fields.map((f) => f.name));
    for (const field of next.fields)
      if (!old.has(field.name) && !field.nullable)
        problems.push(`added field ${field.name} must allow null`);
    if (problems.length > 0)
      throw invalidInput(
        `Schema ${schema.arn} cannot replace the schema of ${dataset.arn}: ${problems.join("; ")}.`,
      );
    model.lifecycle.startUpdate(dataset, { schemaArn: schema.arn });
    return { datasetArn: dataset.arn };
  },
  DeleteDataset: deleteOp("dataset", (model, dataset) => {
    const busy = [
      ...model.all(
        "datasetImportJob",
        (j) => j.attrs.datasetArn === dataset.arn && inFlight(j.status),
      ),
      ...model.all(
        "solutionVersion",
        (v) => v.attrs.datasetGroupArn === dataset.attrs.datasetGroupArn && inFlight(v.status),
      ),
    ];
    if (busy.length > 0)
      throw inUse(
        `Dataset ${dataset.arn} is in use by ${busy.map((b) => `${b.arn} (${b.status})`).join(", ")}; wait for them to finish.`,
      );
  }),
};

export const datasetRules: KindRules<"dataset"> = {
  removed: (model, dataset) => {
    for (const job of model.all("datasetImportJob", (j) => j.attrs.datasetArn === dataset.arn))
      model.forget(job);
    model.dataPlane?.dropDataset(dataset.arn);
  },
};
