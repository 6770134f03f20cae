/**
 * `npm run validate -- --schema FILE [--dataset-type T] FILE.csv [--json]`: checks an import
 * file against an Avro schema exactly as the emulator's import job does (the same validator).
 * The file is read in pieces, so its size is bounded by the disk, not by memory.
 * Exit 0 valid, 1 invalid data, 2 usage (bad flag, unreadable file, invalid schema).
 */
import { readFileSync } from "node:fs";
import {
  DatasetType,
  DATASET_TYPES,
  datasetTypeForRecordName,
  normalizeDatasetType,
  parseSchema,
  PersonalizeSchema,
  recordNameForDatasetType,
  SchemaError,
  schemaProblemsForDataset,
} from "./avro";
import { numberFlag, parseCommandLine, runCommand, usageMessage, UsageError } from "../cli/args";
import { fileChunks } from "./file-chunks";
import { CsvValidator, trainingMinimumsProblem, ValidationResult } from "./validator";

const COMMAND = "npm run validate";

const USAGE = `usage: npm run validate -- --schema FILE [--dataset-type T] [--max-issues N] [--json] FILE.csv
  --schema FILE       the Avro schema (.avsc) the dataset uses (required)
  --dataset-type T    ${DATASET_TYPES.join(", ")} (any case); default: inferred from the schema's record name
  --max-issues N      how many problems to list (default 20)
  --json              print one JSON object (ok, failureReason, issues, stats) as the last line of stdout
  --help              show this help
exit status: 0 valid, 1 invalid data, 2 usage error (unknown flag, unreadable file, invalid schema)`;

const FLAGS = {
  schema: { type: "string" },
  "dataset-type": { type: "string" },
  "max-issues": { type: "string" },
  json: { type: "boolean" },
} as const;

interface Args {
  schema: string;
  datasetType?: string;
  maxIssues: number;
  json: boolean;
  csv: string;
}

/** The command line (`cli/args.ts` reads it: `--flag value` or `--flag=value`), or `"help"`. */
function parseValidateArgs(argv: string[]): Args | "help" {
  const parsed = parseCommandLine(argv, FLAGS, { positionals: true });
  if (parsed === "help") return "help";
  const { values, positionals: files } = parsed;
  if (!values.schema) throw new UsageError("--schema FILE is required");
  if (files.length !== 1) {
    throw new UsageError(
      files.length === 0
        ? "the CSV file to validate is missing"
        : `expected one CSV file, got ${files.length}: ${files.join(" ")}`,
    );
  }
  const maxIssues = values["max-issues"];
  return {
    schema: values.schema,
    datasetType: values["dataset-type"],
    maxIssues:
      maxIssues === undefined
        ? 20
        : numberFlag("--max-issues", maxIssues, { integer: true, min: 0 }),
    json: values.json ?? false,
    csv: files[0],
  };
}

function unreadable(path: string, what: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === "ENOENT"
      ? "no such file"
      : code === "EISDIR"
        ? "it is a directory"
        : (err as Error).message;
  return new UsageError(`cannot read ${what} ${JSON.stringify(path)}: ${why}`);
}

function readOrUsage(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw unreadable(path, what, err);
  }
}

/** Validates the file piece by piece, reading no further once the result is settled. */
function validateFile(path: string, validator: CsvValidator): ValidationResult {
  try {
    for (const chunk of fileChunks(path)) {
      validator.write(chunk);
      if (validator.settled) break;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === undefined) throw err;
    throw unreadable(path, "CSV file", err);
  }
  return validator.end();
}

function loadSchema(path: string): PersonalizeSchema {
  const text = readOrUsage(path, "schema file").toString("utf8");
  try {
    return parseSchema(text);
  } catch (err) {
    if (err instanceof SchemaError)
      throw new UsageError(`invalid schema ${JSON.stringify(path)}: ${err.message}`);
    throw err;
  }
}

function resolveDatasetType(schema: PersonalizeSchema, requested: string | undefined): DatasetType {
  if (requested !== undefined) {
    const t = normalizeDatasetType(requested);
    if (!t) {
      throw new UsageError(
        `--dataset-type must be one of ${DATASET_TYPES.join(", ")}, got ${JSON.stringify(requested)}`,
      );
    }
    return t;
  }
  const inferred = datasetTypeForRecordName(schema.name);
  if (!inferred) {
    throw new UsageError(
      `cannot infer the dataset type from the schema's record name ${JSON.stringify(schema.name)} (expected one of ${DATASET_TYPES.map(recordNameForDatasetType).join(", ")}); pass --dataset-type`,
    );
  }
  return inferred;
}

function printHuman(
  file: string,
  datasetType: DatasetType,
  result: ValidationResult,
  training?: string,
): void {
  const { stats } = result;
  console.log(`${file}: ${result.ok ? "valid" : "INVALID"} ${datasetType} data`);
  if (!result.ok) console.log(`  failure: ${result.failureReason}`);
  console.log(`  records: ${stats.records}`);
  console.log(`  users: ${stats.users} (${stats.usersWithAtLeastTwo} with at least 2 records)`);
  console.log(`  items: ${stats.items}`);
  const events = Object.entries(stats.eventTypes);
  if (events.length > 0)
    console.log(`  event types: ${events.map(([e, n]) => `${e} ${n}`).join(", ")}`);
  if (stats.firstTimestamp !== undefined && stats.lastTimestamp !== undefined) {
    const iso = (s: number): string =>
      Math.abs(s) < 8.64e12 ? new Date(s * 1000).toISOString() : String(s);
    console.log(`  time range: ${iso(stats.firstTimestamp)} .. ${iso(stats.lastTimestamp)}`);
  }
  if (training) console.log(`  training minimums: not met: ${training}`);
  else if (result.ok && datasetType === "INTERACTIONS") console.log("  training minimums: met");
  for (const warning of result.warnings) console.log(`  warning: ${warning.message}`);
  if (result.issues.length > 0) {
    console.log(`issues (${result.issues.length} listed):`);
    for (const issue of result.issues) console.log(`  ${issue.message}`);
  }
}

function main(argv: string[]): number {
  const json = argv.includes("--json");
  try {
    const args = parseValidateArgs(argv);
    if (args === "help") {
      console.log(USAGE);
      return 0;
    }
    const schema = loadSchema(args.schema);
    const datasetType = resolveDatasetType(schema, args.datasetType);
    const problems = schemaProblemsForDataset(schema, datasetType);
    if (problems.length > 0) {
      throw new UsageError(
        `schema ${JSON.stringify(args.schema)} is not valid for ${datasetType} datasets: ${problems.join("; ")}`,
      );
    }
    const result = validateFile(
      args.csv,
      new CsvValidator(schema, datasetType, { maxIssues: args.maxIssues }),
    );
    const training =
      result.ok && datasetType === "INTERACTIONS"
        ? trainingMinimumsProblem(result.stats)
        : undefined;
    if (args.json) {
      console.log(
        JSON.stringify({
          ok: result.ok,
          failureReason: result.failureReason ?? null,
          datasetType,
          issues: result.issues,
          warnings: result.warnings,
          stats: result.stats,
          trainingMinimumsProblem: training ?? null,
        }),
      );
    } else printHuman(args.csv, datasetType, result, training);
    return result.ok ? 0 : 1;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(usageMessage(COMMAND, err.message));
    if (json) console.log(JSON.stringify({ ok: false, usageError: err.message }));
    return 2;
  }
}

runCommand(COMMAND, () => main(process.argv.slice(2)));
