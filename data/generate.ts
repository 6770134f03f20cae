/**
 * `npm run generate-data [-- --out FILE --users N --seed S]`: writes a deterministic sample of
 * the workshop's interactions CSV: Segment events after the workshop's Glue transform, columns
 * ANONYMOUS_ID,USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP_ISO,TIMESTAMP (README.md, "Columns the
 * schema does not have", links the workshop's own file).
 *
 * The data has structure a recommender can find: users prefer one or two product categories
 * and come back to favourite products, while a few products are popular with everyone, so a
 * per-user model beats global popularity on each user's most recent interactions.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { numberFlag, parseCommandLine, runCommand, userPath } from "../cli/args";
import { seededRandom } from "../emulator/random";

export interface GenerateOptions {
  /** @default 400 */
  users?: number;
  /** @default 20261001 */
  seed?: number;
}

export const DEFAULT_USERS = 400;
export const DEFAULT_SEED = 20261001;
export const DEFAULT_OUT = join(__dirname, "interactions.csv");
export const HEADER = "ANONYMOUS_ID,USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP_ISO,TIMESTAMP";
export const EVENT_TYPES = ["Product Clicked", "Product Added", "Order Completed"] as const;

/** Fixed, so the committed file is reproducible byte for byte. */
const START = Date.UTC(2026, 8, 1, 0, 0, 0);
const SPAN_DAYS = 28;

const COLOURS = [
  "navy",
  "black",
  "white",
  "grey",
  "olive",
  "red",
  "tan",
  "blue",
  "green",
  "cream",
  "brown",
  "pink",
  "charcoal",
  "burgundy",
  "khaki",
  "teal",
];

/**
 * Eight categories: material/style words and product nouns that build slugs like
 * navy-sport-jacket. One row per category ("name: styles... / nouns..."), split once here.
 */
const CATEGORIES: { name: string; styles: string[]; nouns: string[] }[] = [
  "outerwear: sport wool quilted rain denim / jacket coat parka",
  "shoes: leather canvas running suede trail / sneakers boots loafers",
  "bags: leather nylon canvas travel mini / backpack tote duffel",
  "tops: cotton linen striped oxford merino / shirt tee sweater",
  "bottoms: slim chino cargo relaxed stretch / jeans trousers shorts",
  "accessories: knit silk leather wool printed / scarf belt beanie",
  "watches: steel field dive digital classic / watch chronograph smartwatch",
  "eyewear: aviator round square polarized retro / sunglasses glasses goggles",
].map((row) => {
  const [name, words] = row.split(": ");
  const [styles, nouns] = words.split(" / ").map((list) => list.split(" "));
  return { name, styles, nouns };
});
const PRODUCTS_PER_CATEGORY = 15;

interface Event {
  anonymousId: string;
  userId: string;
  itemId: string;
  eventType: (typeof EVENT_TYPES)[number];
  ms: number;
}

function pick<T>(rand: () => number, values: readonly T[]): T {
  return values[Math.floor(rand() * values.length)];
}

/** Index drawn with probability proportional to weights[i]. */
function weighted(rand: () => number, weights: number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let r = rand() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  return weights.length - 1;
}

function uuid(rand: () => number): string {
  const hex = (n: number): string =>
    Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join("");
  const variant = "89ab"[Math.floor(rand() * 4)];
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
}

function catalogue(rand: () => number): string[][] {
  const seen = new Set<string>();
  return CATEGORIES.map((category) => {
    const products: string[] = [];
    while (products.length < PRODUCTS_PER_CATEGORY) {
      const slug = `${pick(rand, COLOURS)}-${pick(rand, category.styles)}-${pick(rand, category.nouns)}`;
      if (seen.has(slug)) continue;
      seen.add(slug);
      products.push(slug);
    }
    return products;
  });
}

