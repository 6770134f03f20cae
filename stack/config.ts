import * as pulumi from "@pulumi/pulumi";
// The rules the providers' check and the emulator apply too: one home, rules/.
import { BUCKET_NAME, REGION } from "../rules/aws";
import { AUTO_TRAINING_SCHEDULE, NAME, SOLUTION_METRICS } from "../rules/personalize";
import { follows, StringRule } from "../rules/rule";
import { show } from "../rules/show";
import { METRIC_NAME, QUALITY_GATE_DEFAULTS, SOLUTION_VERSION_ARN } from "../providers/qualityGate";

/** Where the stack deploys: real AWS, or the local Personalize emulator. */
export type Target = "aws" | "local";

/** The project name in Pulumi.yaml; stack config keys live in this namespace. */
export const PROJECT = "personalize-workshop";

/** The emulator's address when `target: local` and no `endpoint` is set. */
export const DEFAULT_LOCAL_ENDPOINT = "http://127.0.0.1:4599";
/** The emulator's default account id (`npm run emulator -- --account-id`). */
export const DEFAULT_LOCAL_ACCOUNT = "000000000000";

/** Region used on `target: local` when `aws:region` is not set (the emulator accepts any). */
export const DEFAULT_LOCAL_REGION = "us-east-1";

/** Placeholder role for `target: local`: the emulator reads its own S3, no IAM involved. */
export const LOCAL_ROLE_ARN = "arn:aws:iam::000000000000:role/personalize-local";

/** The S3 prefix the workshop's Glue job writes to; the role may read only below it. */
export const DATA_PREFIX = "transformed/";

/**
 * Recipes a campaign can serve from an interactions-only dataset group. `aws-hrnn*` are the
 * workshop's legacy recipes: the emulator still trains them, the real service refuses them for
 * new solutions (https://docs.aws.amazon.com/personalize/latest/dg/legacy-user-personalization-recipes.html).
 */
export const KNOWN_RECIPES: readonly string[] = [
  "aws-user-personalization",
  "aws-user-personalization-v2",
  "aws-personalized-ranking",
  "aws-personalized-ranking-v2",
  "aws-popularity-count",
  "aws-trending-now",
  "aws-sims",
  "aws-hrnn",
  "aws-hrnn-metadata",
  "aws-hrnn-coldstart",
];

/** The workshop's HRNN recipes: accepted everywhere, warned about on `target: aws`. */
export const LEGACY_RECIPES: readonly string[] = [
  "aws-hrnn",
  "aws-hrnn-metadata",
  "aws-hrnn-coldstart",
];

const RECIPE_ARN_PREFIX = "arn:aws:personalize:::recipe/";

/**
 * The prefix also names the S3 bucket (`<prefix>-data`, plus Pulumi's 8-character random
 * suffix on AWS), so it follows the stricter S3 rules: lower case, digits, hyphens. 40
 * characters leave room for the longest derived name, `<prefix>-interactions-schema`.
 */
const NAME_PREFIX = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const NAME_PREFIX_MAX = 40;

/** Physical names of every named resource; two stacks with different prefixes never share one. */
export interface ResourceNames {
  readonly datasetGroup: string;
  readonly schema: string;
  readonly dataset: string;
  /** Prefix only: the import-job provider appends a unique suffix per job. */
  readonly importJob: string;
  readonly solution: string;
  readonly solutionVersion: string;
  readonly campaign: string;
  /**
   * The data bucket's name. On `target: aws` undefined unless configured, and then Pulumi
   * autonames it from `<prefix>-data` (S3 names are global across all accounts).
   */
  readonly bucket?: string;
}

/**
 * The quality gate between the solution version and the campaign (`qualityGate`, an object):
 * a new version reaches the campaign only if `metric` is at least `minimum` and at most
 * `maxDrop` (a fraction) below the version served now, or if `approve` names it.
 */
