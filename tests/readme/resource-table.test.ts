// The README's table of Personalize resources is written by `npm run docs` from the kinds'
// tables: it must say what the providers do, kind by kind and cell by cell.
import * as assert from "assert";
import * as fs from "fs";
import { PERSONALIZE_SPECS, RESOURCE_TABLE_HEADER, resourceRow } from "../../providers/docs";
import { between, README } from "../../scripts/resource-table";

/** The cells of a Markdown table's rows, the separator row left out. */
function cells(table: string): string[][] {
  return table
    .split("\n")
    .filter((line) => line.trim().startsWith("|"))
    .map((line) =>
      line
        .trim()
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    )
    .filter((row) => !row.every((cell) => /^-+$/.test(cell)));
}

describe("README: the table of Personalize resources", () => {
  it("is the one the providers' tables give, row by row", () => {
    const [header, ...rows] = cells(between(fs.readFileSync(README, "utf8")).inside);
    assert.deepStrictEqual(header, [...RESOURCE_TABLE_HEADER]);
    assert.deepStrictEqual(rows, PERSONALIZE_SPECS.map(resourceRow));
  });

  it("names every kind's replacing and updating fields, so a changed rule shows", () => {
    const [solution] = PERSONALIZE_SPECS.filter((spec) => spec.kind === "Solution");
    const changed = { ...solution, fields: { ...solution.fields, eventType: "update" as const } };
    assert.notDeepStrictEqual(resourceRow(changed), resourceRow(solution));
    assert.match(resourceRow(changed)[2], /\beventType\b/);
    assert.doesNotMatch(resourceRow(changed)[1], /\beventType\b/);
  });
});
