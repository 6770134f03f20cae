/**
 * Pure validators for `check`. Each one records a failure that names the property and the
 * offending value, and each one lets the engine's unknown-value sentinel through: during
 * `pulumi preview` an input that depends on a resource not yet created arrives as that
 * string, and a name pattern would otherwise accept or reject a UUID that is not the value.
 */
import { types } from "util";
import { BUCKET_NAME, REGION } from "../rules/aws";
import {
  KMS_KEY_ARN,
  NAME,
  PERSONALIZE_ARN,
  ROLE_ARN,
  S3_LOCATION,
  TAG_CHARACTERS,
  TAG_KEY_MAX,
  TAG_VALUE_MAX,
  TAGS_MAX,
} from "../rules/personalize";
import type { StringRule } from "../rules/rule";
import { show } from "../rules/show";
import { errorMessage } from "./client";

export { show };

/** `pulumi.runtime.unknownValue`: what an unknown input looks like to a provider in preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A `check` failure as the engine reports it. */
export interface Failure {
  property: string;
  reason: string;
}

/** True if the value is, or contains, the unknown sentinel. */
export function isUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(isUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(isUnknown);
  return false;
}

function fail(failures: Failure[], property: string, value: unknown, problem: string): void {
  failures.push({ property, reason: `${property} ${show(value)} ${problem}` });
}

function missing(failures: Failure[], property: string): void {
  failures.push({ property, reason: `${property} is required` });
}

/** A Personalize name (rules/personalize.ts): 1-63 characters, a letter or digit first. */
export function checkName(
  failures: Failure[],
  property: string,
  value: unknown,
  opts: { required?: boolean; maxLength?: number } = {},
): void {
  const max = opts.maxLength ?? NAME.max;
  if (value === undefined) {
    if (opts.required !== false) missing(failures, property);
    return;
  }
  if (value === UNKNOWN) return;
  if (typeof value !== "string") return fail(failures, property, value, "must be a string");
  if (value.length < 1 || value.length > max) {
    return fail(
      failures,
      property,
      value,
      `must be 1-${max} characters long (it has ${value.length})`,
    );
  }
  if (!NAME.pattern.test(value)) fail(failures, property, value, NAME.problem);
}

const ARN_RULES = { personalize: PERSONALIZE_ARN, role: ROLE_ARN, kms: KMS_KEY_ARN };

export function checkArn(
  failures: Failure[],
  property: string,
  value: unknown,
  kind: keyof typeof ARN_RULES,
  opts: { required?: boolean } = {},
): void {
  if (value === undefined) {
    if (opts.required !== false) missing(failures, property);
    return;
  }
  if (value === UNKNOWN) return;
  const { pattern, max, problem } = ARN_RULES[kind];
  if (typeof value !== "string" || value.length > max || !pattern.test(value)) {
    fail(failures, property, value, problem);
  }
}

/**
 * That `solutionVersionArn` is a version of `solutionArn` (`<solution ARN>/<id>`), when both are
 * known strings: a campaign's and a quality gate's inputs name both.
 */
export function checkVersionOfSolution(
  failures: Failure[],
  { solutionArn, solutionVersionArn }: { solutionArn?: unknown; solutionVersionArn?: unknown },
): void {
  if (
    typeof solutionArn === "string" &&
    typeof solutionVersionArn === "string" &&
    !isUnknown(solutionArn) &&
    !isUnknown(solutionVersionArn) &&
    !solutionVersionArn.startsWith(`${solutionArn}/`)
  ) {
    failures.push({
      property: "solutionVersionArn",
      reason: `solutionVersionArn ${show(solutionVersionArn)} is not a version of solutionArn ${show(solutionArn)}`,
    });
  }
}

export function checkEnum(
  failures: Failure[],
  property: string,
  value: unknown,
  allowed: readonly string[],
): void {
  if (value === undefined || value === UNKNOWN) return;
  if (typeof value !== "string" || !allowed.includes(value)) {
    fail(failures, property, value, `must be one of ${allowed.join(", ")}`);
  }
}

export function checkNumber(
  failures: Failure[],
  property: string,
  value: unknown,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): void {
  if (value === undefined || value === UNKNOWN) return;
  const { min, max, integer } = opts;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return fail(failures, property, value, "must be a number");
  }
  if (integer && !Number.isInteger(value))
    return fail(failures, property, value, "must be a whole number");
  if (min !== undefined && value < min)
    return fail(failures, property, value, `must be at least ${min}`);
  if (max !== undefined && value > max) fail(failures, property, value, `must be at most ${max}`);
}

export function checkBoolean(failures: Failure[], property: string, value: unknown): void {
  if (value === undefined || value === UNKNOWN) return;
  if (typeof value !== "boolean") fail(failures, property, value, "must be true or false");
}

