import { show } from "../rules/show";

/** Personalize dataset types, upper-case as Describe and List return them. */
export type DatasetType = "INTERACTIONS" | "ITEMS" | "USERS" | "ACTIONS" | "ACTION_INTERACTIONS";

export const DATASET_TYPES: readonly DatasetType[] = [
  "INTERACTIONS",
  "ITEMS",
  "USERS",
  "ACTIONS",
  "ACTION_INTERACTIONS",
];

/**
 * The service accepts dataset types in any case (`Interactions`, `interactions`,
 * `Action_Interactions`) and returns them upper-case; undefined for anything else.
 */
export function normalizeDatasetType(value: string): DatasetType | undefined {
  const upper = value.toUpperCase() as DatasetType;
  return DATASET_TYPES.includes(upper) ? upper : undefined;
}

/** The Avro primitive types Personalize accepts for a field (`null` only inside a union). */
export type FieldType = "string" | "int" | "long" | "float" | "double" | "boolean";

export interface SchemaField {
  name: string;
  type: FieldType;
  /** The field was declared as a union with `"null"`, e.g. `["null", "string"]`. */
  nullable: boolean;
  /** `"categorical": true`: several `|`-separated values per cell. */
  categorical: boolean;
  /** `"textual": true`: free text used by the Items dataset's NLP features. */
  textual: boolean;
}

export interface PersonalizeSchema {
  name: string;
  namespace?: string;
  fields: SchemaField[];
}

/**
 * Domain dataset groups' domains
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetGroup.html).
 */
export type Domain = "ECOMMERCE" | "VIDEO_ON_DEMAND";

/** A schema the service would reject; the message names the field and the value. */
export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    // Set explicitly: serialized into a dynamic provider, `super` becomes `Error.call(this)`,
    // which does not set the message.
    this.message = message;
    this.name = "SchemaError";
  }
}

/**
 * CreateSchema's limit on the `schema` string
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateSchema.html).
 */
export const MAX_SCHEMA_LENGTH = 20000;

const FIELD_TYPES: readonly FieldType[] = ["string", "int", "long", "float", "double", "boolean"];
// Plain arrays rather than Sets: dynamic providers serialize this module with Pulumi's closure
// serializer, which turns a captured Set into a plain object.
const NESTED_TYPES = ["record", "array", "map", "enum", "fixed"];
const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const AVRO_FULL_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SchemaError(`Schema is not valid JSON: ${(err as Error).message}`);
  }
}

/** Reads one field's `type`: a primitive, `{"type": primitive}`, or a two-branch union with "null". */
function parseFieldType(fieldName: string, raw: unknown): { type: FieldType; nullable: boolean } {
  const primitive = (value: unknown): FieldType | undefined => {
    if (typeof value === "string" && (FIELD_TYPES as readonly string[]).includes(value)) {
      return value as FieldType;
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const inner = (value as Record<string, unknown>).type;
      if (typeof inner === "string" && NESTED_TYPES.includes(inner)) {
        throw new SchemaError(
          `Field ${fieldName} has nested type ${show(inner)}; Personalize schemas are flat (no record, array, map or enum types)`,
        );
      }
      if (typeof inner === "string" && (FIELD_TYPES as readonly string[]).includes(inner)) {
        return inner as FieldType;
      }
    }
    return undefined;
  };
  const allowed = `one of ${FIELD_TYPES.join(", ")} or a union with "null" such as ["null", "string"]`;
  if (Array.isArray(raw)) {
    const others = raw.filter((branch) => branch !== "null");
    const nulls = raw.length - others.length;
    if (nulls !== 1 || others.length !== 1) {
      throw new SchemaError(
        `Field ${fieldName} has union type ${show(raw)}; only a union of "null" and one type is allowed`,
      );
    }
    const type = primitive(others[0]);
    if (!type)
      throw new SchemaError(`Field ${fieldName} has unsupported type ${show(raw)}; use ${allowed}`);
    return { type, nullable: true };
  }
  if (raw === "null") {
    throw new SchemaError(
      `Field ${fieldName} has type "null"; declare a nullable field as a union such as ["null", "string"]`,
    );
  }
  if (typeof raw === "string" && NESTED_TYPES.includes(raw)) {
    throw new SchemaError(
      `Field ${fieldName} has nested type ${show(raw)}; Personalize schemas are flat (no record, array, map or enum types)`,
    );
  }
  const type = primitive(raw);
  if (!type)
    throw new SchemaError(`Field ${fieldName} has unsupported type ${show(raw)}; use ${allowed}`);
  return { type, nullable: false };
}

