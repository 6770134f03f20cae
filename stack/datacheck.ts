import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseSchema, PersonalizeSchema } from "../schemas/avro";
import { atomicWrite } from "../schemas/atomic-write";
import { CsvValidator, DataStats, trainingMinimumsProblem } from "../schemas/validator";
import { errorMessage } from "../providers/client";
import { loadedModules } from "../providers/module-graph";
import { show } from "../rules/show";
import { PROJECT } from "./config";
import { sha256Hex } from "./hash";

export interface DataCheckInput {
  /** The configured paths, as the user wrote them: the errors name them. */
  readonly dataFile: string;
  readonly schemaFile: string;
  /** The file's bytes (or text), whole or in pieces in order (e.g. `fileChunks(path)`). */
  readonly data: Uint8Array | string | Iterable<Uint8Array>;
  readonly schemaText: string;
  /** The solution's event-type filter: the training minimums count only those events. */
  readonly eventType?: string;
}

export interface DataCheck {
  readonly stats: DataStats;
  /** One sentence each, as the validator words them. */
  readonly warnings: string[];
}

/**
 * Checks the interactions file against its schema and Personalize's minimums while the
 * program runs, i.e. during `pulumi preview` too, with the validator the emulator's import
 * jobs use. On AWS the same mistakes surface only after the upload, as an import job or a
 * solution version in CREATE FAILED, possibly hours into an `up`. The data is read once, piece
 * by piece, so a file of any size is checked in bounded memory.
 *
 * It runs here, in the program, rather than in the import job's `check`: the program has the
 * file (it reads it for the job's `dataHash` and for this check) and the schema, while the
 * import job gets only `dataLocation`, an S3 URI that a preview may not know yet (an autonamed
 * bucket on AWS) and whose object the first preview has not uploaded; and a check in the
 * provider would put the validator into every import job's stored provider code, which
 * `destroy` runs. Here a bad file fails the preview before any resource is registered, naming
 * the config key.
 *
 * Returns the file's statistics and the validator's warnings (e.g. columns the schema does not
 * have, which the import ignores); throws with the service's own wording when the import or
 * the training would fail.
 */
