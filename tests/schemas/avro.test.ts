import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  canonicalSchemaJson,
  datasetTypeForRecordName,
  DATASET_TYPES,
  parseSchema,
  PersonalizeSchema,
  recordNameForDatasetType,
  SchemaError,
  schemaProblemsForDataset,
} from "../../schemas/avro";
import { avroSchema, REQUIRED_INTERACTION_FIELDS, type AvroField } from "../support/schemas";

const WORKSHOP = readFileSync(join(__dirname, "../../schemas/event_schema.avsc"), "utf8");

/** A record without a version (`avroSchema` adds one by default). */
function record(fields: unknown[], name = "Interactions"): string {
  return avroSchema(name, fields as AvroField[], {});
}

function schemaOf(name: string, fields: unknown[]): PersonalizeSchema {
  return parseSchema(record(fields, name));
}

/** The required interaction fields in the row notation `fieldsOf` reads. */
const REQUIRED = REQUIRED_INTERACTION_FIELDS.map((f) => `${f.name}:${String(f.type)}`).join(" ");

/** "NAME[:type][:categorical|:textual] ..." -> Avro fields ("null|T" is a nullable T). */
function fieldsOf(spec: string): AvroField[] {
  return spec.split(" ").map((token) => {
    const [name, type = "string", flag] = token.split(":");
    const field: AvroField = { name, type: type.includes("|") ? type.split("|") : type };
    if (flag === "categorical") field.categorical = true;
    else if (flag === "textual") field.textual = true;
    else if (flag !== undefined) throw new Error(`unknown field flag "${flag}" in "${token}"`);
    return field;
  });
}

