import { parseSchema, PersonalizeSchema } from "../schemas/avro";
import {
  ColumnarData,
  columnValue,
  DataStats,
  trainingMinimumsProblem,
  validateCsv,
} from "../schemas/validator";
import { errorMessage } from "../providers/client";
import { show } from "../rules/show";
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
 * It runs here, in the program, rather than in the import job's `check`: the program has the
 * file (it hashes it for the job's `dataHash`) and the schema, while the import job gets only
 * `dataLocation`, an S3 URI that a preview may not know yet (an autonamed bucket on AWS) and
 * whose object the first preview has not uploaded; and a check in the provider would put the
 * validator into every import job's stored provider code, which `destroy` runs. Here a bad
 * file fails the preview before any resource is registered, naming the config key.
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
      `${PROJECT}:schemaFile ${show(schemaFile)} is not a valid Personalize schema: ${errorMessage(err)}`,
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
      `${PROJECT}:dataFile ${show(dataFile)} would fail to import with ${schemaFile}: ` +
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
    const filter = eventType === undefined ? "" : ` (eventType ${show(eventType)})`;
    throw new Error(
      `${PROJECT}:dataFile ${show(dataFile)} is too small to train a solution${filter}: ${tooSmall}`,
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
