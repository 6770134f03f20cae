import * as assert from "assert";
import {
  buildBucketPolicy,
  buildDataReadPolicy,
  buildPersonalizeTrustPolicy,
  partitionOf,
} from "../../stack/policies";
import { expectedBucketPolicy, expectedReadPolicy, expectedTrustPolicy } from "./expected-policies";

const bucketArn = "arn:aws:s3:::segment-workshop-data-1a2b3c4";
const accountId = "123456789012";
const source = { accountId, region: "us-east-1", partition: "aws" };
const access = { ...source, bucketArn, prefix: "transformed/" };

describe("stack policies", () => {
  it("bucket policy: TLS only, and Personalize of this account and region reads the data", () => {
    assert.deepStrictEqual(
      JSON.parse(JSON.stringify(buildBucketPolicy(access))),
      expectedBucketPolicy(bucketArn, accountId),
    );
  });

  it("trust policy: the developer guide's, with aws:SourceAccount and aws:SourceArn", () => {
    assert.deepStrictEqual(
      JSON.parse(JSON.stringify(buildPersonalizeTrustPolicy(source))),
      expectedTrustPolicy(accountId),
    );
  });

  it("role policy: the guide's two reads, objects below the data prefix only", () => {
    assert.deepStrictEqual(
      JSON.parse(JSON.stringify(buildDataReadPolicy({ bucketArn, prefix: "transformed/" }))),
      expectedReadPolicy(bucketArn),
    );
  });

  it("the source ARN follows the partition and the region", () => {
    const china = buildPersonalizeTrustPolicy({
      accountId,
      region: "cn-north-1",
      partition: "aws-cn",
    });
    assert.deepStrictEqual(china.Statement[0].Condition?.StringLike, {
      "aws:SourceArn": `arn:aws-cn:personalize:cn-north-1:${accountId}:*`,
    });
  });

  it("grants no write or delete action to anyone", () => {
    const allows = [
      ...buildBucketPolicy(access).Statement,
      ...buildDataReadPolicy(access).Statement,
    ].filter((s) => s.Effect === "Allow");
    const actions = allows.flatMap((s) => (typeof s.Action === "string" ? [s.Action] : s.Action));
    assert.deepStrictEqual([...new Set(actions)].sort(), ["s3:GetObject", "s3:ListBucket"]);
  });

  it("no grant limits a listing by its request parameters (the guide has none)", () => {
    for (const statement of buildDataReadPolicy(access).Statement) {
      assert.strictEqual(statement.Condition, undefined, JSON.stringify(statement));
    }
  });

  for (const prefix of ["", "transformed", "/transformed/"]) {
    it(`rejects the prefix ${JSON.stringify(prefix)}`, () => {
      const message = `prefix must be a key prefix ending in "/" such as "transformed/", got ${JSON.stringify(prefix)}`;
      assert.throws(() => buildBucketPolicy({ ...access, prefix }), { message });
      assert.throws(() => buildDataReadPolicy({ bucketArn, prefix }), { message });
    });
  }

  it("reads the partition from an ARN, and names a value that is not one", () => {
    assert.strictEqual(partitionOf("arn:aws:iam::123456789012:user/ci"), "aws");
    assert.strictEqual(
      partitionOf("arn:aws-us-gov:sts::123456789012:assumed-role/r/s"),
      "aws-us-gov",
    );
    assert.throws(() => partitionOf("123456789012"), {
      message: 'expected an ARN such as arn:aws:iam::123456789012:user/ci, got "123456789012"',
    });
  });
});
