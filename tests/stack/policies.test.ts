import * as assert from "assert";
import {
  buildBucketPolicy,
  buildDataReadPolicy,
  buildPersonalizeTrustPolicy,
} from "../../stack/policies";
import { expectedBucketPolicy, expectedReadPolicy, expectedTrustPolicy } from "./expected-policies";

const bucketArn = "arn:aws:s3:::segment-workshop-data-1a2b3c4";
const accountId = "123456789012";

describe("stack policies", () => {
  it("bucket policy: TLS only, and Personalize of this account reads the data prefix", () => {
    assert.deepStrictEqual(
      JSON.parse(
        JSON.stringify(buildBucketPolicy({ bucketArn, accountId, prefix: "transformed/" })),
      ),
      expectedBucketPolicy(bucketArn, accountId),
    );
  });

  it("trust policy: only personalize.amazonaws.com acting for this account", () => {
    assert.deepStrictEqual(
      JSON.parse(JSON.stringify(buildPersonalizeTrustPolicy(accountId))),
      expectedTrustPolicy(accountId),
    );
  });

  it("role policy: read-only, below the data prefix only", () => {
    assert.deepStrictEqual(
      JSON.parse(JSON.stringify(buildDataReadPolicy({ bucketArn, prefix: "transformed/" }))),
      expectedReadPolicy(bucketArn),
    );
  });

  it("grants no write or delete action to anyone", () => {
    const allows = [
      ...buildBucketPolicy({ bucketArn, accountId, prefix: "transformed/" }).Statement,
      ...buildDataReadPolicy({ bucketArn, prefix: "transformed/" }).Statement,
    ].filter((s) => s.Effect === "Allow");
    const actions = allows.flatMap((s) => (typeof s.Action === "string" ? [s.Action] : s.Action));
    assert.deepStrictEqual([...new Set(actions)].sort(), ["s3:GetObject", "s3:ListBucket"]);
  });

  for (const prefix of ["", "transformed", "/transformed/"]) {
    it(`rejects the prefix ${JSON.stringify(prefix)}`, () => {
      const message = `prefix must be a key prefix ending in "/" such as "transformed/", got ${JSON.stringify(prefix)}`;
      assert.throws(() => buildBucketPolicy({ bucketArn, accountId, prefix }), { message });
      assert.throws(() => buildDataReadPolicy({ bucketArn, prefix }), { message });
    });
  }
});
