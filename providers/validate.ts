/**
 * Pure validators for `check`. Each one records a failure that names the property and the
 * offending value, and each one lets the engine's unknown-value sentinel through: during
 * `pulumi preview` an input that depends on a resource not yet created arrives as that
 * string, and a name pattern would otherwise accept or reject a UUID that is not the value.
 */
import { errorMessage } from "./client";

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

/** How a value is quoted in messages: strings in double quotes, everything else as JSON. */
export function show(value: unknown): string {
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function fail(failures: Failure[], property: string, value: unknown, problem: string): void {
  failures.push({ property, reason: `${property} ${show(value)} ${problem}` });
}

function missing(failures: Failure[], property: string): void {
  failures.push({ property, reason: `${property} is required` });
}

/** personalize-api.md §2.1: 1-63 characters, a letter or digit first, then letters, digits, `-`, `_`. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9\-_]*$/;
export const NAME_MAX = 63;

export function checkName(
  failures: Failure[],
  property: string,
  value: unknown,
  opts: { required?: boolean; maxLength?: number } = {},
): void {
  const max = opts.maxLength ?? NAME_MAX;
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
  if (!NAME_PATTERN.test(value)) {
    fail(
      failures,
      property,
      value,
      "must start with a letter or digit and contain only letters, digits, '-' and '_'",
    );
  }
}

const ARN_PATTERNS = {
  personalize: {
    re: /^arn:([a-z\d-]+):personalize:.*:.*:.+$/,
    max: 256,
    what: "a Personalize ARN",
  },
  role: {
    re: /^arn:([a-z\d-]+):iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/,
    max: 256,
    what: "an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)",
  },
  kms: { re: /^arn:aws.*:kms:.*:[0-9]{12}:key\/.*$/, max: 2048, what: "a KMS key ARN" },
} as const;

export function checkArn(
  failures: Failure[],
  property: string,
  value: unknown,
  kind: keyof typeof ARN_PATTERNS,
  opts: { required?: boolean } = {},
): void {
  if (value === undefined) {
    if (opts.required !== false) missing(failures, property);
    return;
  }
  if (value === UNKNOWN) return;
  const { re, max, what } = ARN_PATTERNS[kind];
  if (typeof value !== "string" || value.length > max || !re.test(value)) {
    fail(failures, property, value, `is not ${what}`);
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

/** personalize-api.md §2.1: a data location for an import job. */
export function checkS3Location(
  failures: Failure[],
  property: string,
  value: unknown,
  opts: { required?: boolean } = {},
): void {
  checkString(failures, property, value, {
    required: opts.required ?? true,
    min: 1,
    max: 256,
    pattern: /^(s3|http|https):\/\/.+$/,
    hint: "must be an S3 location such as s3://bucket/path/file.csv",
  });
}

const TAG_PATTERN = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;

/** personalize-api.md §2.1: at most 200 tags, keys 1-128 and values 0-256 characters. */
export function checkTags(failures: Failure[], property: string, value: unknown): void {
  if (value === undefined || value === UNKNOWN) return;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return fail(failures, property, value, "must be a map of tag keys to string values");
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 200)
    fail(failures, property, `${entries.length} tags`, "exceeds the limit of 200");
  for (const [key, v] of entries) {
    if (key.length < 1 || key.length > 128 || !TAG_PATTERN.test(key)) {
      fail(
        failures,
        `${property}`,
        key,
        "is not a valid tag key (1-128 letters, digits, spaces, _.:/=+-@)",
      );
    }
    if (v === UNKNOWN) continue;
    if (typeof v !== "string" || v.length > 256 || !TAG_PATTERN.test(v)) {
      fail(
        failures,
        `${property}.${key}`,
        v,
        "is not a valid tag value (a string of 0-256 letters, digits, spaces, _.:/=+-@)",
      );
    }
  }
}

/** AWS region names such as us-east-1, eu-central-2, us-gov-west-1. */
export function checkRegion(failures: Failure[], property: string, value: unknown): void {
  checkString(failures, property, value, {
    pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/,
    hint: "is not an AWS region name such as us-east-1",
  });
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
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(plain);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined && typeof v !== "function") out[k] = plain(v);
    }
    return out;
  }
  if (typeof value === "bigint") return Number(value);
  return value;
}

/** JSON with sorted keys, so that two values equal as data compare equal as text. */
export function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value)) ?? "undefined";
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
