// The IAM documents the stack must deploy, spelled out once as literal JSON: the policy
// builders' tests and the whole stack's mock tests compare against these.

/** TLS only; Personalize of this account lists the bucket and reads `transformed/`. */
export function expectedBucketPolicy(bucketArn: string, accountId: string): unknown {
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
        Principal: { Service: "personalize.amazonaws.com" },
        Action: ["s3:GetObject", "s3:ListBucket"],
        Resource: [bucketArn, `${bucketArn}/transformed/*`],
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  };
}

/** Only personalize.amazonaws.com, acting for this account, may assume the role. */
export function expectedTrustPolicy(accountId: string): unknown {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "personalize.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  };
}

/** The role reads, and lists, below `transformed/` only. */
export function expectedReadPolicy(bucketArn: string): unknown {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadTrainingData",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: `${bucketArn}/transformed/*`,
      },
      {
        Sid: "ListTrainingData",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: bucketArn,
        Condition: { StringLike: { "s3:prefix": ["transformed/", "transformed/*"] } },
      },
    ],
  };
}
