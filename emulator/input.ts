/**
 * Server-side validation of control-plane request members. The v3 SDK validates nothing
 * (personalize-api.md section 1.1), so every pattern, length, enum and required member the
 * service model declares is checked here, with a message naming the member and the value.
 */
import { ServiceError, invalidInput } from "./errors";

export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9\-_]*$/;
export const ARN_PATTERN = /^arn:([a-z\d-]+):personalize:.*:.*:.+$/;
export const ROLE_ARN_PATTERN = /^arn:([a-z\d-]+):iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
export const KMS_ARN_PATTERN = /^arn:aws.*:kms:.*:[0-9]{12}:key\/.*$/;
export const S3_LOCATION_PATTERN = /^(s3|http|https):\/\/.+$/;
const TAG_PATTERN = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;

export interface Tag {
  tagKey: string;
  tagValue: string;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? text.slice(0, 77) + "..." : text;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  return typeof value === "object" ? "structure" : typeof value;
}

/** Typed access to one request body (or nested structure), failing with InvalidInputException. */
export class Input {
  constructor(
    private readonly body: Record<string, unknown>,
    private readonly path = "",
  ) {}

  static of(body: unknown): Input {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new ServiceError(
        "SerializationException",
        `The request body must be a JSON object, got ${typeName(body)}.`,
      );
    }
    return new Input(body as Record<string, unknown>);
  }

  private label(member: string): string {
    return this.path ? `${this.path}.${member}` : member;
  }

  private fail(member: string, problem: string): never {
    throw invalidInput(
      `1 validation error detected: Value ${show(this.body[member])} at '${this.label(member)}' failed to satisfy constraint: ${problem}`,
    );
  }

  private missing(member: string): never {
    throw invalidInput(
      `1 validation error detected: Value null at '${this.label(member)}' failed to satisfy constraint: Member must not be null`,
    );
  }

  string(
    member: string,
    opts: { required: true; min?: number; max?: number; pattern?: RegExp },
  ): string;
  string(
    member: string,
    opts?: { required?: boolean; min?: number; max?: number; pattern?: RegExp },
  ): string | undefined;
  string(
    member: string,
    opts: { required?: boolean; min?: number; max?: number; pattern?: RegExp } = {},
  ): string | undefined {
    const value = this.body[member];
    if (value === undefined || value === null) {
      if (opts.required) this.missing(member);
      return undefined;
    }
    if (typeof value !== "string")
      this.fail(member, `Member must be a string, not a ${typeName(value)}`);
    if (opts.min !== undefined && value.length < opts.min)
      this.fail(member, `Member must have length greater than or equal to ${opts.min}`);
    if (opts.max !== undefined && value.length > opts.max)
      this.fail(member, `Member must have length less than or equal to ${opts.max}`);
    if (opts.pattern && !opts.pattern.test(value))
      this.fail(member, `Member must satisfy regular expression pattern: ${opts.pattern.source}`);
    return value;
  }

  name(member: string, required?: true): string;
  name(member: string, required: boolean): string | undefined;
  name(member: string, required = true): string | undefined {
    return this.string(member, { required, min: 1, max: 63, pattern: NAME_PATTERN });
  }

  arn(member: string, required?: true): string;
  arn(member: string, required: boolean): string | undefined;
  arn(member: string, required = true): string | undefined {
    return this.string(member, { required, max: 256, pattern: ARN_PATTERN });
  }

  roleArn(member: string): string | undefined {
    return this.string(member, { max: 256, pattern: ROLE_ARN_PATTERN });
  }

  enumeration<T extends string>(member: string, values: readonly T[], required: true): T;
  enumeration<T extends string>(
    member: string,
    values: readonly T[],
    required?: boolean,
  ): T | undefined;
  enumeration<T extends string>(
    member: string,
    values: readonly T[],
    required = false,
  ): T | undefined {
    const value = this.string(member, { required });
    if (value === undefined) return undefined;
    if (!values.includes(value as T))
      this.fail(member, `Member must satisfy enum value set: [${values.join(", ")}]`);
    return value as T;
  }

  boolean(member: string): boolean | undefined {
    const value = this.body[member];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "boolean")
      this.fail(member, `Member must be a boolean, not a ${typeName(value)}`);
    return value;
  }

  integer(member: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const value = this.body[member];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value))
      this.fail(member, `Member must be an integer, not ${typeName(value)}`);
    if (opts.min !== undefined && value < opts.min)
      this.fail(member, `Member must have value greater than or equal to ${opts.min}`);
    if (opts.max !== undefined && value > opts.max)
      this.fail(member, `Member must have value less than or equal to ${opts.max}`);
    return value;
  }

  /** A nested structure, validated with the same rules. */
  struct(member: string, required = false): Input | undefined {
    const value = this.body[member];
    if (value === undefined || value === null) {
      if (required) this.missing(member);
      return undefined;
    }
    if (typeof value !== "object" || Array.isArray(value))
      this.fail(member, `Member must be a structure, not a ${typeName(value)}`);
    return new Input(value as Record<string, unknown>, this.label(member));
  }

  /** A plain JSON object copied through (for deep config blobs), after a type check. */
  object(member: string): Record<string, unknown> | undefined {
    return this.struct(member)?.toJSON();
  }

  /** A map of string to string (e.g. algorithmHyperParameters). */
  stringMap(
    member: string,
    opts: { maxEntries?: number; maxValue?: number } = {},
  ): Record<string, string> | undefined {
    const map = this.object(member);
    if (!map) return undefined;
    const entries = Object.entries(map);
    if (opts.maxEntries !== undefined && entries.length > opts.maxEntries)
      this.fail(member, `Member must have at most ${opts.maxEntries} entries`);
    for (const [key, value] of entries) {
      if (typeof value !== "string")
        throw invalidInput(
          `Value ${show(value)} at '${this.label(member)}.${key}' failed to satisfy constraint: Member must be a string`,
        );
      if (opts.maxValue !== undefined && value.length > opts.maxValue)
        throw invalidInput(
          `Value at '${this.label(member)}.${key}' failed to satisfy constraint: Member must have length less than or equal to ${opts.maxValue}`,
        );
    }
    return map as Record<string, string>;
  }

  stringList(
    member: string,
    opts: { required?: boolean; min?: number; max?: number } = {},
  ): string[] | undefined {
    const value = this.body[member];
    if (value === undefined || value === null) {
      if (opts.required) this.missing(member);
      return undefined;
    }
    if (!Array.isArray(value)) this.fail(member, `Member must be a list, not a ${typeName(value)}`);
    if (opts.min !== undefined && value.length < opts.min)
      this.fail(member, `Member must have length greater than or equal to ${opts.min}`);
    if (opts.max !== undefined && value.length > opts.max)
      this.fail(member, `Member must have length less than or equal to ${opts.max}`);
    value.forEach((v, i) => {
      if (typeof v !== "string")
        throw invalidInput(
          `Value ${show(v)} at '${this.label(member)}.${i + 1}' failed to satisfy constraint: Member must be a string`,
        );
    });
    return value as string[];
  }

  /** `tags: [{tagKey, tagValue}]`; more than 200 -> TooManyTagsException. */
  tags(member = "tags", required = false): Tag[] | undefined {
    const value = this.body[member];
    if (value === undefined || value === null) {
      if (required) this.missing(member);
      return undefined;
    }
    if (!Array.isArray(value)) this.fail(member, `Member must be a list, not a ${typeName(value)}`);
    if (value.length > 200)
      throw new ServiceError(
        "TooManyTagsException",
        `${value.length} tags given; a resource can have at most 200 tags.`,
      );
    return value.map((entry, i) => {
      const tag = new Input({ [member]: entry }, this.path).struct(member, true) as Input;
      const label = `${this.label(member)}.${i + 1}`;
      const tagKey = new Input(tag.toJSON(), label).string("tagKey", {
        required: true,
        min: 1,
        max: 128,
        pattern: TAG_PATTERN,
      });
      const tagValue = new Input(tag.toJSON(), label).string("tagValue", {
        required: true,
        max: 256,
        pattern: TAG_PATTERN,
      });
      return { tagKey, tagValue };
    });
  }

  /** The structure as received. */
  toJSON(): Record<string, unknown> {
    return this.body;
  }
}