export function checkInteractionsData(input: DataCheckInput): DataCheck {
  const { dataFile, schemaFile, data, schemaText, eventType } = input;
  let schema: PersonalizeSchema;
  try {
    schema = parseSchema(schemaText);
  } catch (err) {
    throw new Error(
      `${PROJECT}:schemaFile ${show(schemaFile)} is not a valid Personalize schema: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  // With an eventType the service trains on that type's events only, users included.
  const validator = new CsvValidator(schema, "INTERACTIONS", { maxIssues: 5, eventType });
  if (typeof data === "string" || data instanceof Uint8Array) validator.write(data);
  else {
    for (const chunk of data) {
      validator.write(chunk);
      if (validator.settled) break;
    }
  }
  const result = validator.end();
  if (!result.ok) {
    const more =
      result.issues.length > 1
        ? ` (${result.issues.length}${result.issues.length >= 5 ? " or more" : ""} problems; ` +
          `npm run validate -- --schema ${schemaFile} ${dataFile} lists them)`
        : "";
    throw new Error(
      `${PROJECT}:dataFile ${show(dataFile)} would fail to import with ${schemaFile}: ` +
        `${result.failureReason}${more}`,
    );
  }
  const { records, usersWithAtLeastTwo } = result.stats.forEventType ?? result.stats;
  const tooSmall = trainingMinimumsProblem({ records, usersWithAtLeastTwo });
  if (tooSmall !== undefined) {
    const filter = eventType === undefined ? "" : ` (eventType ${show(eventType)})`;
    throw new Error(
      `${PROJECT}:dataFile ${show(dataFile)} is too small to train a solution${filter}: ${tooSmall}`,
    );
  }
  return { stats: result.stats, warnings: result.warnings.map((w) => w.message) };
}

/** Where passed checks are recorded, unless DATA_CHECK_CACHE_DIR names another directory. */
export const DEFAULT_CHECK_CACHE_DIR = path.join("node_modules", ".cache", "data-check");

export interface RememberedCheckInput extends Omit<DataCheckInput, "data"> {
  /** The data file's absolute path: the name of its record. */
  readonly dataPath: string;
  /** The data's sha256, hex (the import job's `dataHash`). */
  readonly dataHash: string;
  /** Reads the data, only when no record answers for it. */
  readonly data: () => DataCheckInput["data"];
  /** The directory of the records: one file per data file. */
  readonly cacheDir: string;
}

export interface RememberedCheck {
  readonly warnings: string[];
  /** The check passed before, for the same data, schema, eventType and checking code. */
  readonly remembered: boolean;
}

/**
 * checkInteractionsData, remembered between runs: a check that passed is recorded under the
 * data's sha256, the schema's text, the eventType and the text of the code that checks, so a
 * preview of a file already checked reads one small record instead of every row again (0.1 s
 * for the sample, about 4 s for a million rows). A failed check is not recorded: it runs
 * again and reports in full. A record that cannot be read or written costs a check, never a
 * run.
 */
export function checkInteractionsDataOnce(input: RememberedCheckInput): RememberedCheck {
  const { dataPath, dataHash, data, cacheDir, ...check } = input;
  const key = sha256Hex(
    JSON.stringify([dataHash, sha256Hex(check.schemaText), check.eventType ?? null, checkerCode()]),
  );
  const file = path.join(cacheDir, `${sha256Hex(dataPath).slice(0, 32)}.json`);
  const recorded = readRecord(file);
  if (recorded?.key === key) return { warnings: recorded.warnings, remembered: true };
  // The bytes checked are hashed again: a file that changed since `dataHash` was taken gets
  // no record under that hash.
  const given = data();
  const read = createHash("sha256");
  function* hashed(): Generator<Uint8Array> {
    for (const chunk of typeof given === "string" || given instanceof Uint8Array
      ? [given]
      : given) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      read.update(bytes);
      yield bytes;
    }
  }
  const { warnings } = checkInteractionsData({ ...check, data: hashed() });
  if (read.digest("hex") !== dataHash) return { warnings, remembered: false };
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    atomicWrite(file, Buffer.from(JSON.stringify({ key, warnings } satisfies CheckRecord)));
  } catch (error) {
    process.stderr.write(`data check not recorded (${file}): ${errorMessage(error)}\n`);
  }
  return { warnings, remembered: false };
}

interface CheckRecord {
  key: string;
  warnings: string[];
}

function readRecord(file: string): CheckRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<CheckRecord>;
    const { key, warnings } = record;
    return typeof key === "string" &&
      Array.isArray(warnings) &&
      warnings.every((w) => typeof w === "string")
      ? { key, warnings }
      : undefined;
  } catch {
    // None yet, or damaged: the check runs and writes it again.
    return undefined;
  }
}

let checkerText: string | undefined;

/** The hash of the checking code's text (checkerFiles), once per process. */
function checkerCode(): string {
  if (checkerText === undefined) {
    const hash = createHash("sha256");
    for (const file of checkerFiles()) hash.update(`${file}\0${fs.readFileSync(file, "utf8")}\0`);
    checkerText = hash.digest("hex");
  }
  return checkerText;
}

/**
 * This module and every project module it requires, directly or not, as this process loaded
 * them, sorted: the code that decides a check's outcome. A record made by other code is void.
 */
export function checkerFiles(): string[] {
  const ofProject = (loaded: NodeModule) =>
    !loaded.filename.includes(`${path.sep}node_modules${path.sep}`);
  return [...loadedModules(module, ofProject)]
    .filter(ofProject)
    .map((loaded) => loaded.filename)
    .sort();
}
