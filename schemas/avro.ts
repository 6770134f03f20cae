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