export function checkString(
  failures: Failure[],
  property: string,
  value: unknown,
  opts: { required?: boolean; min?: number; max?: number; pattern?: RegExp; hint?: string } = {},
): void {
  if (value === undefined) {
    if (opts.required) missing(failures, property);
    return;
  }
  if (value === UNKNOWN) return;
  if (typeof value !== "string") return fail(failures, property, value, "must be a string");
  const min = opts.min ?? 0;
  if (value.length < min || (opts.max !== undefined && value.length > opts.max)) {
    return fail(
      failures,
      property,
      value,
      `must be ${min}-${opts.max ?? "any number of"} characters long (it has ${value.length})`,
    );
  }
  if (opts.pattern && !opts.pattern.test(value)) {
    fail(failures, property, value, opts.hint ?? `must match ${opts.pattern}`);
  }
}

export function checkObject(failures: Failure[], property: string, value: unknown): void {
  if (value === undefined || value === UNKNOWN) return;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fail(failures, property, value, "must be an object");
  }
}

/** A string that must follow a shared rule (rules/), with the rule's own message. */
export function checkRule(
  failures: Failure[],
  property: string,
  value: unknown,
  rule: StringRule,
  opts: { required?: boolean } = {},
): void {
  checkString(failures, property, value, {
    required: opts.required,
    min: rule.min,
    max: rule.max,
    pattern: rule.pattern,
    hint: rule.problem,
  });
}

/** A data location for an import job (rules/personalize.ts). */
export function checkS3Location(
  failures: Failure[],
  property: string,
  value: unknown,
  opts: { required?: boolean } = {},
): void {
  checkRule(failures, property, value, S3_LOCATION, { required: opts.required ?? true });
}

/** At most 200 tags, keys 1-128 and values 0-256 characters (rules/personalize.ts). */
export function checkTags(failures: Failure[], property: string, value: unknown): void {
  if (value === undefined || value === UNKNOWN) return;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return fail(failures, property, value, "must be a map of tag keys to string values");
  }
  const entries = Object.entries(value);
  if (entries.length > TAGS_MAX)
    fail(failures, property, `${entries.length} tags`, `exceeds the limit of ${TAGS_MAX}`);
  for (const [key, v] of entries) {
    if (key.length < 1 || key.length > TAG_KEY_MAX || !TAG_CHARACTERS.test(key)) {
      fail(
        failures,
        `${property}`,
        key,
        "is not a valid tag key (1-128 letters, digits, spaces, _.:/=+-@)",
      );
    }
    if (v === UNKNOWN) continue;
    if (typeof v !== "string" || v.length > TAG_VALUE_MAX || !TAG_CHARACTERS.test(v)) {
      fail(
        failures,
        `${property}.${key}`,
        v,
        "is not a valid tag value (a string of 0-256 letters, digits, spaces, _.:/=+-@)",
      );
    }
  }
}

/** AWS region names such as us-east-1, eu-central-2, us-gov-west-1 (rules/aws.ts). */
export function checkRegion(failures: Failure[], property: string, value: unknown): void {
  checkRule(failures, property, value, REGION);
}

/** S3 bucket names (rules/aws.ts). */
export function checkBucketName(failures: Failure[], property: string, value: unknown): void {
  checkRule(failures, property, value, BUCKET_NAME, { required: true });
}

export function checkEndpoint(failures: Failure[], property: string, value: unknown): void {
  if (value === undefined || value === UNKNOWN) return;
  let ok = false;
  if (typeof value === "string") {
    try {
      const url = new URL(value);
      ok = url.protocol === "http:" || url.protocol === "https:";
    } catch {
      ok = false;
    }
  }
  if (!ok) fail(failures, property, value, "must be an http(s) URL such as http://127.0.0.1:4599");
}

/**
 * Makes a value safe for the engine's wire format (google.protobuf.Struct): `undefined`
 * members are dropped (they throw "Unexpected struct type."), a `Date` becomes epoch seconds
 * (it would silently become `{}`), and so does anything else that is not plain JSON.
 */
export function plain(value: unknown): unknown {
  // util.types rather than `instanceof`, which fails for a value made in another realm.
  if (types.isDate(value)) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(plain);
  if (value !== null && typeof value === "object") return plainObject(value);
  if (typeof value === "bigint") return Number(value);
  return value;
}

/** {@link plain} of an object: its members made safe for the wire, `undefined` ones dropped. */
export function plainObject(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined && typeof v !== "function") out[k] = plain(v);
  }
  return out;
}

/** JSON with sorted keys, so that two values equal as data compare equal as text. */
export function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      const entries: [string, unknown][] = Object.entries(v);
      return Object.fromEntries(
        entries
          .filter(([, member]) => member !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, member]) => [k, sort(member)]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value)) ?? "undefined";
}

/** The value at a path of nested objects, or undefined where the path ends early. */
export function member(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = Object.entries(current).find(([name]) => name === key)?.[1];
  }
  return current;
}

/** Runs a validation that throws; returns its message, or undefined when it passed. */
export function errorFree(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}