describe("schemas/avro parseSchema", () => {
  it("parses the workshop schema into typed fields", () => {
    const schema = parseSchema(WORKSHOP);
    assert.equal(schema.name, "Interactions");
    assert.equal(schema.namespace, "com.amazonaws.personalize.schema");
    assert.deepEqual(
      schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`),
      [
        "ANONYMOUS_ID:string:false",
        "USER_ID:string:false",
        "ITEM_ID:string:false",
        "EVENT_TYPE:string:false",
        "TIMESTAMP_ISO:string:false",
        "TIMESTAMP:long:false",
      ],
    );
  });

  it("accepts nullable unions in either order, object-form primitives and attributes", () => {
    const schema = parseSchema(
      record(
        [
          { name: "ITEM_ID", type: "string" },
          { name: "GENRES", type: ["null", "string"], categorical: true },
          { name: "PRICE", type: ["float", "null"] },
          { name: "DESCRIPTION", type: { type: "string" }, textual: true },
          { name: "ADULT", type: "boolean" },
        ],
        "Items",
      ),
    );
    assert.deepEqual(schema.fields[1], {
      name: "GENRES",
      type: "string",
      nullable: true,
      categorical: true,
      textual: false,
    });
    assert.equal(schema.fields[2].nullable, true);
    assert.equal(schema.fields[2].type, "float");
    assert.equal(schema.fields[3].textual, true);
  });

  const rejected: [string, string, string][] = [
    ["invalid JSON", "{not json", "Schema is not valid JSON: "],
    [
      "a non-record",
      JSON.stringify({ type: "enum", name: "X", fields: [] }),
      'Schema "type" must be "record", got "enum"',
    ],
    [
      "a missing name",
      JSON.stringify({ type: "record", fields: [{ name: "A", type: "string" }] }),
      'Schema "name" must be an Avro name such as "Interactions", got undefined',
    ],
    ["empty fields", record([]), 'Schema "fields" must be a non-empty array, got []'],
    [
      "a nested record",
      record([{ name: "A", type: { type: "record", name: "B", fields: [] } }]),
      'Field A has nested type "record"; Personalize schemas are flat (no record, array, map or enum types)',
    ],
    [
      "an array type",
      record([{ name: "TAGS", type: "array" }]),
      'Field TAGS has nested type "array"; Personalize schemas are flat (no record, array, map or enum types)',
    ],
    [
      "an unknown type",
      record([{ name: "A", type: "bytes" }]),
      'Field A has unsupported type "bytes"; use one of string, int, long, float, double, boolean or a union with "null" such as ["null", "string"]',
    ],
    [
      "a bare null",
      record([{ name: "A", type: "null" }]),
      'Field A has type "null"; declare a nullable field as a union such as ["null", "string"]',
    ],
    [
      "a three-way union",
      record([{ name: "A", type: ["null", "string", "int"] }]),
      'Field A has union type ["null","string","int"]; only a union of "null" and one type is allowed',
    ],
    [
      "an invalid field name",
      record([{ name: "USER-ID", type: "string" }]),
      'Schema field #1 has invalid name "USER-ID"; names start with a letter or _ and contain only letters, digits and _',
    ],
    [
      "a duplicate field",
      record([
        { name: "A", type: "string" },
        { name: "A", type: "int" },
      ]),
      "Field A is declared twice",
    ],
    [
      "names clashing without non-alphanumerics",
      record([
        { name: "GENRES_FIELD_1", type: "string" },
        { name: "GENRESFIELD1", type: "string" },
      ]),
      "Field GENRESFIELD1 clashes with field GENRES_FIELD_1: names must be unique after removing non-alphanumeric characters",
    ],
    [
      "a categorical long",
      record([{ name: "A", type: "long", categorical: true }]),
      'Field A is categorical but has type "long"; only string fields can be categorical',
    ],
    [
      "categorical and textual",
      record([{ name: "A", type: "string", categorical: true, textual: true }]),
      "Field A is both categorical and textual; choose one",
    ],
    [
      "a non-boolean attribute",
      record([{ name: "A", type: "string", categorical: "yes" }]),
      'Field A has "categorical": "yes"; it must be true or false',
    ],
    [
      "an over-long schema",
      record([{ name: "A", type: "string", doc: "x".repeat(20000) }]),
      "characters long; the limit is 20000",
    ],
  ];
  for (const [what, text, message] of rejected) {
    it(`rejects ${what}`, () => {
      assert.throws(
        () => parseSchema(text),
        (err: unknown) => err instanceof SchemaError && err.message.includes(message),
      );
    });
  }
});

describe("schemas/avro schemaProblemsForDataset", () => {
  it("finds the workshop schema valid for INTERACTIONS and invalid for ITEMS", () => {
    const schema = parseSchema(WORKSHOP);
    assert.deepEqual(schemaProblemsForDataset(schema, "INTERACTIONS"), []);
    assert.deepEqual(schemaProblemsForDataset(schema, "ITEMS"), [
      'Schema record name "Interactions" does not match dataset type ITEMS; it must be "Items"',
    ]);
  });

  /**
   * One row per case. Fields are written "NAME[:type][:categorical|:textual]", type "string"
   * by default and "null|T" for a nullable T.
   */
  const cases: {
    what: string;
    record: string;
    fields: string;
    type: Parameters<typeof schemaProblemsForDataset>[1];
    domain?: Parameters<typeof schemaProblemsForDataset>[2];
    expected: string[];
  }[] = [
    {
      what: "interactions without TIMESTAMP",
      record: "Interactions",
      fields: "USER_ID ITEM_ID",
      type: "INTERACTIONS",
      expected: ["Field TIMESTAMP is required for INTERACTIONS datasets but missing"],
    },
    {
      what: "a string TIMESTAMP and a nullable USER_ID",
      record: "Interactions",
      fields: "USER_ID:null|string ITEM_ID TIMESTAMP:string",
      type: "INTERACTIONS",
      expected: [
        'Field USER_ID must not be nullable (required for INTERACTIONS), got ["null", "string"]',
        'Field TIMESTAMP must be of type "long" (required for INTERACTIONS), got "string"',
      ],
    },
    {
      what: "a categorical EVENT_TYPE and a long EVENT_VALUE",
      record: "Interactions",
      fields: `${REQUIRED} EVENT_TYPE:string:categorical EVENT_VALUE:long`,
      type: "INTERACTIONS",
      expected: [
        "Field EVENT_TYPE must not be categorical (reserved in INTERACTIONS)",
        'Field EVENT_VALUE must be of type "float" (reserved in INTERACTIONS), got "long"',
      ],
    },
    {
      what: "six custom interaction metadata columns",
      record: "Interactions",
      fields: `${REQUIRED} ${[1, 2, 3, 4, 5, 6].map((i) => `M${i}:string:categorical`).join(" ")}`,
      type: "INTERACTIONS",
      expected: ["Schema has 6 metadata fields; INTERACTIONS datasets allow at most 5"],
    },
    {
      what: "users with only USER_ID",
      record: "Users",
      fields: "USER_ID",
      type: "USERS",
      expected: [
        "Schema needs at least 1 metadata field (categorical or textual string, or numeric) besides the required fields for USERS datasets",
      ],
    },
    {
      what: "users with a categorical metadata field",
      record: "Users",
      fields: "USER_ID MEMBERSHIP:string:categorical",
      type: "USERS",
      expected: [],
    },
    {
      what: "items with two textual fields",
      record: "Items",
      fields: "ITEM_ID TITLE:string:textual DESCRIPTION:string:textual",
      type: "ITEMS",
      expected: ["Schema has 2 textual fields; an ITEMS dataset may have at most 1"],
    },
    {
      what: "ECOMMERCE items without PRICE and with a plain CATEGORY_L1",
      record: "Items",
      fields: "ITEM_ID CATEGORY_L1 SIZE:int",
      type: "ITEMS",
      domain: "ECOMMERCE",
      expected: [
        "Field PRICE is required for ITEMS in ECOMMERCE datasets but missing",
        'Field CATEGORY_L1 must be "categorical": true (required for ITEMS in ECOMMERCE)',
      ],
    },
    {
      what: "VIDEO_ON_DEMAND items",
      record: "Items",
      fields: "ITEM_ID GENRES:string:categorical CREATION_TIMESTAMP:long",
      type: "ITEMS",
      domain: "VIDEO_ON_DEMAND",
      expected: [],
    },
    {
      what: "ECOMMERCE interactions without EVENT_TYPE",
      record: "Interactions",
      fields: REQUIRED,
      type: "INTERACTIONS",
      domain: "ECOMMERCE",
      expected: ["Field EVENT_TYPE is required for INTERACTIONS in ECOMMERCE datasets but missing"],
    },
    {
      what: "actions in a domain",
      record: "Actions",
      fields: "ACTION_ID VALUE:null|int TIER:null|string",
      type: "ACTIONS",
      domain: "ECOMMERCE",
      expected: ["Dataset type ACTIONS cannot be created in a ECOMMERCE domain dataset group"],
    },
    {
      what: "action interactions without EVENT_TYPE",
      record: "ActionInteractions",
      fields: "USER_ID ACTION_ID TIMESTAMP:long",
      type: "ACTION_INTERACTIONS",
      expected: ["Field EVENT_TYPE is required for ACTION_INTERACTIONS datasets but missing"],
    },
    {
      what: "a textual field outside ITEMS",
      record: "Users",
      fields: "USER_ID BIO:string:textual",
      type: "USERS",
      expected: ["Field BIO is textual; only ITEMS datasets may have a textual field"],
    },
  ];
  for (const { what, record, fields, type, domain, expected } of cases) {
    it(`reports ${what}`, () => {
      const schema = schemaOf(record, fieldsOf(fields));
      assert.deepEqual(schemaProblemsForDataset(schema, type, domain), expected);
    });
  }
});

describe("schemas/avro record names and canonical JSON", () => {
  it("maps every dataset type to its record name and back", () => {
    assert.equal(recordNameForDatasetType("ACTION_INTERACTIONS"), "ActionInteractions");
    for (const t of DATASET_TYPES)
      assert.equal(datasetTypeForRecordName(recordNameForDatasetType(t)), t);
    assert.equal(datasetTypeForRecordName("com.example.Items"), "ITEMS");
    assert.equal(datasetTypeForRecordName("Interaction"), undefined);
  });

  it("compares schemas that differ only in formatting and key order as equal", () => {
    const compact = JSON.stringify(JSON.parse(WORKSHOP));
    const reordered = JSON.stringify({ ...JSON.parse(WORKSHOP), type: "record" }, null, 4);
    assert.equal(canonicalSchemaJson(WORKSHOP), canonicalSchemaJson(compact));
    assert.equal(canonicalSchemaJson(WORKSHOP), canonicalSchemaJson(reordered));
    assert.notEqual(
      canonicalSchemaJson(WORKSHOP),
      canonicalSchemaJson(WORKSHOP.replace('"long"', '"int"')),
    );
    assert.throws(() => canonicalSchemaJson("{"), SchemaError);
  });
});
