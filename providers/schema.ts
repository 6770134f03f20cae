import type { DatasetSchema, Domain } from "@aws-sdk/client-personalize";
import { canonicalSchemaJson, parseSchema } from "../schemas/avro";
import { DOMAINS } from "../rules/personalize";
import { created } from "./client";
import { PersonalizeProvider } from "./lifecycle";
import { personalizeResource } from "./resource";
import type { ArgsOf } from "./spec";
import { checkEnum, checkName, checkString, errorFree, UNKNOWN } from "./validate";

export type SchemaInputs = {
  /** The schema's name, unique in the account and region. */
  readonly name: string;
  /**
   * The Avro record schema as JSON text
   * (https://docs.aws.amazon.com/personalize/latest/dg/how-it-works-dataset-schema.html).
   */
  readonly schema: string;
  /**
   * The domain of a schema for a Domain dataset group.
   * @default none: a schema for a Custom dataset group
   */
  readonly domain?: Domain;
};

export interface SchemaKind {
  inputs: SchemaInputs;
  /** A schema has no status: once Describe answers, it is usable (describe says ACTIVE). */
  described: DatasetSchema & { status: "ACTIVE" };
}

/** The arguments of a Schema, as a program gives them. */
export type SchemaArgs = ArgsOf<SchemaKind>;

/**
 * Immutable, no status, no tags (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateSchema.html).
 * The service may store the JSON with other whitespace, so schemas compare as canonical JSON,
 * not as text.
 */
export const schemaProvider = new PersonalizeProvider<SchemaKind>({
  kind: "Schema",
  fields: {
    name: "replace",
    schema: {
      change: "replace",
      normalize: { note: "compared as JSON", apply: (v) => canonicalSchemaJson(String(v)) },
    },
    domain: "replace",
  },
  defaultTimeoutMinutes: 5,
  taggable: false,
  validate(inputs, failures) {
    checkName(failures, "name", inputs.name);
    checkEnum(failures, "domain", inputs.domain, DOMAINS);
    const text = inputs.schema;
    if (text === undefined) failures.push({ property: "schema", reason: "schema is required" });
    else if (typeof text !== "string") checkString(failures, "schema", text);
    else if (text !== UNKNOWN) {
      const problem = errorFree(() => parseSchema(text));
      if (problem) {
        failures.push({
          property: "schema",
          reason: `schema is not a valid Personalize schema: ${problem}`,
        });
      }
    }
  },
  identity: (inputs) => `${inputs.region}/${inputs.name}`,
  create: async (ctx, request) =>
    created((await ctx.api.createSchema(request)).schemaArn, "CreateSchema"),
  describe: async (ctx, arn) => ({
    ...(await ctx.api.describeSchema({ schemaArn: arn })).schema,
    status: "ACTIVE",
  }),
  delete: (ctx, arn) => ctx.api.deleteSchema({ schemaArn: arn }),
});
export const schemaSpec = schemaProvider.spec;

/** A Personalize schema (Avro JSON). */
export class Schema extends personalizeResource(schemaProvider) {}
