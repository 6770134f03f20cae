import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  canonicalSchemaJson,
  normalizeDatasetType,
  parseSchema,
  SchemaError,
  schemaProblemsForDataset,
} from "../../schemas/avro";

const requireFromString: (
  code: string,
) => Record<string, () => unknown> = require("require-from-string");

// A path, not contents: a captured Buffer is not something the serializer can carry either.
const WORKSHOP_PATH = join(__dirname, "../../schemas/event_schema.avsc");

/** What the providers ask of schemas/avro.ts, on good and bad input. */
function exercise(): unknown {
  const WORKSHOP = readFileSync(WORKSHOP_PATH, "utf8");
  const schema = parseSchema(WORKSHOP);
  const invalid = (text: string): string => {
    try {
      parseSchema(text);
      return "accepted";
    } catch (err) {
      return `${err instanceof SchemaError}: ${(err as Error).message}`;
    }
  };
  return {
    schema,
    canonical: canonicalSchemaJson(WORKSHOP),
    items: schemaProblemsForDataset(schema, "ITEMS", "ECOMMERCE"),
    nested: invalid('{"type":"record","name":"Items","fields":[{"name":"A","type":"map"}]}'),
    clash: invalid(
      '{"type":"record","name":"Items","fields":[{"name":"A_1","type":"int"},{"name":"A1","type":"int"}]}',
    ),
    types: ["Interactions", "items", "ACTION_INTERACTIONS", "Clicks"].map(normalizeDatasetType),
  };
}

/**
 * The providers run schemas/avro.ts inside a dynamic provider, which Pulumi serializes by value:
 * Schema's check parses the schema and its diff compares canonical JSON, Dataset's check
 * normalises the dataset type. Module constants that the serializer cannot carry (Sets,
 * bigints) break it there and only there. (The CSV validator, schemas/validator.ts, is not
 * serialized: the preview-time data check runs in the program, stack/datacheck.ts.)
 */
describe("schemas/ inside a serialized dynamic provider", () => {
  it("gives the same answers after serializeFunction and require-from-string", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => exercise);
    const loaded = requireFromString(serialized.text)[serialized.exportName]() as () => unknown;
    assert.notEqual(loaded, exercise);
    assert.deepEqual(loaded(), exercise());
  });
});
