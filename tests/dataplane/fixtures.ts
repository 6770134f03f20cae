/**
 * Small deterministic interaction data for the data-plane tests: users who prefer one
 * category of items, so a per-user model has something real to find.
 */
import { INTERACTIONS_WITH_VALUE_SCHEMA, itemsSchema } from "../support/schemas";
import { seededRandom } from "../../emulator/random";
import { InteractionTable, type InteractionColumns } from "../../emulator/ml/interactions";

/** USER_ID, ITEM_ID, EVENT_TYPE, EVENT_VALUE, TIMESTAMP: the columns `toCsv` writes. */
export const SCHEMA = INTERACTIONS_WITH_VALUE_SCHEMA;
export const ITEMS_SCHEMA = itemsSchema("CATEGORY");

export interface Interaction {
  user: string;
  item: string;
  type: string;
  value: number | null;
  time: number;
}

export const CATEGORIES = ["shoes", "hats", "bags", "belts"];
export const START = 1_780_000_000;

export const categoryOf = (item: string) => item.split("-")[0];
export const userCategory = (user: number) => CATEGORIES[user % CATEGORIES.length];

/**
 * `users` users with `perUser` events each; user u mostly (85%) picks items of category
 * u % 4, items within a category skewed towards low numbers (some are popular).
 */
export function interactions(users: number, perUser: number, seed = 7): Interaction[] {
  const rnd = seededRandom(seed);
  const out: Interaction[] = [];
  for (let u = 0; u < users; u++) {
    for (let k = 0; k < perUser; k++) {
      const category = rnd() < 0.85 ? userCategory(u) : CATEGORIES[Math.floor(rnd() * 4)];
      const item = `${category}-${Math.floor(rnd() * rnd() * 20)}`;
      const type = k % 3 === 2 ? "purchase" : "click";
      out.push({
        user: `user-${u}`,
        item,
        type,
        value: type === "purchase" ? 1 + (k % 5) : 0.5,
        time: START + k * 3600 + u,
      });
    }
  }
  return out;
}

export function toCsv(rows: Interaction[]): string {
  const lines = ["USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP"];
  for (const r of rows) lines.push(`${r.user},${r.item},${r.type},${r.value ?? ""},${r.time}`);
  return lines.join("\n") + "\n";
}

export function toColumns(rows: Interaction[]): InteractionColumns {
  const table = new InteractionTable();
  for (const r of rows) table.append(r.user, r.item, r.time, r.type, r.value);
  return table.columns();
}