function parseAttribute(fieldName: string, attribute: string, raw: unknown): boolean {
  if (raw === undefined) return false;
  if (typeof raw !== "boolean") {
    throw new SchemaError(
      `Field ${fieldName} has "${attribute}": ${show(raw)}; it must be true or false`,
    );
  }
  return raw;
}

/** Parses and checks an Avro schema as CreateSchema does; throws SchemaError with a message naming the field and value. */
export function parseSchema(text: string): PersonalizeSchema {
  if (typeof text !== "string")
    throw new SchemaError(`Schema must be a string, got ${typeof text}`);
  if (text.length > MAX_SCHEMA_LENGTH) {
    throw new SchemaError(
      `Schema is ${text.length} characters long; the limit is ${MAX_SCHEMA_LENGTH}`,
    );
  }
  const doc = parseJson(text);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new SchemaError(`Schema must be a JSON object (an Avro record), got ${show(doc)}`);
  }
  const record = doc as Record<string, unknown>;
  if (record.type !== "record") {
    throw new SchemaError(`Schema "type" must be "record", got ${show(record.type)}`);
  }
  if (typeof record.name !== "string" || !AVRO_FULL_NAME.test(record.name)) {
    throw new SchemaError(
      `Schema "name" must be an Avro name such as "Interactions", got ${show(record.name)}`,
    );
  }
  if (
    record.namespace !== undefined &&
    (typeof record.namespace !== "string" ||
      (record.namespace !== "" && !AVRO_FULL_NAME.test(record.namespace)))
  ) {
    throw new SchemaError(
      `Schema "namespace" must be a dotted Avro name such as "com.amazonaws.personalize.schema", got ${show(record.namespace)}`,
    );
  }
  if (!Array.isArray(record.fields) || record.fields.length === 0) {
    throw new SchemaError(`Schema "fields" must be a non-empty array, got ${show(record.fields)}`);
  }
  const fields: SchemaField[] = [];
  const seen = new Map<string, string>();
  record.fields.forEach((rawField, index) => {
    if (rawField === null || typeof rawField !== "object" || Array.isArray(rawField)) {
      throw new SchemaError(`Schema field #${index + 1} must be an object, got ${show(rawField)}`);
    }
    const f = rawField as Record<string, unknown>;
    if (typeof f.name !== "string" || !AVRO_NAME.test(f.name)) {
      throw new SchemaError(
        `Schema field #${index + 1} has invalid name ${show(f.name)}; names start with a letter or _ and contain only letters, digits and _`,
      );
    }
    const name = f.name;
    // Names must differ in their alphanumerics: GENRES_FIELD_1 and GENRESFIELD1 collide
    // (https://docs.aws.amazon.com/personalize/latest/dg/how-it-works-dataset-schema.html).
    const key = name.replace(/[^A-Za-z0-9]/g, "");
    const clash = seen.get(key);
    if (clash !== undefined) {
      throw new SchemaError(
        clash === name
          ? `Field ${name} is declared twice`
          : `Field ${name} clashes with field ${clash}: names must be unique after removing non-alphanumeric characters`,
      );
    }
    seen.set(key, name);
    const { type, nullable } = parseFieldType(name, f.type);
    const categorical = parseAttribute(name, "categorical", f.categorical);
    const textual = parseAttribute(name, "textual", f.textual);
    if ((categorical || textual) && type !== "string") {
      throw new SchemaError(
        `Field ${name} is ${categorical ? "categorical" : "textual"} but has type ${show(type)}; only string fields can be ${categorical ? "categorical" : "textual"}`,
      );
    }
    if (categorical && textual) {
      throw new SchemaError(`Field ${name} is both categorical and textual; choose one`);
    }
    fields.push({ name, type, nullable, categorical, textual });
  });
  return {
    name: record.name,
    ...(typeof record.namespace === "string" ? { namespace: record.namespace } : {}),
    fields,
  };
}

const RECORD_NAMES: Record<DatasetType, string> = {
  INTERACTIONS: "Interactions",
  ITEMS: "Items",
  USERS: "Users",
  ACTIONS: "Actions",
  ACTION_INTERACTIONS: "ActionInteractions",
};

/** The record name a dataset type's schema must have (INTERACTIONS -> "Interactions", ACTION_INTERACTIONS -> "ActionInteractions", ...). */
export function recordNameForDatasetType(t: DatasetType): string {
  return RECORD_NAMES[t];
}