function events(options: GenerateOptions): Event[] {
  const rand = seededRandom(options.seed ?? DEFAULT_SEED);
  const products = catalogue(rand);
  // A few products are popular with everyone: popularity falls off with rank in each category.
  const popularity = products.map((list) => list.map((_, rank) => 1 / (1 + rank) ** 1.1));
  const userIds = new Set<string>();
  const out: Event[] = [];
  const userCount = options.users ?? DEFAULT_USERS;
  for (let u = 0; u < userCount; u++) {
    let userId: string;
    do userId = String(1000000000 + Math.floor(rand() * 9000000000));
    while (userIds.has(userId));
    userIds.add(userId);
    const devices = [uuid(rand), ...(rand() < 0.3 ? [uuid(rand)] : [])];
    const first = Math.floor(rand() * CATEGORIES.length);
    const preferred = rand() < 0.5 ? [first] : [first, (first + 1 + Math.floor(rand() * 7)) % 8];
    // Each user has personal favourites, revisited across sessions.
    const affinity = products.map((list, c) =>
      list.map(
        (_, i) => popularity[c][i] * (rand() < 0.25 ? 6 : 1) * (preferred.includes(c) ? 1 : 0.15),
      ),
    );
    const sessions = 4 + Math.floor(rand() * 10);
    for (let s = 0; s < sessions; s++) {
      let ms = START + Math.floor(rand() * (SPAN_DAYS * 86400000 - 3600000));
      const anonymousId = pick(rand, devices);
      const category =
        rand() < 0.85 ? pick(rand, preferred) : Math.floor(rand() * CATEGORIES.length);
      const clicks = 1 + Math.floor(rand() * 6);
      for (let k = 0; k < clicks; k++) {
        const itemId = products[category][weighted(rand, affinity[category])];
        ms += 5000 + Math.floor(rand() * 90000);
        out.push({ anonymousId, userId, itemId, eventType: "Product Clicked", ms });
        // The funnel: about a third of clicks add to cart, about 40% of adds complete an order.
        if (rand() < 0.33) {
          ms += 3000 + Math.floor(rand() * 60000);
          out.push({ anonymousId, userId, itemId, eventType: "Product Added", ms });
          if (rand() < 0.4) {
            ms += 20000 + Math.floor(rand() * 240000);
            out.push({ anonymousId, userId, itemId, eventType: "Order Completed", ms });
          }
        }
      }
    }
  }
  return out.sort(
    (a, b) => a.ms - b.ms || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0),
  );
}

/** The CSV text, with quoting that varies per field as the workshop's export does. */
export function generateInteractions(options: GenerateOptions = {}): string {
  const quoting = seededRandom((options.seed ?? DEFAULT_SEED) ^ 0x5eed);
  const maybeQuote = (value: string, p: number): string => (quoting() < p ? `"${value}"` : value);
  const lines = [HEADER];
  for (const e of events(options)) {
    lines.push(
      [
        maybeQuote(e.anonymousId, 0.5),
        maybeQuote(e.userId, 0.2),
        maybeQuote(e.itemId, 0.3),
        maybeQuote(e.eventType, 0.9),
        maybeQuote(new Date(e.ms).toISOString(), 0.5),
        String(Math.floor(e.ms / 1000)),
      ].join(","),
    );
  }
  return lines.join("\n") + "\n";
}

const USAGE = `usage: npm run generate-data [-- --out FILE --users N --seed S]
  --out FILE   where to write the CSV (default data/interactions.csv; a relative path is taken
               from the directory npm was run in)
  --users N    number of users (default ${DEFAULT_USERS})
  --seed S     PRNG seed, an integer (default ${DEFAULT_SEED}; a negative one as --seed=-5)
  --help       show this help`;

const FLAGS = {
  out: { type: "string" },
  users: { type: "string" },
  seed: { type: "string" },
} as const;

function main(argv: string[]): number {
  const parsed = parseCommandLine(argv, FLAGS);
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
  }
  const { values } = parsed;
  const options: GenerateOptions = {};
  if (values.users !== undefined) {
    options.users = numberFlag("--users", values.users, { integer: true, min: 1 });
  }
  if (values.seed !== undefined)
    options.seed = numberFlag("--seed", values.seed, { integer: true });
  const out = values.out === undefined ? DEFAULT_OUT : userPath(values.out);
  const csv = generateInteractions(options);
  writeFileSync(out, csv);
  console.log(`wrote ${csv.split("\n").length - 2} interactions to ${out}`);
  return 0;
}

if (require.main === module) runCommand("npm run generate-data", () => main(process.argv.slice(2)));
