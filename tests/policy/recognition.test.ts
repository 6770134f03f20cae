// The pack's pure parts: recognising Personalize resources by type token and by properties,
// telling AWS from the emulator, and reading IAM documents.
import * as assert from "assert";
import { deniesInsecureTransport, statements, trusts, writeActions } from "../../policy/iam";
import { LEGACY_RECIPES } from "../../policy/policies";
import { onAws, personalizeKind } from "../../policy/resources";
import { LEGACY_RECIPES as STACK_LEGACY_RECIPES } from "../../stack/config";

const ARN = (path: string) => `arn:aws:personalize:us-east-1:123456789012:${path}`;
const GROUP = ARN("dataset-group/g");

describe("policy pack: which resources are which", () => {
  const cases: [string, string, Record<string, unknown>, string | undefined][] = [
    ["our token", "pulumi-nodejs:dynamic/personalize:Campaign", {}, "Campaign"],
    ["our token, any kind", "pulumi-nodejs:dynamic/personalize:DatasetGroup", {}, "DatasetGroup"],
    [
      "a plain dynamic campaign",
      "pulumi-nodejs:dynamic:Resource",
      { name: "c", solutionVersionArn: ARN("solution/s/1"), minProvisionedTPS: 1 },
      "Campaign",
    ],
    [
      "a plain dynamic solution",
      "pulumi-nodejs:dynamic:Resource",
      { name: "s", datasetGroupArn: GROUP, recipeArn: "arn:aws:personalize:::recipe/aws-sims" },
      "Solution",
    ],
    [
      "a recommender by its config",
      "pulumi-nodejs:dynamic:Resource",
      { name: "r", datasetGroupArn: GROUP, recipeArn: "x", recommenderConfig: {} },
      "Recommender",
    ],
    [
      "a recommender by its domain recipe",
      "pulumi-nodejs:dynamic/other:Thing",
      {
        name: "r",
        datasetGroupArn: GROUP,
        recipeArn: "arn:aws:personalize:::recipe/aws-vod-top-picks",
      },
      "Recommender",
    ],
    [
      "a campaign by its ARN alone",
      "pulumi-nodejs:dynamic:Resource",
      { arn: ARN("campaign/c") },
      "Campaign",
    ],
    [
      "a solution version is no solution",
      "pulumi-nodejs:dynamic:Resource",
      { arn: ARN("solution/s/1a2b"), solutionArn: ARN("solution/s"), trainingMode: "FULL" },
      undefined,
    ],
    ["our quality gate", "pulumi-nodejs:dynamic/personalize:QualityGate", {}, "QualityGate"],
    [
      "a quality gate is no campaign, even with a name",
      "pulumi-nodejs:dynamic:Resource",
      {
        name: "gate",
        solutionVersionArn: ARN("solution/s/1"),
        metric: "normalized_discounted_cumulative_gain_at_10",
        approvedVersionArn: ARN("solution/s/1"),
      },
      undefined,
    ],
    [
      "a batch inference job is no campaign",
      "pulumi-nodejs:dynamic:Resource",
      { jobName: "j", solutionVersionArn: ARN("solution/s/1"), jobInput: {} },
      undefined,
    ],
    [
      "another provider's resource is left alone",
      "aws:s3/bucket:Bucket",
      { name: "c", solutionVersionArn: "x" },
      undefined,
    ],
  ];
  for (const [what, type, props, kind] of cases) {
    it(`${what}: ${kind ?? "none"}`, () => {
      assert.strictEqual(personalizeKind(type, props), kind);
    });
  }

  const endpoints: [string | undefined, boolean][] = [
    [undefined, true],
    ["https://personalize.us-east-1.amazonaws.com", true],
    ["https://personalize.cn-north-1.amazonaws.com.cn", true],
    ["https://personalize.us-east-1.api.aws", true],
    ["http://127.0.0.1:4599", false],
    ["http://localhost:4599", false],
    ["https://amazonaws.com.example.org", false],
  ];
  for (const [endpoint, aws] of endpoints) {
    it(`endpoint ${endpoint ?? "(none)"} is ${aws ? "" : "not "}AWS`, () => {
      assert.strictEqual(onAws(endpoint === undefined ? {} : { endpoint }), aws);
    });
  }

  it("knows the same legacy recipes as the stack, without importing it", () => {
    assert.deepStrictEqual([...LEGACY_RECIPES].sort(), [...STACK_LEGACY_RECIPES].sort());
  });
});

