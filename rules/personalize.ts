/**
 * Amazon Personalize's rules for request values, from its service model (botocore's
 * `data/personalize/2018-05-22/service-2.json`, shapes `Name`, `Arn`, `RoleArn`, `KmsKeyArn`,
 * `S3Location`, `TagKey`, `TagValue`, `SchedulingExpression`, `Domain`, `ImportMode`,
 * `TrainingMode`) and its developer guide, for the providers' `check`, the stack config and
 * the emulator (./rule.ts says why there is one home). tests/rules/rules.test.ts holds them to
 * the service model the emulator validates requests with.
 */
import type { Domain, ImportMode, TrainingMode } from "@aws-sdk/client-personalize";
import type { SizedRule, StringRule } from "./rule";

/** Names of dataset groups, schemas, datasets, jobs, solutions, campaigns, trackers, filters. */
export const NAME: SizedRule = {
  pattern: /^[a-zA-Z0-9][a-zA-Z0-9\-_]*$/,
  min: 1,
  max: 63,
  problem: "must start with a letter or digit and contain only letters, digits, '-' and '_'",
};

/** ARNs of Personalize resources (and recipes, `arn:aws:personalize:::recipe/<id>`). */
export const PERSONALIZE_ARN: SizedRule = {
  pattern: /^arn:([a-z\d-]+):personalize:.*:.*:.+$/,
  min: 1,
  max: 256,
  problem: "is not a Personalize ARN",
};

/** The role Personalize assumes (to read S3, to use a KMS key). */
export const ROLE_ARN: SizedRule = {
  pattern: /^arn:([a-z\d-]+):iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/,
  min: 1,
  max: 256,
  problem: "is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)",
};

export const KMS_KEY_ARN: SizedRule = {
  pattern: /^arn:aws.*:kms:.*:[0-9]{12}:key\/.*$/,
  min: 1,
  max: 2048,
  problem: "is not a KMS key ARN",
};

/** Where an import job reads its data: a file, or a folder ending in `/`. */
export const S3_LOCATION: SizedRule = {
  pattern: /^(s3|http|https):\/\/.+$/,
  min: 1,
  max: 256,
  problem: "must be an S3 location such as s3://bucket/path/file.csv",
};

/** Tag keys and values share one alphabet; keys 1-128 characters, values 0-256, 200 tags at most. */
export const TAG_CHARACTERS = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;
export const TAG_KEY_MAX = 128;
export const TAG_VALUE_MAX = 256;
export const TAGS_MAX = 200;

/**
 * A solution's automatic training schedule. The service model's pattern is `rate\(\d+ days?\)`;
 * the developer guide limits the value to 1-30
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_AutoTrainingConfig.html).
 */
export const AUTO_TRAINING_SCHEDULE: StringRule = {
  pattern: /^rate\(([1-9]|[12][0-9]|30) days?\)$/,
  problem: "must be rate(N days) with N from 1 to 30",
};

export const DOMAINS = ["ECOMMERCE", "VIDEO_ON_DEMAND"] as const satisfies readonly Domain[];
export const IMPORT_MODES = ["FULL", "INCREMENTAL"] as const satisfies readonly ImportMode[];
/** The modes CreateSolutionVersion takes; `AUTOTRAIN` is what the service reports for its own. */
export const TRAINING_MODES = ["FULL", "UPDATE"] as const satisfies readonly TrainingMode[];

/**
 * The offline metrics GetSolutionMetrics reports for a custom solution version
 * (https://docs.aws.amazon.com/personalize/latest/dg/working-with-training-metrics.html). Some
 * recipes report more; the quality gate takes any name the version has, the emulator reports
 * these (emulator/ml/metrics.ts).
 */
export const SOLUTION_METRICS: readonly string[] = [
  "coverage",
  "mean_reciprocal_rank_at_25",
  "normalized_discounted_cumulative_gain_at_5",
  "normalized_discounted_cumulative_gain_at_10",
  "normalized_discounted_cumulative_gain_at_25",
  "precision_at_5",
  "precision_at_10",
  "precision_at_25",
];
