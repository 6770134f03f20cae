// The IAM documents the stack must deploy, spelled out once as literal JSON: the policy
// builders' tests and the whole stack's mock tests compare against these. They are the
// Personalize developer guide's documents (granting-personalize-s3-access and
// cross-service-confused-deputy-prevention), object reads narrowed to `transformed/`.

/** The confused-deputy conditions of the guide's trust policy, for us-east-1 in partition aws. */
function fromPersonalize(accountId: string): unknown {
  return {
    StringEquals: { "aws:SourceAccount": accountId },
    StringLike: { "aws:SourceArn": `arn:aws:personalize:us-east-1:${accountId}:*` },
  };
}

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
        Condition: fromPersonalize(accountId),
      },
    ],
  };
}

/** Only personalize.amazonaws.com, acting for this account in us-east-1, may assume the role. */
export function expectedTrustPolicy(accountId: string): unknown {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "personalize.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: fromPersonalize(accountId),
      },
    ],
  };
}

/** The role lists the bucket and reads below `transformed/`, with no condition on the listing. */
export function expectedReadPolicy(bucketArn: string): unknown {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadTrainingData",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:ListBucket"],
        Resource: [bucketArn, `${bucketArn}/transformed/*`],
      },
    ],
  };
}
