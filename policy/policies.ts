/**
 * The pack's policies. Personalize bills for what stays on (campaigns and recommenders per
 * provisioned TPS-hour, training per hour, automatic training weekly) and refuses the legacy
 * HRNN recipes at deploy time; the data bucket and the role Personalize assumes should expose
 * nothing and write nothing. Each policy checks what the engine hands it: inputs after the
 * provider's check (Analyze) or the final outputs with their dependencies (AnalyzeStack).
 *
 * Enforcement levels and the properties below are set with the CLI's `--policy-pack-config`
 * file, e.g. `{"personalize-training-opt-in": "mandatory"}` or
 * `{"personalize-provisioned-tps-ceiling": {"maxProvisionedTPS": 2}}`.
 */
import {
  Policies,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { deniesInsecureTransport, trusts, writeActions } from "./iam";
import { known, onAws, personalizeKind } from "./resources";

/** The pack's name, as the CLI reports violations under it. */
export const PACK_NAME = "personalize-guardrails";

/** Every policy's name. */
export const POLICY = {
  legacyRecipe: "personalize-legacy-recipe-on-aws",
  trainingOptIn: "personalize-training-opt-in",
  tpsCeiling: "personalize-provisioned-tps-ceiling",
  stackTags: "personalize-stack-tags",
  publicAccessBlock: "s3-bucket-public-access-block",
  tlsOnly: "s3-bucket-tls-only",
  roleReadOnly: "personalize-role-read-only",
} as const;

/** Recipes the service no longer accepts for new solutions (the workshop used `aws-hrnn`). */
export const LEGACY_RECIPES: readonly string[] = [
  "aws-hrnn",
  "aws-hrnn-metadata",
  "aws-hrnn-coldstart",
];

/** Config of {@link POLICY.trainingOptIn}: solution names whose costs were agreed to. */
export interface TrainingOptInConfig {
  readonly autoTrainingSolutions?: readonly string[];
  readonly hpoSolutions?: readonly string[];
}

/** Config of {@link POLICY.tpsCeiling}. */
export interface TpsCeilingConfig {
  readonly maxProvisionedTPS?: number;
}

/** Config of {@link POLICY.stackTags}. */
export interface StackTagsConfig {
  readonly requiredTags?: readonly string[];
}

/** Config of {@link POLICY.roleReadOnly}. */
export interface RoleReadOnlyConfig {
  readonly allowedActions?: readonly string[];
}

/** The TPS ceiling without config: 10 TPS, about 7,300 TPS-hours a month per campaign. */
export const DEFAULT_MAX_PROVISIONED_TPS = 10;

/** The tags every campaign and recommender carries without config: the stack always sets them. */
export const DEFAULT_REQUIRED_TAGS: readonly string[] = ["project", "stack"];

const PERSONALIZE_PRINCIPAL = "personalize.amazonaws.com";
const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const PUBLIC_ACCESS_FLAGS = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
];

const stringList = { type: "array", items: { type: "string" } } as const;

/** The kind of the resource, or marks the policy not applicable to it. */
function kindOf(args: ResourceValidationArgs, ...wanted: string[]): string {
  const kind = personalizeKind(args.type, args.props);
  if (kind === undefined || !wanted.includes(kind)) {
    return args.notApplicable(`not a Personalize ${wanted.join(" or ")}`);
  }
  return kind;
}

/** `arn:aws:personalize:::recipe/aws-hrnn` -> `aws-hrnn` (an id stays an id). */
function recipeId(recipeArn: unknown): string {
  return String(recipeArn).replace(/^arn:[^:]+:personalize:[^:]*:[^:]*:recipe\//, "");
}

const legacyRecipe: ResourceValidationPolicy = {
  name: POLICY.legacyRecipe,
  description:
    "Solutions on AWS must not use the legacy HRNN recipes: Amazon Personalize refuses them " +
    "for new solutions, so the deploy would fail at CreateSolution.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    kindOf(args, "Solution");
    const recipe = recipeId(args.props.recipeArn);
    if (!LEGACY_RECIPES.includes(recipe) || !onAws(args.props)) return;
    reportViolation(
      `solution ${JSON.stringify(args.props.name)} uses recipe ${recipe}, which Amazon ` +
        `Personalize no longer accepts for new solutions: use aws-user-personalization or ` +
        `aws-user-personalization-v2 on AWS, or keep ${recipe} on the local emulator`,
    );
  },
};