describe("policy pack: reading IAM documents", () => {
  const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

  it("reads single values and lists alike, from JSON or an object", () => {
    const [s] = statements({
      Statement: {
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: "s3:GetObject",
        Resource: "*",
      },
    });
    assert.deepStrictEqual(
      { ...s },
      {
        effect: "Allow",
        principals: ["*"],
        actions: ["s3:GetObject"],
        notAction: false,
        resources: ["*"],
        condition: {},
      },
    );
    assert.throws(() => statements("{"), { message: 'not a JSON policy document: "{"' });
    assert.throws(() => statements({}), { message: "a policy document without Statement: {}" });
  });

  const grants: [string, object, string[]][] = [
    ["reads only", { Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket", "s3:Get*"] }, []],
    ["a wildcard service", { Effect: "Allow", Action: "s3:*" }, ["s3:*"]],
    ["everything", { Effect: "Allow", Action: "*" }, ["*"]],
    [
      "a pattern that may write",
      { Effect: "Allow", Action: ["s3:G*", "s3:*Object"] },
      ["s3:G*", "s3:*Object"],
    ],
    ["a write", { Effect: "Allow", Action: ["s3:GetObject", "S3:PutObject"] }, ["S3:PutObject"]],
    [
      "NotAction",
      { Effect: "Allow", NotAction: "s3:DeleteObject" },
      ['NotAction ["s3:DeleteObject"]'],
    ],
    ["a Deny", { Effect: "Deny", Action: "s3:*" }, []],
  ];
  for (const [what, statement, writes] of grants) {
    it(`write actions of ${what}`, () => {
      assert.deepStrictEqual(writeActions(doc(statement)), writes);
    });
  }

  it("exempts configured actions, in any case", () => {
    assert.deepStrictEqual(
      writeActions(doc({ Effect: "Allow", Action: ["KMS:Decrypt", "s3:PutObject"] }), [
        "kms:decrypt",
      ]),
      ["s3:PutObject"],
    );
  });

  it("sees who a trust policy lets assume the role", () => {
    const trust = doc({
      Effect: "Allow",
      Principal: { Service: ["personalize.amazonaws.com"] },
      Action: "sts:AssumeRole",
    });
    assert.ok(trusts(trust, "personalize.amazonaws.com"));
    assert.ok(!trusts(trust, "lambda.amazonaws.com"));
  });

  it("recognises a TLS-only deny, and what falls short of one", () => {
    const arn = "arn:aws:s3:::b";
    const deny = {
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [arn, `${arn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
    assert.ok(deniesInsecureTransport(doc(deny), arn));
    assert.ok(deniesInsecureTransport(doc({ ...deny, Resource: "*" }), arn));
    assert.ok(!deniesInsecureTransport(doc({ ...deny, Resource: `${arn}/*` }), arn), "bucket");
    assert.ok(!deniesInsecureTransport(doc({ ...deny, Action: "s3:GetObject" }), arn), "action");
    assert.ok(!deniesInsecureTransport(doc({ ...deny, Principal: { AWS: "x" } }), arn), "who");
    assert.ok(!deniesInsecureTransport(doc({ ...deny, Effect: "Allow" }), arn), "effect");
    assert.ok(!deniesInsecureTransport(doc({ ...deny, Condition: {} }), arn), "condition");
  });
});
