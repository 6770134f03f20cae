import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";

describe("schemas/event_schema.avsc", () => {
  it("is the workshop's interactions schema, field for field", () => {
    const schema = JSON.parse(
      readFileSync(join(__dirname, "../../schemas/event_schema.avsc"), "utf8"),
    );
    assert.equal(schema.type, "record");
    assert.equal(schema.name, "Interactions");
    assert.equal(schema.namespace, "com.amazonaws.personalize.schema");
    assert.equal(schema.version, "1.0");
    assert.deepEqual(
      schema.fields.map((f: { name: string; type: string }) => `${f.name}:${f.type}`),
      [
        "ANONYMOUS_ID:string",
        "USER_ID:string",
        "ITEM_ID:string",
        "EVENT_TYPE:string",
        "TIMESTAMP_ISO:string",
        "TIMESTAMP:long",
      ],
    );
  });
});
