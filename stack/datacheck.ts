import { parseSchema, PersonalizeSchema } from "../schemas/avro";
import { DataStats, trainingMinimumsProblem, validateCsv } from "../schemas/validator";
import { PROJECT } from "./config";

export interface DataCheckInput {
  /** The configured paths, as the user wrote them: the errors name them. */
  readonly dataFile: string;
  readonly schemaFile: string;
  readonly data: Buffer | string;
  readonly schemaText: string;
  /** The solution's event-type filter: the training minimums count only those events. */
  readonly eventType?: string;
}

/**
 * Checks the interactions file against its schema and Personalize's minimums while the
 * program runs, i.e. during `pulumi preview` too, with the validator the emulator's import
 * jobs use. On AWS the same mistakes surface only after the upload, as an import job or a
 * solution version in CREATE FAILED, possibly hours into an `up`.
 *
 * Returns the file's statistics; throws with the service's own wording otherwise.
 */
export function checkInteractionsData(input: DataCheckInput): DataStats {
  const { dataFile, schemaFile, data, schemaText, eventType } = input;
  let schema: PersonalizeSchema;
  try {
    schema = parseSchema(schemaText);
  } catch (err) {
    throw new Error(
      `${PROJECT}:schemaFile ${JSON.stringify(schemaFile)} is not a valid Personalize schema: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const result = validateCsv(data, schema, "INTERACTIONS", { maxIssues: 5 });
  if (!result.ok) {
    const more =
      result.issues.length > 1
        ? ` (${result.issues.length}${result.issues.length >= 5 ? " or more" : ""} problems; ` +
          `npm run validate -- --schema ${schemaFile} ${dataFile} lists them)`
        : "";
    throw new Error(
      `${PROJECT}:dataFile ${JSON.stringify(dataFile)} would fail to import with ${schemaFile}: ` +
        `${result.failureReason}${more}`,
    );
  }
  const records =
    eventType === undefined ? result.stats.records : (result.stats.eventTypes[eventType] ?? 0);
  // Users are counted over all events: the validator does not split them by event type, so
  // with an eventType filter this part of the check is a lower bound of what the service counts.
  const tooSmall = trainingMinimumsProblem({
    records,
    usersWithAtLeastTwo: result.stats.usersWithAtLeastTwo,
  });
  if (tooSmall !== undefined) {
    const filter = eventType === undefined ? "" : ` (eventType ${JSON.stringify(eventType)})`;
    throw new Error(
      `${PROJECT}:dataFile ${JSON.stringify(dataFile)} is too small to train a solution${filter}: ${tooSmall}`,
    );
  }
  return result.stats;
}
