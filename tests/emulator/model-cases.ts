/**
 * Test cases derived from the service-model tables (emulator/api): for an operation's input
 * shape, every constraint at every depth (required members, lengths, patterns, enums, ranges,
 * list and map sizes, map keys and values) and a request that violates exactly that
 * constraint of an otherwise valid request, with the path the service names in its message.
 */
import type { ServiceModel, Shape, StructureShape } from "../../emulator/api/shapes";

/** One step from a structure down to a value. */
type Step =
  | { kind: "member"; name: string }
  | { kind: "element" }
  | { kind: "mapKey" }
  | { kind: "mapValue"; key: string };

export interface ViolationCase {
  /** What is violated, e.g. `tags.1.member.tagKey: length <= 128`. */
  what: string;
  /** The path the answer must name (`at 'path'`). */
  path: string;
  /** The request: `base` with the one violation applied (a copy). */
  apply(base: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Valid values for the patterned strings of the three models, by shape name. The test that
 * uses them checks each against its pattern, so a model change cannot leave one stale.
 */
export const PATTERN_SAMPLES: Record<string, string> = {
  Arn: "arn:aws:personalize:us-east-1:000000000000:dataset-group/sample",
  Name: "sample-name",
  RoleArn: "arn:aws:iam::000000000000:role/personalize",
  KmsKeyArn: "arn:aws:kms:us-east-1:000000000000:key/sample",
  S3Location: "s3://bucket/key.csv",
  SchedulingExpression: "rate(7 days)",
  TagKey: "team",
  TagValue: "ml",
  ColumnName: "GENRES",
  DatasetType: "Items",
  NextToken: "token",
  AttributeName: "DEVICE",
  FilterAttributeName: "GENRE",
  EventAttributionSource: "email",
};

/** Strings tried, in order, for a value that breaks a pattern while keeping the length rules. */
const PATTERN_BREAKERS = ["!", "é", " ", "!!", "\u00e9\u00e9"];

export const wholeMatch = (pattern: string) => new RegExp(`^(?:${pattern})$`, "u");

export class CaseDeriver {
  constructor(private readonly model: ServiceModel) {}

  private shape(name: string): Shape {
    return this.model.shapes[name];
  }

  /** A value of the shape that satisfies all its constraints (required members only). */
  sample(name: string): unknown {
    const shape = this.shape(name);
    switch (shape.type) {
      case "string": {
        if (shape.enum) return shape.enum[0];
        if (shape.pattern !== undefined) {
          const sample = PATTERN_SAMPLES[name];
          if (sample === undefined) throw new Error(`no PATTERN_SAMPLES entry for shape ${name}`);
          return sample;
        }
        return "x".repeat(Math.max(shape.min ?? 1, 1));
      }
      case "integer":
      case "long":
      case "float":
      case "double":
        return Math.min(Math.max(1, shape.min ?? 1), shape.max ?? 1);
      case "boolean":
        return true;
      case "timestamp":
        return 1_780_000_000;
      case "blob":
        return "";
      case "structure": {
        const out: Record<string, unknown> = {};
        for (const member of shape.required ?? []) out[member] = this.sample(shape.members[member]);
        return out;
      }
      case "list":
        return Array.from({ length: shape.min ?? 0 }, () => this.sample(shape.member));
      case "map": {
        const out: Record<string, unknown> = {};
        for (const key of this.keys(shape.key, shape.min ?? 0)) out[key] = this.sample(shape.value);
        return out;
      }
    }
  }

  /** `n` distinct valid keys of a key shape. */
  private keys(name: string, n: number): string[] {
    const base = String(this.sample(name));
    const keys: string[] = [];
    for (let i = 0; keys.length < n; i++) {
      const key = i === 0 ? base : base + letters(i);
      if (this.problems(name, key).length === 0) keys.push(key);
      if (i > 100_000) throw new Error(`cannot find ${n} distinct keys for shape ${name}`);
    }
    return keys;
  }

  /** Which constraints of a scalar shape a value breaks (for checking generated values). */
  private problems(name: string, value: string): string[] {
    const shape = this.shape(name);
    if (shape.type !== "string") return [];
    const out: string[] = [];
    if (shape.min !== undefined && value.length < shape.min) out.push("min");
    if (shape.max !== undefined && value.length > shape.max) out.push("max");
    if (shape.pattern !== undefined && !wholeMatch(shape.pattern).test(value)) out.push("pattern");
    if (shape.enum && !shape.enum.includes(value)) out.push("enum");
    return out;
  }

  /** Values of the shape that each break one of its own constraints. */
  private breakers(name: string): { what: string; value: unknown }[] {
    const shape = this.shape(name);
    const out: { what: string; value: unknown }[] = [];
    switch (shape.type) {
      case "string": {
        const sample = String(this.sample(name));
        if (shape.min !== undefined && shape.min > 0)
          out.push({ what: `length >= ${shape.min}`, value: sample.slice(0, shape.min - 1) });
        if (shape.max !== undefined)
          out.push({
            what: `length <= ${shape.max}`,
            value: sample + "a".repeat(Math.max(0, shape.max + 1 - sample.length)),
          });
        if (shape.pattern !== undefined) {
          const value = PATTERN_BREAKERS.find(
            (v) =>
              !wholeMatch(shape.pattern!).test(v) &&
              v.length >= (shape.min ?? 0) &&
              v.length <= (shape.max ?? Infinity),
          );
          if (value === undefined) throw new Error(`no value breaks the pattern of ${name}`);
          out.push({ what: `pattern ${shape.pattern}`, value });
        }
        if (shape.enum) out.push({ what: "enum", value: "NOT_A_MODELLED_VALUE" });
        return out;
      }
      case "integer":
      case "long":
      case "float":
      case "double":
        if (shape.min !== undefined) out.push({ what: `>= ${shape.min}`, value: shape.min - 1 });
        if (shape.max !== undefined) out.push({ what: `<= ${shape.max}`, value: shape.max + 1 });
        return out;
      case "list":
        if (shape.min !== undefined && shape.min > 0)
          out.push({ what: `length >= ${shape.min}`, value: [] });
        if (shape.max !== undefined)
          out.push({
            what: `length <= ${shape.max}`,
            value: Array.from({ length: shape.max + 1 }, () => this.sample(shape.member)),
          });
        return out;
      case "map":
        if (shape.min !== undefined && shape.min > 0)
          out.push({ what: `entries >= ${shape.min}`, value: {} });
        if (shape.max !== undefined) {
          const value: Record<string, unknown> = {};
          for (const key of this.keys(shape.key, shape.max + 1))
            value[key] = this.sample(shape.value);
          out.push({ what: `entries <= ${shape.max}`, value });
        }
        return out;
      default:
        return out;
    }
  }

  /** Every violation case of an operation's input. */
  cases(operation: string): ViolationCase[] {
    const input = this.model.operations[operation]?.input;
    if (input === undefined) return [];
    const out: ViolationCase[] = [];
    this.walk(input, input, [], "", out);
    return out;
  }

  private walk(
    root: string,
    name: string,
    steps: Step[],
    path: string,
    out: ViolationCase[],
  ): void {
    const shape = this.shape(name);
    const at = (step: Step) => [...steps, step];
    for (const { what, value } of this.breakers(name))
      out.push(this.violation(root, steps, path, `${path || "(body)"}: ${what}`, value));
    if (shape.type === "structure") {
      const prefix = path === "" ? "" : `${path}.`;
      for (const member of shape.required ?? [])
        out.push(
          this.violation(
            root,
            at({ kind: "member", name: member }),
            prefix + member,
            `${prefix + member}: required`,
            undefined,
          ),
        );
      for (const [member, memberShape] of Object.entries(shape.members))
        this.walk(root, memberShape, at({ kind: "member", name: member }), prefix + member, out);
    } else if (shape.type === "list") {
      this.walk(root, shape.member, at({ kind: "element" }), `${path}.1.member`, out);
    } else if (shape.type === "map") {
      for (const { what, value } of this.breakers(shape.key))
        out.push(this.violation(root, at({ kind: "mapKey" }), path, `${path} key: ${what}`, value));
      const key = String(this.sample(shape.key));
      this.walk(root, shape.value, at({ kind: "mapValue", key }), `${path}.${key}`, out);
    }
  }

  /** Sets `value` (undefined: removes the member) at `steps`, building what is missing. */
  private violation(
    root: string,
    steps: Step[],
    path: string,
    what: string,
    value: unknown,
  ): ViolationCase {
    return {
      what,
      path,
      apply: (base) => {
        const body = structuredClone(base);
        let container: unknown = body;
        let shape = this.shape(root);
        for (let i = 0; i < steps.length; i++) {
          const step = steps[i];
          const last = i === steps.length - 1;
          if (step.kind === "member") {
            const s = shape as StructureShape;
            const object = container as Record<string, unknown>;
            const child = s.members[step.name];
            if (last) {
              if (value === undefined) delete object[step.name];
              else object[step.name] = value;
              break;
            }
            if (object[step.name] === undefined) object[step.name] = this.sample(child);
            container = object[step.name];
            shape = this.shape(child);
          } else if (step.kind === "element") {
            const list = container as unknown[];
            const member = (shape as { member: string }).member;
            if (list.length === 0) list.push(this.sample(member));
            list.length = 1;
            if (last) {
              list[0] = value;
              break;
            }
            container = list[0];
            shape = this.shape(member);
          } else if (step.kind === "mapKey") {
            const map = container as Record<string, unknown>;
            for (const k of Object.keys(map)) delete map[k];
            map[String(value)] = this.sample((shape as { value: string }).value);
            break;
          } else {
            const map = container as Record<string, unknown>;
            const valueShape = (shape as { value: string }).value;
            for (const k of Object.keys(map)) if (k !== step.key) delete map[k];
            if (last) {
              map[step.key] = value;
              break;
            }
            if (map[step.key] === undefined) map[step.key] = this.sample(valueShape);
            container = map[step.key];
            shape = this.shape(valueShape);
          }
        }
        return body;
      },
    };
  }
}

/** 1 -> "a", 26 -> "z", 27 -> "aa": letters, for keys whose pattern allows nothing else. */
function letters(n: number): string {
  let out = "";
  for (let i = n; i > 0; i = Math.floor((i - 1) / 26))
    out = String.fromCharCode(97 + ((i - 1) % 26)) + out;
  return out;
}
