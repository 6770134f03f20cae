import type { CreateSchemaRequest } from "@aws-sdk/client-personalize";
import * as pulumi from "@pulumi/pulumi";
import { canonicalSchemaJson, parseSchema } from "../schemas/avro";
import { CommonArgs, PersonalizeProvider, Props, ResourceSpec } from "./lifecycle";
import { PersonalizeResource } from "./resource";
import { checkEnum, checkName, errorFree, UNKNOWN } from "./validate";
import { DOMAINS } from "./datasetGroup";

export interface SchemaArgs extends CommonArgs {
  name: pulumi.Input<string>;
  /** The Avro record schema as JSON text (personalize-api.md §5). */
  schema: pulumi.Input<string>;
  domain?: pulumi.Input<string>;
}

/**
 * personalize-api.md §3.2: immutable, no status, no tags. The service may store the JSON with
 * other whitespace, so schemas compare as canonical JSON, not as text.
 */
export const schemaSpec: ResourceSpec = {
  kind: "Schema",
  fields: { name: "replace", schema: "replace", domain: "replace" },
  normalize: { schema: (v) => canonicalSchemaJson(v as string) },
  defaultTimeoutMinutes: 5,
  taggable: false,
  validate(inputs, failures) {
    checkName(failures, "name", inputs.name);
    checkEnum(failures, "domain", inputs.domain, DOMAINS);
    const text = inputs.schema;
    if (text === undefined) failures.push({ property: "schema", reason: "schema is required" });
    else if (text !== UNKNOWN) {
      const problem = errorFree(() => parseSchema(text as string));
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
    (await ctx.api.createSchema(request as CreateSchemaRequest)).schemaArn as string,
  describe: async (ctx, arn) =>
    ((await ctx.api.describeSchema({ schemaArn: arn })).schema ?? {}) as Props,
  // A schema has no status: once Describe answers, it is usable.
  status: () => ({ status: "ACTIVE" }),
  delete: (ctx, arn) => ctx.api.deleteSchema({ schemaArn: arn }),
};

export const schemaProvider = new PersonalizeProvider(schemaSpec);

/** A Personalize schema (Avro JSON). */
export class Schema extends PersonalizeResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly schema: pulumi.Output<string>;

  constructor(name: string, args: SchemaArgs, opts?: pulumi.CustomResourceOptions) {
    super(schemaProvider, name, args, [], opts);
  }
}
