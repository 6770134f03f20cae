/**
 * Data made worse on purpose: the same rows with the ITEM_ID column shuffled among them (a
 * seeded permutation), so every user's history becomes noise while the file keeps its size,
 * users, items, event types and times, and still imports. A model trained on it scores far
 * lower, which is what the quality gate's tests need.
 */
import { seededRandom } from "../../emulator/random";
import { csvRecords } from "../../schemas/csv";

const quoted = (field: string) =>
  /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;

export function shuffleItemIds(csv: string, seed = 7): string {
  const rows: string[][] = [];
  for (const record of csvRecords([csv])) {
    rows.push(Array.from({ length: record.count }, (_, i) => record.field(i)));
  }
  const [header, ...body] = rows;
  const column = header.map((c) => c.trim().toUpperCase()).indexOf("ITEM_ID");
  if (column < 0) throw new Error(`no ITEM_ID column in ${header.join(",")}`);
  const items = body.map((row) => row[column]);
  const random = seededRandom(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  body.forEach((row, i) => (row[column] = items[i]));
  return [header, ...body].map((row) => row.map(quoted).join(",")).join("\n") + "\n";
}
