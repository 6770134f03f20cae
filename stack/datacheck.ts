import { parseSchema, PersonalizeSchema } from "../schemas/avro";
import {
  ColumnarData,
  columnValue,
  DataStats,
  trainingMinimumsProblem,
  validateCsv,
} from "../schemas/validator";
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
  const result = validateCsv(data, schema, "INTERACTIONS", {
    maxIssues: 5,
    // With an eventType the service trains on that type's events only, users included.
    ...(eventType === undefined
      ? {}
      : { collect: true, collectColumns: ["USER_ID", "EVENT_TYPE"] }),
  });
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
  const usersWithAtLeastTwo =
    eventType === undefined || result.data === undefined
      ? result.stats.usersWithAtLeastTwo
      : usersWithTwoOf(result.data, eventType);
  const tooSmall = trainingMinimumsProblem({ records, usersWithAtLeastTwo });
  if (tooSmall !== undefined) {
    const filter = eventType === undefined ? "" : ` (eventType ${JSON.stringify(eventType)})`;
    throw new Error(
      `${PROJECT}:dataFile ${JSON.stringify(dataFile)} is too small to train a solution${filter}: ${tooSmall}`,
    );
  }
  return result.stats;
}

/** Users with at least two events of `eventType`, the count the service trains on. */
function usersWithTwoOf(data: ColumnarData, eventType: string): number {
  const users = data.columns.USER_ID;
  const types = data.columns.EVENT_TYPE;
  if (users === undefined || types === undefined) return 0;
  const counts = new Map<unknown, number>();
  let atLeastTwo = 0;
  for (let row = 0; row < data.rows; row++) {
    if (columnValue(types, row) !== eventType) continue;
    const user = columnValue(users, row);
    const count = (counts.get(user) ?? 0) + 1;
    counts.set(user, count);
    if (count === 2) atLeastTwo++;
  }
  return atLeastTwo;
}
