/**
 * AWS-wide rules the providers' `check`, the stack config and the emulator share (./rule.ts
 * says why there is one home).
 */
import type { StringRule } from "./rule";

/**
 * Region names of every AWS partition (the `regionRegex`es of botocore's endpoints.json):
 * `us-east-1`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`, `eusc-de-east-1`, and numbers
 * past 9 (`ap-southeast-10`).
 */
export const REGION: StringRule = {
  pattern: /^[a-z]{2,4}(-[a-z]+){1,2}-\d{1,2}$/,
  max: 32,
  problem: "is not an AWS region name such as us-east-1",
};

/**
 * S3 bucket names
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3-63
 * characters of lower-case letters, digits, dots and hyphens, a letter or digit at each end,
 * no two dots in a row.
 */
export const BUCKET_NAME: StringRule = {
  // The pattern holds the length limits too.
  pattern: /^(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  problem: "is not a valid bucket name (3-63 lower-case letters, digits, '.' and '-')",
};
