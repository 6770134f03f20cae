// rules/personalize.ts restates Personalize's rules for the providers' check and the stack
// config; the emulator validates every request with the service model itself
// (emulator/api/personalize.ts, generated from botocore). The two must say the same thing, or a
// preview accepts what a deploy to the emulator (and to the service) refuses.
import assert from "node:assert/strict";
import { PERSONALIZE } from "../../emulator/api/personalize";
import type { StringShape } from "../../emulator/api/shapes";
import {
  AUTO_TRAINING_SCHEDULE,
  DOMAINS,
  IMPORT_MODES,
  KMS_KEY_ARN,
  NAME,
  PERSONALIZE_ARN,
  ROLE_ARN,
  S3_LOCATION,
  TAG_CHARACTERS,
  TAG_KEY_MAX,
  TAG_VALUE_MAX,
  TAGS_MAX,
  TRAINING_MODES,
} from "../../rules/personalize";
import { follows, type StringRule } from "../../rules/rule";

function stringShape(name: string): StringShape {
  const shape = PERSONALIZE.shapes[name];
  assert.equal(shape?.type, "string", `${name} is a string shape`);
  return shape;
}

/** The model's verdict on a value: its length limits and its pattern over the whole value. */
function modelAccepts(shape: StringShape, value: string): boolean {
  if (shape.min !== undefined && value.length < shape.min) return false;
  if (shape.max !== undefined && value.length > shape.max) return false;
  return shape.pattern === undefined || new RegExp(`^(?:${shape.pattern})$`, "u").test(value);
}

const ACCOUNT = "123456789012";
const CASES: [string, StringRule, string, string[]][] = [
  [
    "NAME",
    NAME,
    "Name",
    ["workshop", "9lives", "a-b_c", "-a", "_a", "a b", "a.b", "", "n".repeat(63), "n".repeat(64)],
  ],
  [
    "PERSONALIZE_ARN",
    PERSONALIZE_ARN,
    "Arn",
    [
      `arn:aws:personalize:us-east-1:${ACCOUNT}:dataset-group/g`,
      "arn:aws:personalize:::recipe/aws-sims",
      `arn:aws-cn:personalize:cn-north-1:${ACCOUNT}:schema/s`,
      `arn:aws:iam::${ACCOUNT}:role/r`,
      "arn:aws:personalize:",
      "",
      `arn:aws:personalize:us-east-1:${ACCOUNT}:${"x".repeat(230)}`,
    ],
  ],
  [
    "ROLE_ARN",
    ROLE_ARN,
    "RoleArn",
    [
      `arn:aws:iam::${ACCOUNT}:role/personalize-read`,
      `arn:aws:iam::${ACCOUNT}:role/path/to/r+=,.@-_`,
      "arn:aws:iam::123:role/r",
      `arn:aws:iam::${ACCOUNT}:user/u`,
      `arn:aws:iam::${ACCOUNT}:role/${"r".repeat(240)}`,
    ],
  ],
  [
    "KMS_KEY_ARN",
    KMS_KEY_ARN,
    "KmsKeyArn",
    [
      `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd`,
      `arn:aws-us-gov:kms:us-gov-west-1:${ACCOUNT}:key/k`,
      `arn:aws:kms:us-east-1:${ACCOUNT}:alias/a`,
      "arn:aws:kms:us-east-1:1:key/k",
    ],
  ],
  [
    "S3_LOCATION",
    S3_LOCATION,
    "S3Location",
    [
      "s3://bucket/key.csv",
      "s3://bucket/folder/",
      "https://example.com/x",
      "ftp://bucket/key",
      "s3://",
      "",
      `s3://b/${"k".repeat(250)}`,
    ],
  ],
];

describe("rules/personalize.ts and the service model the emulator validates with", () => {
  for (const [rule, ours, shapeName, values] of CASES) {
    it(`${rule} accepts exactly what the model's ${shapeName} does`, () => {
      const shape = stringShape(shapeName);
      assert.equal(ours.max, shape.max);
      const verdicts = values.map((v) => [v, follows(ours, v), modelAccepts(shape, v)] as const);
      assert.deepEqual(
        verdicts.filter(([, byRule, byModel]) => byRule !== byModel),
        [],
      );
      assert.ok(verdicts.some(([, byRule]) => byRule) && verdicts.some(([, byRule]) => !byRule));
    });
  }

  it("tags: the alphabet, the key and value lengths and the count are the model's", () => {
    const key = stringShape("TagKey");
    const value = stringShape("TagValue");
    const tags = PERSONALIZE.shapes.Tags;
    assert.equal(tags?.type, "list");
    assert.deepEqual([TAG_KEY_MAX, TAG_VALUE_MAX, TAGS_MAX], [key.max, value.max, tags.max]);
    for (const sample of ["team", "cost-center:a/b=c+d@e_f.g", "Ünïcode 1", "a;b", "a#b", ""]) {
      assert.equal(TAG_CHARACTERS.test(sample), modelAccepts({ ...value, max: undefined }, sample));
    }
  });

  it("domains, import modes and training modes are the model's enums", () => {
    assert.deepEqual([...DOMAINS], stringShape("Domain").enum);
    assert.deepEqual([...IMPORT_MODES], stringShape("ImportMode").enum);
    // AUTOTRAIN is what the service reports for the versions it trains on its own; a program
    // cannot ask for it.
    assert.deepEqual([...TRAINING_MODES, "AUTOTRAIN"], stringShape("TrainingMode").enum);
  });

  it("the automatic training schedule is the model's form, narrowed to 1-30 days", () => {
    const shape = stringShape("SchedulingExpression");
    for (const sample of [
      "rate(1 day)",
      "rate(7 days)",
      "rate(30 days)",
      "rate(31 days)",
      "rate(0 days)",
      "rate(7 weeks)",
      "cron(0 0 * * ? *)",
    ]) {
      if (follows(AUTO_TRAINING_SCHEDULE, sample)) assert.ok(modelAccepts(shape, sample), sample);
    }
    assert.ok(
      modelAccepts(shape, "rate(31 days)") && !follows(AUTO_TRAINING_SCHEDULE, "rate(31 days)"),
    );
  });
});
