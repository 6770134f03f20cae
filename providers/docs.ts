/**
 * The README's table of Personalize resources, rendered from the kinds' tables so that the two
 * cannot disagree: `npm run docs` writes it, and a test compares it with the README.
 */
import { campaignSpec } from "./campaign";
import { datasetSpec } from "./dataset";
import { datasetGroupSpec } from "./datasetGroup";
import { datasetImportJobSpec } from "./datasetImportJob";
import { eventTrackerSpec } from "./eventTracker";
import { filterSpec } from "./filter";
import { AnySpec, fixedChange } from "./lifecycle";
import { schemaSpec } from "./schema";
import { solutionSpec } from "./solution";
import { solutionVersionSpec } from "./solutionVersion";
import type { Change, FieldRule } from "./spec";

/** Every Personalize kind, in the order a pipeline creates them. */
export const PERSONALIZE_SPECS: readonly AnySpec[] = [
  datasetGroupSpec,
  schemaSpec,
  datasetSpec,
  datasetImportJobSpec,
  solutionSpec,
  solutionVersionSpec,
  campaignSpec,
  eventTrackerSpec,
  filterSpec,
];

/** The README table's header. */
export const RESOURCE_TABLE_HEADER = [
  "resource",
  "replace",
  "update in place",
  "default timeout",
  "outputs besides arn, status and the inputs",
] as const;

/** How the table names a field whose change `change` makes: with its notes, if any. */
function describeField(field: string, rule: FieldRule, change: Change): string | undefined {
  const fixed = fixedChange(rule);
  if (fixed !== undefined && fixed !== change) return undefined;
  if (typeof rule === "string") return field;
  const notes = [
    fixed === undefined && "when" in rule ? rule.when[change] : undefined,
    rule.normalize?.note,
    rule.note,
  ].filter((note) => note !== undefined);
  return notes.length > 0 ? `${field} (${notes.join("; ")})` : field;
}

/** One row of the table, cell by cell. */
export function resourceRow(spec: AnySpec): string[] {
  const fields = Object.entries(spec.fields);
  const named = (change: Change) =>
    fields
      .map(([field, rule]) => describeField(field, rule, change))
      .filter((cell) => cell !== undefined);
  const replace = [...named("replace"), "region"];
  const update = [...named("update"), ...(spec.taggable ? ["tags"] : [])];
  // An input stored under another key, because the service's value has its name.
  const keptAs = Object.entries(spec.outputKeyOf ?? {});
  const outputs = Object.keys(spec.outputs ?? {}).map((key) => {
    const kept = keptAs.find(([input]) => input === key)?.[1];
    return kept ? `${key} (the service's; the input is ${kept})` : key;
  });
  return [
    spec.kind,
    replace.join(", "),
    update.length > 0 ? update.join(", ") : "—",
    `${spec.defaultTimeoutMinutes} min`,
    outputs.length > 0 ? outputs.join(", ") : "—",
  ];
}

/** The whole table as Markdown (unaligned: Prettier aligns it). */
export function resourceTable(specs: readonly AnySpec[] = PERSONALIZE_SPECS): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(RESOURCE_TABLE_HEADER),
    line(RESOURCE_TABLE_HEADER.map(() => "---")),
    ...specs.map((spec) => line(resourceRow(spec))),
  ].join("\n");
}
