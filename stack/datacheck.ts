import { parseSchema, PersonalizeSchema } from "../schemas/avro";
import { CsvValidator, DataStats, trainingMinimumsProblem } from "../schemas/validator";
import { errorMessage } from "../providers/client";
import { show } from "../rules/show";
import { PROJECT } from "./config";

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
 * file (it reads it once for this check and the job's `dataHash`) and the schema, while the
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