/** The reverse of recordNameForDatasetType; a namespace prefix (`a.b.Interactions`) is ignored. */
export function datasetTypeForRecordName(name: string): DatasetType | undefined {
  const simple = name.slice(name.lastIndexOf(".") + 1);
  return DATASET_TYPES.find((t) => RECORD_NAMES[t] === simple);
}

/** What a required or reserved field must look like. */
interface FieldRule {
  types: FieldType[];
  /** May be declared as a union with "null". */
  nullable: boolean;
  /** true: must be categorical; false: must not be; undefined: either. */
  categorical?: boolean;
}

const ID: FieldRule = { types: ["string"], nullable: false, categorical: false };
const TIMESTAMP: FieldRule = { types: ["long"], nullable: false };
const OPTIONAL_STRING: FieldRule = { types: ["string"], nullable: true, categorical: false };

interface DatasetRules {
  required: Record<string, FieldRule>;
  reserved: Record<string, FieldRule>;
  /** Minimum number of metadata (non-required, non-reserved) fields. */
  minMetadata: number;
  maxMetadata: number;
  /** Where a metadata field is counted only if it is numeric or categorical/textual string. */
  metadataMustBeUsable: boolean;
}

// Custom dataset groups' required and reserved fields
// (https://docs.aws.amazon.com/personalize/latest/dg/custom-datasets-and-schemas.html).
const DATASET_RULES: Record<DatasetType, DatasetRules> = {
  INTERACTIONS: {
    required: { USER_ID: ID, ITEM_ID: ID, TIMESTAMP },
    reserved: {
      EVENT_TYPE: { types: ["string"], nullable: false, categorical: false },
      EVENT_VALUE: { types: ["float"], nullable: true },
      IMPRESSION: OPTIONAL_STRING,
      RECOMMENDATION_ID: OPTIONAL_STRING,
      EVENT_ATTRIBUTION_SOURCE: OPTIONAL_STRING,
    },
    minMetadata: 0,
    maxMetadata: 5,
    metadataMustBeUsable: false,
  },
  USERS: {
    required: { USER_ID: ID },
    reserved: {},
    minMetadata: 1,
    maxMetadata: 25,
    metadataMustBeUsable: true,
  },
  ITEMS: {
    required: { ITEM_ID: ID },
    reserved: { CREATION_TIMESTAMP: { types: ["long"], nullable: true } },
    minMetadata: 1,
    maxMetadata: 100,
    metadataMustBeUsable: true,
  },
  ACTIONS: {
    required: { ACTION_ID: ID },
    reserved: {
      VALUE: { types: ["int", "long", "float", "double"], nullable: true },
      CREATION_TIMESTAMP: { types: ["long"], nullable: true },
      REPEAT_FREQUENCY: { types: ["int", "long"], nullable: true },
      ACTION_EXPIRATION_TIMESTAMP: { types: ["long"], nullable: true },
    },
    minMetadata: 1,
    maxMetadata: 10,
    metadataMustBeUsable: false,
  },
  ACTION_INTERACTIONS: {
    required: {
      USER_ID: ID,
      ACTION_ID: ID,
      TIMESTAMP,
      EVENT_TYPE: { types: ["string"], nullable: false, categorical: false },
    },
    reserved: {},
    minMetadata: 0,
    maxMetadata: Number.POSITIVE_INFINITY,
    metadataMustBeUsable: false,
  },
};

// Domain variants: extra required fields
// (https://docs.aws.amazon.com/personalize/latest/dg/ECOMMERCE-datasets-and-schemas.html,
// https://docs.aws.amazon.com/personalize/latest/dg/VIDEO-ON-DEMAND-datasets-and-schemas.html).
const DOMAIN_REQUIRED: Record<Domain, Partial<Record<DatasetType, Record<string, FieldRule>>>> = {
  ECOMMERCE: {
    INTERACTIONS: { EVENT_TYPE: { types: ["string"], nullable: false, categorical: false } },
    ITEMS: {
      PRICE: { types: ["float"], nullable: false },
      CATEGORY_L1: { types: ["string"], nullable: false, categorical: true },
    },
  },
  VIDEO_ON_DEMAND: {
    INTERACTIONS: { EVENT_TYPE: { types: ["string"], nullable: false, categorical: false } },
    ITEMS: {
      GENRES: { types: ["string"], nullable: false, categorical: true },
      CREATION_TIMESTAMP: { types: ["long"], nullable: false },
    },
  },
};