export interface QualityGateConfig {
  /** False: no gate, the campaign takes every new version. */
  readonly enabled: boolean;
  readonly metric: string;
  readonly minimum: number;
  readonly maxDrop: number;
  /** A solution version ARN a person approves whatever its metrics. */
  readonly approve?: string;
}

/** The settings `qualityGate` takes, with their defaults (as Pulumi.yaml declares them). */
export const QUALITY_GATE_CONFIG_DEFAULTS: QualityGateConfig = {
  enabled: true,
  ...QUALITY_GATE_DEFAULTS,
};

/** The validated stack configuration with every default filled in. */
export interface StackConfig {
  readonly target: Target;
  readonly stack: string;
  readonly region: string;
  /** Personalize (and, on local, S3) endpoint; undefined means the SDK's default for the region. */
  readonly endpoint?: string;
  /**
   * On target `local`, the emulator's account id (its `--account-id`), which ARNs carry;
   * undefined on `aws`, where the caller's account is asked for.
   */
  readonly accountId?: string;
  readonly namePrefix: string;
  readonly names: ResourceNames;
  /** Path of the interactions CSV, relative to the project directory unless absolute. */
  readonly dataFile: string;
  /** Path of the Avro schema, relative to the project directory unless absolute. */
  readonly schemaFile: string;
  /** Check the data file against the schema and the training minimums while the program runs. */
  readonly validateData: boolean;
  /** The recipe id as configured (`aws-user-personalization`). */
  readonly recipe: string;
  readonly recipeArn: string;
  readonly performAutoTraining: boolean;
  /** Only when automatic training is on; undefined keeps the service's default (7 days). */
  readonly autoTrainingSchedule?: string;
  readonly performHPO: boolean;
  readonly minProvisionedTPS: number;
  readonly eventType?: string;
  readonly tags: Record<string, string>;
  readonly qualityGate: QualityGateConfig;
  /** Messages the program logs with `pulumi.log.warn` (parsing itself stays pure). */
  readonly warnings: readonly string[];
}

/** Reads one config value; `key` is unqualified for this project, `aws:region` for AWS's. */
export type ConfigGetter = (key: string) => string | undefined;

/** Every project config key, as declared in Pulumi.yaml. */
export const CONFIG_KEYS = [
  "target",
  "endpoint",
  "accountId",
  "namePrefix",
  "datasetGroupName",
  "schemaName",
  "datasetName",
  "importJobName",
  "solutionName",
  "solutionVersionName",
  "campaignName",
  "bucketName",
  "dataFile",
  "schemaFile",
  "validateData",
  "recipe",
  "performAutoTraining",
  "autoTrainingSchedule",
  "performHPO",
  "minProvisionedTPS",
  "eventType",
  "tags",
  "qualityGate",
] as const;

/** `value` as it came: text, or any JSON type for a setting inside an object. */
function fail(key: string, value: unknown, why: string): never {
  throw new Error(`${PROJECT}:${key} ${why}, got ${show(value)}`);
}

/** Fails unless the value follows a shared rule, with the rule's words. */
function follow(key: string, value: string, rule: StringRule): void {
  if (!follows(rule, value)) fail(key, value, rule.problem);
}

