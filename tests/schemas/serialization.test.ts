import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  canonicalSchemaJson,
  parseSchema,
  SchemaError,
  schemaProblemsForDataset,
} from "../../schemas/avro";
import { trainingMinimumsProblem, validateCsv } from "../../schemas/validator";

const requireFromString: (
  code: string,
) => Record<string, () => unknown> = require("require-from-string");

// Paths, not contents: a captured Buffer is not something the serializer can carry either.
const WORKSHOP_PATH = join(__dirname, "../../schemas/event_schema.avsc");
const SAMPLE_PATH = join(__dirname, "../../data/interactions.csv");

/** Everything a dynamic provider's check might ask of schemas/, on good and bad input. */
function exercise(): unknown {
  const WORKSHOP = readFileSync(WORKSHOP_PATH, "utf8");
  const SAMPLE = readFileSync(SAMPLE_PATH);
  const schema = parseSchema(WORKSHOP);
  const invalid = (text: string): string => {
    try {
      parseSchema(text);
      return "accepted";
    } catch (err) {
      return `${err instanceof SchemaError}: ${(err as Error).message}`;
    }
  };
  const good = validateCsv(SAMPLE, schema, "INTERACTIONS");
  const bad = validateCsv(
    "USER_ID,ITEM_ID,TIMESTAMP\nu,i,1788220800000\nu,i,99999999999999999999\n",
    schema,
    "INTERACTIONS",
  );
  return {
    schema,
    canonical: canonicalSchemaJson(WORKSHOP),
    items: schemaProblemsForDataset(schema, "ITEMS", "ECOMMERCE"),
    nested: invalid('{"type":"record","name":"Items","fields":[{"name":"A","type":"map"}]}'),
    clash: invalid(
      '{"type":"record","name":"Items","fields":[{"name":"A_1","type":"int"},{"name":"A1","type":"int"}]}',
    ),
    good: [good.ok, good.stats, trainingMinimumsProblem(good.stats)],
    bad: [bad.failureReason, bad.issues],
  };
}

/**
 * The providers' preview check runs schemas/ inside a dynamic provider, which Pulumi serializes
 * by value: module constants that the serializer cannot carry (Sets, bigints) break it there
 * and only there.
 */
describe("schemas/ inside a serialized dynamic provider", () => {
  it("gives the same answers after serializeFunction and require-from-string", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => exercise);
    const loaded = requireFromString(serialized.text)[serialized.exportName]() as () => unknown;
    assert.notEqual(loaded, exercise);
    assert.deepEqual(loaded(), exercise());
  });
});
