import * as iam from "@pulumi/aws/iam";
import * as s3 from "@pulumi/aws/s3";
import * as pulumi from "@pulumi/pulumi";
import type { PlaceOnAws } from "./datastore";
import { buildBucketPolicy, buildDataReadPolicy, buildPersonalizeTrustPolicy } from "./policies";
import { DATA_PREFIX } from "./config";

/**
 * The DataStore on target aws: an S3 bucket, its object under `transformed/`, and an IAM role
 * for Personalize. `stack/datastore.ts` requires this module only on that target, so a local
 * stack's program neither loads `@pulumi/aws` nor has ts-node type-check against its
 * declarations (README, "Type-checking: where it happens").
 */
export const placeOnAws: PlaceOnAws = (
  parent,
  name,
  { config, dataPath, dataHash, key, scope },
) => {
  const opts = { parent };
  const tags = config.tags;
  // `<prefix>-data-<random>` unless named: S3 names are global across every account. The
  // prefix is ignored after creation, so a new namePrefix (or a stack created when the
  // bucket was autonamed from its logical name) keeps the bucket and its data.
  const bucket = new s3.Bucket(
    `${name}-data`,
    {
      ...(config.names.bucket === undefined
        ? { bucketPrefix: `${config.namePrefix}-data-` }
        : { bucket: config.names.bucket }),
      // Only the data of one stack lives here; `pulumi destroy` should not stall on it.
      forceDestroy: true,
      tags,
    },
    { parent, ignoreChanges: ["bucketPrefix"] },
  );
  const publicAccess = new s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    opts,
  );
  const encryption = new s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    {
      bucket: bucket.id,
      // SSE-S3 rather than a KMS key: the import role would otherwise also need kms:Decrypt.
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    },
    opts,
  );
  // Personalize of this account, in the stack's region: the confused-deputy conditions.
  const source = pulumi.output(scope);
  const bucketPolicy = new s3.BucketPolicy(
    `${name}-bucket-policy`,
    {
      bucket: bucket.id,
      policy: pulumi
        .all([bucket.arn, source])
        .apply(([bucketArn, from]) =>
          JSON.stringify(buildBucketPolicy({ ...from, bucketArn, prefix: DATA_PREFIX })),
        ),
    },
    // S3 rejects concurrent configuration changes of one bucket ("OperationAborted").
    { parent, dependsOn: [publicAccess] },
  );
  const object = new s3.BucketObjectv2(
    `${name}-interactions`,
    {
      bucket: bucket.id,
      key,
      source: new pulumi.asset.FileAsset(dataPath),
      contentType: "text/csv",
      // The same sha256 the import job gets as dataHash, so one preview shows both changing.
      sourceHash: dataHash,
      tags,
    },
    { parent, dependsOn: [encryption] },
  );
  const role = new iam.Role(
    `${name}-personalize-role`,
    {
      description: `Lets Amazon Personalize read ${DATA_PREFIX} in the ${config.stack} stack's bucket`,
      assumeRolePolicy: source.apply((from) => JSON.stringify(buildPersonalizeTrustPolicy(from))),
      tags,
    },
    opts,
  );
  const rolePolicy = new iam.RolePolicy(
    `${name}-personalize-read`,
    {
      role: role.id,
      policy: bucket.arn.apply((bucketArn) =>
        JSON.stringify(buildDataReadPolicy({ bucketArn, prefix: DATA_PREFIX })),
      ),
    },
    opts,
  );
  return {
    bucketName: bucket.bucket,
    dataLocation: pulumi.interpolate`s3://${bucket.bucket}/${object.key}`,
    roleArn: role.arn,
    readers: [bucketPolicy, rolePolicy],
  };
};