/** Empty strings count as unset: `pulumi config set key ""` should not defeat a default. */
function optional(get: ConfigGetter, key: string): string | undefined {
  const value = get(key);
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function parseBoolean(get: ConfigGetter, key: string, fallback: boolean): boolean {
  const value = optional(get, key);
  if (value === undefined) return fallback;
  if (value === "true") return true;
  if (value === "false") return false;
  return fail(key, value, 'must be "true" or "false"');
}

function parseName(get: ConfigGetter, key: string, fallback: string): string {
  const value = optional(get, key) ?? fallback;
  if (value.length > NAME.max) {
    fail(key, value, `must be at most ${NAME.max} characters (it is ${value.length})`);
  }
  follow(key, value, NAME);
  return value;
}

/**
 * The default name prefix of a stack: `segment-workshop` on `dev`, `segment-workshop-<stack>`
 * elsewhere. Stack names may hold `.`, `_` and capitals; a prefix may not, so those become `-`.
 */
export function defaultNamePrefix(stack: string): string {
  if (stack === "dev") return "segment-workshop";
  const slug = stack
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `segment-workshop-${slug || "stack"}`.slice(0, NAME_PREFIX_MAX).replace(/-+$/, "");
}

/**
 * Accepts a recipe id (`aws-user-personalization`) or its full ARN and returns the id; anything
 * outside {@link KNOWN_RECIPES} is refused here rather than hours later by the service.
 */
function parseRecipe(value: string): string {
  const id = value.startsWith(RECIPE_ARN_PREFIX) ? value.slice(RECIPE_ARN_PREFIX.length) : value;
  if (!KNOWN_RECIPES.includes(id)) {
    fail(
      "recipe",
      value,
      `is not a recipe this stack can deploy (one of ${KNOWN_RECIPES.join(", ")})`,
    );
  }
  return id;
}

function parseTags(get: ConfigGetter, stack: string): Record<string, string> {
  const tags: Record<string, string> = { project: PROJECT, stack };
  const raw = optional(get, "tags");
  if (raw === undefined) return tags;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fail("tags", raw, "must be an object of string values");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return fail("tags", raw, "must be an object of string values");
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== "string") fail(`tags.${key}`, value, "must be a string");
    if (key.length < 1 || key.length > 128) fail("tags", key, "keys must be 1-128 characters");
    if (key.toLowerCase().startsWith("aws:")) fail("tags", key, 'keys must not start with "aws:"');
    if (value.length > 256) fail(`tags.${key}`, value, "must be at most 256 characters");
    tags[key] = value;
  }
  return tags;
}

/**
 * `qualityGate`, an object (JSON text, as the engine hands objects to the program). A setting
 * left out takes its default, so `pulumi config set --path qualityGate.approve ARN` on a stack
 * that never set the others keeps them. Numbers and booleans may also come as their text.
 */
function parseQualityGate(get: ConfigGetter, warnings: string[]): QualityGateConfig {
  const raw = optional(get, "qualityGate");
  if (raw === undefined) return QUALITY_GATE_CONFIG_DEFAULTS;
  const shape =
    'must be an object such as {"metric":"normalized_discounted_cumulative_gain_at_10","minimum":0.05,"maxDrop":0.1}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fail("qualityGate", raw, shape);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return fail("qualityGate", raw, shape);
  }
  const settings = parsed as Record<string, unknown>;
  const known = [...Object.keys(QUALITY_GATE_CONFIG_DEFAULTS), "approve"];
  for (const key of Object.keys(settings)) {
    if (!known.includes(key)) {
      fail(
        `qualityGate.${key}`,
        settings[key],
        `is not a setting of the quality gate (${known.join(", ")})`,
      );
    }
  }
  const set = (key: string) =>
    settings[key] === undefined || settings[key] === null || settings[key] === ""
      ? undefined
      : settings[key];

  let enabled = QUALITY_GATE_CONFIG_DEFAULTS.enabled;
  const enabledValue = set("enabled");
  if (enabledValue !== undefined) {
    if (enabledValue === true || enabledValue === "true") enabled = true;
    else if (enabledValue === false || enabledValue === "false") enabled = false;
    else fail("qualityGate.enabled", enabledValue, "must be true or false");
  }

  const metric = set("metric") ?? QUALITY_GATE_CONFIG_DEFAULTS.metric;
  if (typeof metric !== "string" || !METRIC_NAME.test(metric)) {
    fail(
      "qualityGate.metric",
      metric,
      `must be a metric name such as ${QUALITY_GATE_CONFIG_DEFAULTS.metric}`,
    );
  }
  if (!SOLUTION_METRICS.includes(metric)) {
    warnings.push(
      `${PROJECT}:qualityGate.metric ${JSON.stringify(metric)} is none of the metrics Personalize ` +
        `reports for every solution version (${SOLUTION_METRICS.join(", ")}); the gate fails ` +
        `if the new version does not report it`,
    );
  }

  const fraction = (key: "minimum" | "maxDrop", hint: string): number => {
    const value = set(key);
    if (value === undefined) return QUALITY_GATE_CONFIG_DEFAULTS[key];
    const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof number !== "number" || !Number.isFinite(number) || number < 0 || number > 1) {
      fail(`qualityGate.${key}`, value, `must be a number from 0 to 1${hint}`);
    }
    return number;
  };
  const minimum = fraction("minimum", "");
  const maxDrop = fraction("maxDrop", " (a fraction: 0.1 allows a 10% drop)");

  const approve = set("approve");
  if (approve !== undefined) {
    if (typeof approve !== "string" || !SOLUTION_VERSION_ARN.test(approve.trim())) {
      fail(
        "qualityGate.approve",
        approve,
        "must be a solution version ARN (arn:aws:personalize:<region>:<account>:solution/<name>/<id>)",
      );
    }
  }
  return {
    enabled,
    metric,
    minimum,
    maxDrop,
    ...(typeof approve === "string" ? { approve: approve.trim() } : {}),
  };
}