function describeType(field: SchemaField): string {
  return field.nullable ? `["null", "${field.type}"]` : `"${field.type}"`;
}

function ruleProblems(field: SchemaField, rule: FieldRule, label: string): string[] {
  const problems: string[] = [];
  if (!rule.types.includes(field.type)) {
    const wanted = rule.types.map((t) => `"${t}"`).join(" or ");
    problems.push(
      `Field ${field.name} must be of type ${wanted} (${label}), got ${describeType(field)}`,
    );
  } else if (field.nullable && !rule.nullable) {
    problems.push(
      `Field ${field.name} must not be nullable (${label}), got ${describeType(field)}`,
    );
  }
  if (rule.categorical === true && !field.categorical) {
    problems.push(`Field ${field.name} must be "categorical": true (${label})`);
  }
  if (rule.categorical === false && field.categorical) {
    problems.push(`Field ${field.name} must not be categorical (${label})`);
  }
  return problems;
}

/**
 * Problems (empty when fine) of a schema for a dataset type, as CreateDataset checks them:
 * required fields and their types, reserved fields, metadata limits, domain variants.
 * Messages name the field.
 */
export function schemaProblemsForDataset(
  schema: PersonalizeSchema,
  datasetType: DatasetType,
  domain?: Domain,
): string[] {
  const problems: string[] = [];
  const expectedName = recordNameForDatasetType(datasetType);
  const simpleName = schema.name.slice(schema.name.lastIndexOf(".") + 1);
  if (simpleName !== expectedName) {
    problems.push(
      `Schema record name ${show(schema.name)} does not match dataset type ${datasetType}; it must be ${show(expectedName)}`,
    );
  }
  if (domain && (datasetType === "ACTIONS" || datasetType === "ACTION_INTERACTIONS")) {
    problems.push(
      `Dataset type ${datasetType} cannot be created in a ${domain} domain dataset group`,
    );
  }
  const rules = DATASET_RULES[datasetType];
  const required = { ...rules.required, ...(domain ? DOMAIN_REQUIRED[domain][datasetType] : {}) };
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const label = `${datasetType}${domain ? ` in ${domain}` : ""}`;
  for (const [name, rule] of Object.entries(required)) {
    const field = byName.get(name);
    if (!field) {
      problems.push(`Field ${name} is required for ${label} datasets but missing`);
    } else {
      problems.push(...ruleProblems(field, rule, `required for ${label}`));
    }
  }
  let metadata = 0;
  let textual = 0;
  for (const field of schema.fields) {
    if (field.name in rules.required) continue;
    // A domain's extra required fields (PRICE, GENRES, ...) are metadata the model trains on.
    if (field.name in required) {
      metadata++;
      continue;
    }
    const reserved = rules.reserved[field.name];
    if (reserved) {
      problems.push(...ruleProblems(field, reserved, `reserved in ${datasetType}`));
      continue;
    }
    if (field.textual) {
      textual++;
      if (datasetType !== "ITEMS") {
        problems.push(
          `Field ${field.name} is textual; only ITEMS datasets may have a textual field`,
        );
      }
    }
    const usable = field.type !== "string" || field.categorical || field.textual;
    if (!rules.metadataMustBeUsable || usable) metadata++;
  }
  if (textual > 1) {
    problems.push(`Schema has ${textual} textual fields; an ITEMS dataset may have at most 1`);
  }
  if (metadata < rules.minMetadata) {
    problems.push(
      rules.metadataMustBeUsable
        ? `Schema needs at least ${rules.minMetadata} metadata field (categorical or textual string, or numeric) besides the required fields for ${datasetType} datasets`
        : `Schema needs at least ${rules.minMetadata} metadata field besides the required fields for ${datasetType} datasets`,
    );
  }
  if (metadata > rules.maxMetadata) {
    problems.push(
      `Schema has ${metadata} metadata fields; ${datasetType} datasets allow at most ${rules.maxMetadata}`,
    );
  }
  return problems;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, sortKeys(obj[k])]),
    );
  }
  return value;
}

/** A canonical JSON text (parsed, keys in a stable order, no whitespace) so that two schemas differing only in formatting compare equal; throws SchemaError on invalid JSON. */
export function canonicalSchemaJson(text: string): string {
  return JSON.stringify(sortKeys(parseJson(text)));
}
