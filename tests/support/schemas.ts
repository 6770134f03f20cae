/** Avro schema fixtures shared by the emulator, data-plane, provider and schema tests. */

export interface AvroField {
  name: string;
  type: unknown;
  categorical?: boolean;
  textual?: boolean;
}

/**
 * A Personalize Avro record schema as text. `extra` goes after `fields` (by default the
 * `version` the service's examples carry; pass `{}` for a record without one).
 */
export function avroSchema(
  name: string,
  fields: AvroField[],
  extra: Record<string, unknown> = { version: "1.0" },
): string {
  return JSON.stringify({
    type: "record",
    name,
    namespace: "com.amazonaws.personalize.schema",
    fields,
    ...extra,
  });
}

/** The three fields every Interactions schema must have, in the order the tests' CSVs use. */
export const REQUIRED_INTERACTION_FIELDS: AvroField[] = [
  { name: "USER_ID", type: "string" },
  { name: "ITEM_ID", type: "string" },
  { name: "TIMESTAMP", type: "long" },
];

/** USER_ID, ITEM_ID, TIMESTAMP: the smallest valid Interactions schema. */
export const MINIMAL_INTERACTIONS_SCHEMA = avroSchema("Interactions", REQUIRED_INTERACTION_FIELDS);

/** USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP. */
export const INTERACTIONS_SCHEMA = avroSchema("Interactions", [
  { name: "USER_ID", type: "string" },
  { name: "ITEM_ID", type: "string" },
  { name: "EVENT_TYPE", type: "string" },
  { name: "TIMESTAMP", type: "long" },
]);

/** USER_ID, ITEM_ID, EVENT_TYPE, EVENT_VALUE (nullable float), TIMESTAMP. */
export const INTERACTIONS_WITH_VALUE_SCHEMA = avroSchema("Interactions", [
  { name: "USER_ID", type: "string" },
  { name: "ITEM_ID", type: "string" },
  { name: "EVENT_TYPE", type: "string" },
  { name: "EVENT_VALUE", type: ["null", "float"] },
  { name: "TIMESTAMP", type: "long" },
]);

/**
 * An Items schema: ITEM_ID, one categorical string column `category`, then each of `extra`
 * as a nullable categorical string.
 */
export function itemsSchema(category = "CATEGORY", ...extra: string[]): string {
  return avroSchema("Items", [
    { name: "ITEM_ID", type: "string" },
    { name: category, type: "string", categorical: true },
    ...extra.map((name) => ({ name, type: ["null", "string"], categorical: true })),
  ]);
}