/**
 * Validates the stack's config and fills defaults. Pure: `get` supplies the values, so tests
 * and the offline runner call it without a Pulumi engine.
 *
 * Naming rule: every Personalize name is `<namePrefix>-<role>` (`-dataset-group`,
 * `-interactions-schema`, `-interactions`, `-import`, `-solution`, `-version`, `-campaign`), and
 * the default prefix is `segment-workshop` on the `dev` stack (so dev keeps the workshop's
 * campaign name, `segment-workshop-campaign`) and `segment-workshop-<stack>` on every other
 * stack, so two stacks in one account and region never collide. Each name can be set on its own.
 */
export function parseStackConfig(get: ConfigGetter, stack: string): StackConfig {
  const targetValue = optional(get, "target") ?? "aws";
  if (targetValue !== "aws" && targetValue !== "local") {
    fail("target", targetValue, 'must be "aws" or "local"');
  }
  const target: Target = targetValue;

  const regionValue = optional(get, "aws:region");
  if (regionValue === undefined && target === "aws") {
    throw new Error(
      'aws:region is required on target "aws" (pulumi config set aws:region us-east-1)',
    );
  }
  const region = regionValue ?? DEFAULT_LOCAL_REGION;
  if (!follows(REGION, region)) {
    throw new Error(`aws:region ${REGION.problem}, got ${show(region)}`);
  }

  const endpoint =
    optional(get, "endpoint") ?? (target === "local" ? DEFAULT_LOCAL_ENDPOINT : undefined);
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
      fail("endpoint", endpoint, "must be an http:// or https:// URL");
    }
  }

  const accountValue = optional(get, "accountId");
  if (accountValue !== undefined && !/^\d{12}$/.test(accountValue)) {
    fail("accountId", accountValue, "must be 12 digits");
  }
  // On AWS the account is the caller's, asked for at run time.
  const accountId = target === "local" ? (accountValue ?? DEFAULT_LOCAL_ACCOUNT) : undefined;

  const namePrefix = optional(get, "namePrefix") ?? defaultNamePrefix(stack);
  if (namePrefix.length > NAME_PREFIX_MAX) {
    fail(
      "namePrefix",
      namePrefix,
      `must be at most ${NAME_PREFIX_MAX} characters (it is ${namePrefix.length})`,
    );
  }
  if (!NAME_PREFIX.test(namePrefix)) {
    fail("namePrefix", namePrefix, "must be lower-case letters, digits and inner hyphens");
  }

  const bucket =
    optional(get, "bucketName") ?? (target === "local" ? `${namePrefix}-data` : undefined);
  if (bucket !== undefined) follow("bucketName", bucket, BUCKET_NAME);

  const names: ResourceNames = {
    datasetGroup: parseName(get, "datasetGroupName", `${namePrefix}-dataset-group`),
    schema: parseName(get, "schemaName", `${namePrefix}-interactions-schema`),
    dataset: parseName(get, "datasetName", `${namePrefix}-interactions`),
    importJob: parseName(get, "importJobName", `${namePrefix}-import`),
    solution: parseName(get, "solutionName", `${namePrefix}-solution`),
    solutionVersion: parseName(get, "solutionVersionName", `${namePrefix}-version`),
    campaign: parseName(get, "campaignName", `${namePrefix}-campaign`),
    ...(bucket === undefined ? {} : { bucket }),
  };

  const recipeValue = optional(get, "recipe") ?? "aws-user-personalization";
  const recipe = parseRecipe(recipeValue);
  const warnings: string[] = [];
  if (target === "aws" && LEGACY_RECIPES.includes(recipe)) {
    warnings.push(
      `recipe ${recipe} is legacy: Amazon Personalize no longer accepts it for new solutions, so ` +
        `"pulumi up" will fail at CreateSolution; use aws-user-personalization (the default) or ` +
        `aws-user-personalization-v2 on AWS, or keep ${recipe} on the local emulator`,
    );
  }

  const performAutoTraining = parseBoolean(get, "performAutoTraining", false);
  const autoTrainingSchedule = optional(get, "autoTrainingSchedule");
  if (autoTrainingSchedule !== undefined) {
    follow("autoTrainingSchedule", autoTrainingSchedule, AUTO_TRAINING_SCHEDULE);
    if (!performAutoTraining) {
      fail(
        "autoTrainingSchedule",
        autoTrainingSchedule,
        'needs performAutoTraining "true" (automatic training is off)',
      );
    }
  }

  const tpsValue = optional(get, "minProvisionedTPS") ?? "1";
  const minProvisionedTPS = Number(tpsValue);
  if (
    !/^\d+$/.test(tpsValue) ||
    !Number.isSafeInteger(minProvisionedTPS) ||
    minProvisionedTPS < 1
  ) {
    fail("minProvisionedTPS", tpsValue, "must be a whole number of at least 1");
  }

  const eventType = optional(get, "eventType");
  if (eventType !== undefined && eventType.length > 256) {
    fail("eventType", eventType, "must be at most 256 characters");
  }

  return {
    target,
    stack,
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(accountId === undefined ? {} : { accountId }),
    namePrefix,
    names,
    dataFile: optional(get, "dataFile") ?? "data/interactions.csv",
    schemaFile: optional(get, "schemaFile") ?? "schemas/event_schema.avsc",
    validateData: parseBoolean(get, "validateData", true),
    recipe,
    recipeArn: `${RECIPE_ARN_PREFIX}${recipe}`,
    performAutoTraining,
    ...(autoTrainingSchedule === undefined ? {} : { autoTrainingSchedule }),
    performHPO: parseBoolean(get, "performHPO", false),
    minProvisionedTPS,
    ...(eventType === undefined ? {} : { eventType }),
    tags: parseTags(get, stack),
    qualityGate: parseQualityGate(get, warnings),
    warnings,
  };
}

/** Reads the running stack's config (project namespace plus `aws:region`) and validates it. */
export function readStackConfig(): StackConfig {
  const project = new pulumi.Config();
  const aws = new pulumi.Config("aws");
  return parseStackConfig(
    // The AWS provider itself falls back to AWS_REGION, so the Personalize resources do too.
    (key) =>
      key === "aws:region" ? (aws.get("region") ?? process.env.AWS_REGION) : project.get(key),
    pulumi.getStack(),
  );
}
