/**
 * AWS-wide rules the providers' `check` and the stack config share (and the emulator's S3,
 * for bucket names). See ./personalize.ts for why there is one home.
 */
import type { StringRule } from "./personalize";

/**
 * Region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-5`. The number
 * may grow past 9, so it is `\d+`.
 */
export const REGION: StringRule = {
  pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/,
  problem: "is not an AWS region name such as us-east-1",
};

/**
 * S3 bucket names
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3-63
 * characters of lower-case letters, digits, dots and hyphens, a letter or digit at each end.
 */
export const BUCKET_NAME: StringRule = {
  // The pattern holds the length limits too.
  pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  problem: "is not a valid bucket name (3-63 lower-case letters, digits, '.' and '-')",
};
