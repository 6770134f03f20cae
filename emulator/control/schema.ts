/**
 * Schemas (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateSchema.html): Avro text parsed
 * at CreateSchema with the project's one schema parser (schemas/avro.ts), checked against a
 * dataset's type at CreateDataset. Schemas have no status: create and delete are immediate.
 */
import { SchemaError, parseSchema, type PersonalizeSchema } from "../../schemas/avro";
import { inUse, invalidInput } from "../errors";
import { describeOp, listOp, named } from "./generic";
import type { Handlers } from "./model";

/** The parsed schema, or InvalidInputException naming what is wrong with it. */
export function parseSchemaText(text: string): PersonalizeSchema {
  try {
    return parseSchema(text);
  } catch (err) {
    if (err instanceof SchemaError) throw invalidInput(`Invalid schema: ${err.message}`);
    throw err;
  }
}

export const schemaOperations: Handlers = {
  CreateSchema: (model, { name, schema, domain }, ctx) => {
    parseSchemaText(schema);
    const arn = model.newArn(ctx, `schema/${name}`);
    model.create("schema", ctx, { arn, name, attrs: { schema, domain } });
    return { schemaArn: arn };
  },
  DescribeSchema: describeOp("schema"),
  ListSchemas: listOp("schema"),
  DeleteSchema: (model, input, ctx) => {
    const schema = named(model, "schema", input, ctx);
    const users = model.all(
      "dataset",
      (d) => d.attrs.schemaArn === schema.arn || d.update?.attrs.schemaArn === schema.arn,
    );
    if (users.length > 0)
      throw inUse(
        `Schema ${schema.arn} is used by dataset(s) ${users.map((d) => d.arn).join(", ")}; delete them first.`,
      );
    model.forget(schema);
  },
};
