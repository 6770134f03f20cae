/**
 * How the pack recognises Personalize resources. Our classes register as
 * `pulumi-nodejs:dynamic/personalize:<Kind>` (the SDK's dynamic.Resource builds the token from
 * the module and type it is given, @pulumi/pulumi dynamic/index.js), but a dynamic resource built
 * without them is `pulumi-nodejs:dynamic:Resource`, whatever it manages. So the type token is
 * trusted where it names a kind, and any other dynamic resource is recognised by the shape of
 * its properties, which is the Personalize API's own (CreateCampaign's `solutionVersionArn`,
 * CreateRecommender's `recommenderConfig`, ...).
 *
 * The pack deliberately shares no code with the stack it checks.
 */
import { UnknownValueError } from "@pulumi/policy";

/** The kinds the policies look at. */
export type PersonalizeKind = "Solution" | "Campaign" | "Recommender";

const OUR_TYPE = /^pulumi-nodejs:dynamic\/personalize:([A-Za-z]+)$/;
const ANY_DYNAMIC = /^pulumi-nodejs:dynamic(?:\/[^:]*)?:/;

/** Once created, the resource's ARN names its kind; a solution version's has one more segment. */
const ARN_KIND: readonly [RegExp, PersonalizeKind][] = [
  [/^arn:[^:]+:personalize:[^:]*:[^:]*:solution\/[^/]+$/, "Solution"],
  [/^arn:[^:]+:personalize:[^:]*:[^:]*:campaign\/[^/]+$/, "Campaign"],
  [/^arn:[^:]+:personalize:[^:]*:[^:]*:recommender\/[^/]+$/, "Recommender"],
];

/** Domain recipes (`aws-ecomm-*`, `aws-vod-*`) serve recommenders only, never solutions. */
const DOMAIN_RECIPE = /:recipe\/aws-(ecomm|vod)-/;

/**
 * A property's value, or undefined when it is unset or not known yet (during preview). Reading
 * an unknown value through the analyzer's proxy throws; a policy that needs the value lets that
 * happen (the SDK then reports it cannot run during preview), one that can do without uses this.
 */
export function known(read: () => unknown): unknown {
  try {
    return read();
  } catch (err) {
    if (err instanceof UnknownValueError) return undefined;
    throw err;
  }
}

function has(props: Record<string, unknown>, ...keys: string[]): boolean {
  return keys.every((key) => key in props);
}

function byShape(props: Record<string, unknown>): PersonalizeKind | undefined {
  const arn = known(() => props.arn);
  if (typeof arn === "string") {
    const found = ARN_KIND.find(([pattern]) => pattern.test(arn));
    if (found) return found[1];
  }
  const recipeArn = known(() => props.recipeArn);
  const domainRecipe = typeof recipeArn === "string" && DOMAIN_RECIPE.test(recipeArn);
  if (
    has(props, "datasetGroupArn", "recipeArn") &&
    ("recommenderConfig" in props || domainRecipe)
  ) {
    return "Recommender";
  }
  if (has(props, "datasetGroupArn", "recipeArn")) return "Solution";
  // A campaign deploys a solution version; a batch job (jobInput), a solution version
  // (trainingMode) and a quality gate (approvedVersionArn) also name one, but do not serve.
  if (
    has(props, "name", "solutionVersionArn") &&
    !("jobInput" in props || "trainingMode" in props || "approvedVersionArn" in props)
  ) {
    return "Campaign";
  }
  return undefined;
}

/**
 * The Personalize kind of a resource, or undefined when it is none the policies check: from our
 * type token, else from the properties of any dynamic resource.
 */
export function personalizeKind(type: string, props: Record<string, unknown>): string | undefined {
  const ours = OUR_TYPE.exec(type);
  if (ours) return ours[1];
  return ANY_DYNAMIC.test(type) ? byShape(props) : undefined;
}

/**
 * Whether a Personalize resource talks to AWS itself: no `endpoint` (the SDK's default for the
 * region) or an AWS host. The local emulator (`http://127.0.0.1:4599`) is not AWS.
 */
export function onAws(props: Record<string, unknown>): boolean {
  if (!("endpoint" in props) || props.endpoint === undefined || props.endpoint === null) {
    return true;
  }
  const endpoint = props.endpoint;
  if (typeof endpoint !== "string" || endpoint === "") return true;
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return false;
  }
  return /(^|\.)amazonaws\.com(\.cn)?$/.test(host) || host.endsWith(".api.aws");
}
