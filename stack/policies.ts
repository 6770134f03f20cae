/**
 * Pure builders of the IAM documents that let Personalize read the workshop's data, kept apart
 * from the resources so that tests compare exact JSON without a Pulumi engine.
 *
 * They follow the Personalize developer guide: an import job reads S3 twice over, as the role it
 * assumes (trust policy + role policy) and as the service principal the bucket must admit
 * (bucket policy), with `s3:GetObject` and `s3:ListBucket` on the bucket and its objects
 * (https://docs.aws.amazon.com/personalize/latest/dg/granting-personalize-s3-access.html).
 * Every grant to the service principal carries the `aws:SourceAccount` and `aws:SourceArn`
 * conditions the guide recommends against the confused-deputy problem
 * (https://docs.aws.amazon.com/personalize/latest/dg/cross-service-confused-deputy-prevention.html).
 * The one narrowing of our own: objects are readable only below the data prefix, where the
 * import job's `dataLocation` points (see {@link DataAccess.prefix}).
 */

import { show } from "../rules/show";

/** An IAM policy document, as AWS stores it. */
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Id?: string;
  readonly Statement: readonly PolicyStatement[];
}

/** One statement; `Condition` maps an operator to `{ key: value(s) }`. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: "*" | { readonly Service: string };
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

/** The service principal that import jobs act as. */
export const PERSONALIZE_PRINCIPAL = "personalize.amazonaws.com";

/** Who may act through the grants: Personalize of one account, in one region. */
export interface PersonalizeSource {
  /** The account that owns the stack; the only one whose Personalize may read. */
  readonly accountId: string;
  /** The stack's region, where its Personalize resources live. */
  readonly region: string;
  /** The AWS partition (`aws`, `aws-cn`, `aws-us-gov`), as {@link partitionOf} reads it. */
  readonly partition: string;
}

/** What the bucket policy grants on: one bucket, one key prefix, Personalize of one source. */
export interface DataAccess extends PersonalizeSource {
  /** The bucket's ARN (`arn:aws:s3:::name`; other partitions differ, so it is never built here). */
  readonly bucketArn: string;
  /**
   * Key prefix Personalize may read objects under, ending in `/` (`transformed/`). Object reads
   * (`s3:GetObject`) are authorized against the object's own ARN, and an import reads only the
   * objects at its `dataLocation`
   * (https://docs.aws.amazon.com/personalize/latest/dg/API_DataSource.html), so
   * `bucket/transformed/*` is all it needs. Listing is a bucket-level action and keeps the
   * guide's plain grant on the bucket: a condition on its request parameters (such as
   * `s3:prefix`) would deny listings the guide does not describe, and the import would fail
   * minutes later with "Insufficient privileges".
   */
  readonly prefix: string;
}

/**
 * The partition in an ARN (`arn:aws-cn:iam::123456789012:user/ci` -> `aws-cn`): the caller
 * identity's ARN names it without another lookup.
 */
export function partitionOf(arn: string): string {
  const match = /^arn:(aws[a-z-]*):/.exec(arn);
  if (match === null) {
    throw new Error(`expected an ARN such as arn:aws:iam::123456789012:user/ci, got ${show(arn)}`);
  }
  return match[1];
}

/**
 * The confused-deputy conditions, exactly as the developer guide's trust policy has them:
 * requests from Personalize acting for this account, on one of its resources in this region.
 */
function personalizeSource({ accountId, region, partition }: PersonalizeSource) {
  return {
    StringEquals: { "aws:SourceAccount": accountId },
    StringLike: { "aws:SourceArn": `arn:${partition}:personalize:${region}:${accountId}:*` },
  };
}

function checkPrefix(prefix: string): void {
  if (prefix === "" || !prefix.endsWith("/") || prefix.startsWith("/")) {
    throw new Error(
      `prefix must be a key prefix ending in "/" such as "transformed/", got ${show(prefix)}`,
    );
  }
}

/** Personalize's two reads, on the bucket (listing) and on the objects below the prefix. */
function dataReads(bucketArn: string, prefix: string) {
  checkPrefix(prefix);
  return {
    Action: ["s3:GetObject", "s3:ListBucket"],
    Resource: [bucketArn, `${bucketArn}/${prefix}*`],
  };
}

/**
 * The bucket policy: deny every request not made over TLS (the form AWS gives for its
 * s3-bucket-ssl-requests-only rule,
 * https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule), and let Personalize,
 * acting for this account in this region, list the bucket and read the data.
 */
export function buildBucketPolicy(access: DataAccess): PolicyDocument {
  const { bucketArn, prefix } = access;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "PersonalizeReadsTrainingData",
        Effect: "Allow",
        Principal: { Service: PERSONALIZE_PRINCIPAL },
        ...dataReads(bucketArn, prefix),
        Condition: personalizeSource(access),
      },
    ],
  };
}

/** The role's trust policy, the developer guide's: only Personalize, for this account and region. */
export function buildPersonalizeTrustPolicy(source: PersonalizeSource): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: PERSONALIZE_PRINCIPAL },
        Action: "sts:AssumeRole",
        Condition: personalizeSource(source),
      },
    ],
  };
}

/** The role's permissions: the guide's two reads, nothing else. */
export function buildDataReadPolicy({
  bucketArn,
  prefix,
}: Pick<DataAccess, "bucketArn" | "prefix">): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "ReadTrainingData", Effect: "Allow", ...dataReads(bucketArn, prefix) }],
  };
}
