/**
 * Pure builders of the IAM documents that let Personalize read the workshop's data, kept apart
 * from the resources so that tests compare exact JSON without a Pulumi engine.
 *
 * Personalize reads S3 twice over: the import job assumes the role (trust policy + role
 * policy), and the bucket must also admit the service principal (bucket policy); see
 * personalize-api.md section 6. Every grant to the service principal carries an
 * `aws:SourceAccount` condition so that another account's Personalize cannot be pointed at
 * this bucket or role (the confused-deputy problem).
 */

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

/** What the policies grant on: one bucket, one account, one key prefix. */
export interface DataAccess {
  /** The bucket's ARN (`arn:aws:s3:::name`; other partitions differ, so it is never built here). */
  readonly bucketArn: string;
  /** The account that owns the stack; the only one whose Personalize may read. */
  readonly accountId: string;
  /** Key prefix Personalize may read, ending in `/` (`transformed/`). */
  readonly prefix: string;
}

function sourceAccount(accountId: string): PolicyStatement["Condition"] {
  return { StringEquals: { "aws:SourceAccount": accountId } };
}

function checkPrefix(prefix: string): void {
  if (prefix === "" || !prefix.endsWith("/") || prefix.startsWith("/")) {
    throw new Error(
      `prefix must be a key prefix ending in "/" such as "transformed/", got ${JSON.stringify(prefix)}`,
    );
  }
}

/**
 * The bucket policy: deny every request not made over TLS, and let Personalize (of this
 * account only) list the bucket and read the objects under the data prefix.
 */
export function buildBucketPolicy({ bucketArn, accountId, prefix }: DataAccess): PolicyDocument {
  checkPrefix(prefix);
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
        Action: ["s3:GetObject", "s3:ListBucket"],
        Resource: [bucketArn, `${bucketArn}/${prefix}*`],
        Condition: sourceAccount(accountId),
      },
    ],
  };
}

/** The role's trust policy: only Personalize, acting for this account, may assume it. */
export function buildPersonalizeTrustPolicy(accountId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: PERSONALIZE_PRINCIPAL },
        Action: "sts:AssumeRole",
        Condition: sourceAccount(accountId),
      },
    ],
  };
}

/**
 * The role's permissions: read-only, and only below the data prefix. Listing is limited to
 * that prefix too; an import of `s3://bucket/transformed/file.csv` lists with that key as the
 * prefix, which `transformed/*` matches.
 */
export function buildDataReadPolicy({
  bucketArn,
  prefix,
}: Omit<DataAccess, "accountId">): PolicyDocument {
  checkPrefix(prefix);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadTrainingData",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: `${bucketArn}/${prefix}*`,
      },
      {
        Sid: "ListTrainingData",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: bucketArn,
        Condition: { StringLike: { "s3:prefix": [prefix, `${prefix}*`] } },
      },
    ],
  };
}