const trainingOptIn: ResourceValidationPolicy = {
  name: POLICY.trainingOptIn,
  description:
    "Automatic training (billed every week) and hyperparameter optimisation (several training " +
    "jobs) are on only for solutions listed in this policy's config.",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      autoTrainingSolutions: { ...stringList, default: [] },
      hpoSolutions: { ...stringList, default: [] },
    },
  },
  validateResource: (args, reportViolation) => {
    kindOf(args, "Solution");
    const config = args.getConfig<TrainingOptInConfig>();
    const name = String(args.props.name);
    // CreateSolution's own default for performAutoTraining is true.
    const autoTraining = !("performAutoTraining" in args.props) || args.props.performAutoTraining;
    const optIn = (list: string, key: string) =>
      `list it in ${list} to opt in (in the --policy-pack-config file: ` +
      `{"${POLICY.trainingOptIn}": {"${list}": ["${name}"]}}), or set ${key} false`;
    if (autoTraining === true && !(config.autoTrainingSolutions ?? []).includes(name)) {
      reportViolation(
        `solution ${JSON.stringify(name)} has performAutoTraining on (` +
          `${"performAutoTraining" in args.props ? "set" : "the service's default"}): Personalize ` +
          `trains a new version every 7 days or on its schedule, billed per training hour; ` +
          optIn("autoTrainingSolutions", "performAutoTraining"),
      );
    }
    if (args.props.performHPO === true && !(config.hpoSolutions ?? []).includes(name)) {
      reportViolation(
        `solution ${JSON.stringify(name)} has performHPO on: every training runs several ` +
          `training jobs to tune hyperparameters, each billed; ` +
          optIn("hpoSolutions", "performHPO"),
      );
    }
  },
};

const tpsCeiling: ResourceValidationPolicy = {
  name: POLICY.tpsCeiling,
  description:
    "Campaigns' minProvisionedTPS and recommenders' minRecommendationRequestsPerSecond stay at " +
    "or below a ceiling: both are billed per hour while active, used or not.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxProvisionedTPS: { type: "integer", minimum: 1, default: DEFAULT_MAX_PROVISIONED_TPS },
    },
  },
  validateResource: (args, reportViolation) => {
    const kind = kindOf(args, "Campaign", "Recommender");
    const max = args.getConfig<TpsCeilingConfig>().maxProvisionedTPS ?? DEFAULT_MAX_PROVISIONED_TPS;
    // Both default to 1 in the service when not given.
    const [key, value] =
      kind === "Campaign"
        ? ["minProvisionedTPS", args.props.minProvisionedTPS ?? 1]
        : [
            "recommenderConfig.minRecommendationRequestsPerSecond",
            args.props.recommenderConfig?.minRecommendationRequestsPerSecond ?? 1,
          ];
    if (typeof value === "number" && value > max) {
      reportViolation(
        `${kind.toLowerCase()} ${JSON.stringify(args.props.name)} sets ${key} ${value}, above ` +
          `the ceiling of ${max} (billed per TPS-hour while active); lower it, or raise ` +
          `maxProvisionedTPS in this policy's config`,
      );
    }
  },
};

/** The stack and project the CLI runs the pack for (it sets these for Node.js packs). */
function runningFor(): Record<string, string | undefined> {
  return {
    stack: process.env.PULUMI_NODEJS_STACK || process.env.PULUMI_STACK || undefined,
    project: process.env.PULUMI_NODEJS_PROJECT || process.env.PULUMI_PROJECT || undefined,
  };
}

const stackTags: ResourceValidationPolicy = {
  name: POLICY.stackTags,
  description:
    "Campaigns and recommenders, the resources billed while they run, carry the stack's tags " +
    "(project and stack, matching the stack being deployed) so their cost can be attributed.",
  enforcementLevel: "advisory",
  configSchema: {
    properties: { requiredTags: { ...stringList, default: [...DEFAULT_REQUIRED_TAGS] } },
  },
  validateResource: (args, reportViolation) => {
    const kind = kindOf(args, "Campaign", "Recommender");
    const required = args.getConfig<StackTagsConfig>().requiredTags ?? DEFAULT_REQUIRED_TAGS;
    const tags: Record<string, unknown> = args.props.tags ?? {};
    const expected = runningFor();
    const missing = required.filter((key) => typeof tags[key] !== "string" || tags[key] === "");
    const what = `${kind.toLowerCase()} ${JSON.stringify(args.props.name)}`;
    if (missing.length > 0) {
      reportViolation(
        `${what} lacks the tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ` +
          `(it has ${JSON.stringify(tags)}); set them, as the stack's config tags do`,
      );
    }
    for (const key of required) {
      const want = expected[key];
      if (want !== undefined && typeof tags[key] === "string" && tags[key] !== want) {
        reportViolation(
          `${what} has tag ${key}=${JSON.stringify(tags[key])}, but this is ${key} ` +
            `${JSON.stringify(want)}: its cost would be attributed elsewhere`,
        );
      }
    }
  },
};

/** The names a child resource may use to point at a bucket or role: name, id or ARN. */
function handles(resource: PolicyResource, ...keys: string[]): string[] {
  return keys
    .map((key) => known(() => resource.props[key]))
    .filter((v): v is string => typeof v === "string" && v !== "");
}

/**
 * Whether `child.props[property]` points at `target`: through the engine's recorded property
 * dependencies (known even in preview), else by value.
 */
function pointsAt(child: PolicyResource, property: string, target: PolicyResource, ids: string[]) {
  if ((child.propertyDependencies[property] ?? []).some((r) => r.urn === target.urn)) return true;
  const value = known(() => child.props[property]);
  return typeof value === "string" && ids.includes(value);
}

/** Runs `check` for every AWS bucket of the stack with the resources attached to it. */
function forEachBucket(
  args: StackValidationArgs,
  attachedType: string,
  check: (bucket: PolicyResource, attached: PolicyResource[]) => void,
): void {
  const buckets = args.resources.filter((r) => BUCKET_TYPES.includes(r.type));
  if (buckets.length === 0) args.notApplicable("the stack has no S3 bucket");
  for (const bucket of buckets) {
    const ids = handles(bucket, "bucket", "id", "arn");
    check(
      bucket,
      args.resources.filter((r) => r.type === attachedType && pointsAt(r, "bucket", bucket, ids)),
    );
  }
}

const publicAccessBlock: StackValidationPolicy = {
  name: POLICY.publicAccessBlock,
  description: "Every S3 bucket has a public access block with all four settings on.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation: ReportViolation) =>
    forEachBucket(args, PUBLIC_ACCESS_BLOCK, (bucket, blocks) => {
      const complete = blocks.some((b) => PUBLIC_ACCESS_FLAGS.every((f) => b.props[f] === true));
      if (complete) return;
      const partial = blocks.map((b) => PUBLIC_ACCESS_FLAGS.filter((f) => b.props[f] !== true));
      reportViolation(
        blocks.length === 0
          ? `bucket ${bucket.name} has no BucketPublicAccessBlock: add one with ` +
              `${PUBLIC_ACCESS_FLAGS.join(", ")} all true`
          : `bucket ${bucket.name}'s public access block leaves ${partial[0].join(", ")} off`,
        bucket.urn,
      );
    }),
};

const tlsOnly: StackValidationPolicy = {
  name: POLICY.tlsOnly,
  description:
    "Every S3 bucket's policy denies all requests not made over TLS (aws:SecureTransport false).",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) =>
    forEachBucket(args, BUCKET_POLICY, (bucket, policies) => {
      const bucketArn = known(() => bucket.props.arn);
      const arn = typeof bucketArn === "string" ? bucketArn : undefined;
      const documents = policies.map((p) => p.props.policy);
      if ("policy" in bucket.props && bucket.props.policy) documents.push(bucket.props.policy);
      if (documents.some((d) => deniesInsecureTransport(d, arn))) return;
      reportViolation(
        `bucket ${bucket.name} admits requests over plain HTTP: its policy needs a statement ` +
          `denying "s3:*" to "*" on the bucket and its objects when aws:SecureTransport is false`,
        bucket.urn,
      );
    }),
};

const roleReadOnly: StackValidationPolicy = {
  name: POLICY.roleReadOnly,
  description:
    "Roles Amazon Personalize can assume only read: their inline and attached role policies " +
    "grant no write, delete or administrative action.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { allowedActions: { ...stringList, default: [] } } },
  validateStack: (args, reportViolation) => {
    const allowed = args.getConfig<RoleReadOnlyConfig>().allowedActions ?? [];
    const roles = args.resources.filter(
      (r) => r.type === ROLE && trusts(r.props.assumeRolePolicy, PERSONALIZE_PRINCIPAL),
    );
    if (roles.length === 0) args.notApplicable("no role in the stack trusts Personalize");
    const report = (holder: PolicyResource, role: PolicyResource, document: unknown) => {
      const writes = writeActions(document, allowed);
      if (writes.length === 0) return;
      reportViolation(
        `${holder.name} lets role ${role.name}, which Personalize assumes, ` +
          `${writes.join(", ")}: an import job only reads (s3:GetObject, s3:ListBucket); ` +
          `remove them, or list them in this policy's allowedActions`,
        holder.urn,
      );
    };
    for (const role of roles) {
      for (const inline of (role.props.inlinePolicies ?? []) as { policy?: unknown }[]) {
        if (inline.policy) report(role, role, inline.policy);
      }
      const ids = handles(role, "name", "id", "arn");
      for (const attached of args.resources) {
        if (attached.type === ROLE_POLICY && pointsAt(attached, "role", role, ids)) {
          report(attached, role, attached.props.policy);
        }
      }
    }
  },
};

/** Every policy of the pack, in the order the README lists them. */
export const policies: Policies = [
  legacyRecipe,
  trainingOptIn,
  tpsCeiling,
  stackTags,
  publicAccessBlock,
  tlsOnly,
  roleReadOnly,
];
