/**
 * Requests checked against the service model tables, as the service checks them before it
 * looks anything up: a value of the wrong JSON type is a `SerializationException` on the
 * control plane (AWS JSON 1.1, as AWS's JSON services answer it) and an
 * `InvalidInputException` on the runtime and events APIs (the only client error their models
 * have); every violated constraint (required member, length, pattern, enum, range, list or map size, map
 * keys and values, at any depth) is listed in one `InvalidInputException`, in the wording AWS
 * JSON services use ("1 validation error detected: Value 'x' at 'name' failed to satisfy
 * constraint: Member must ..."). Decoding returns a copy holding only the model's members, so
 * unknown members (and whatever depth they carry) never reach the models or the state file.
 *
 * The walk follows the model's shapes, not the request: its depth is the model's (no shape of
 * these services refers to itself), whatever the request nests.
 */
import { ServiceError, invalidInput } from "../errors";
import type { ServiceModel, Shape, StructureShape } from "./shapes";

/** At most this many violations are listed in one message; the count covers them all. */
const MAX_LISTED = 10;
const PREVIEW_CHARS = 100;

const patterns = new Map<string, RegExp>();

/** A model pattern as a JavaScript regular expression over the whole value. */
function wholeMatch(pattern: string): RegExp {
  let regex = patterns.get(pattern);
  if (!regex) patterns.set(pattern, (regex = new RegExp(`^(?:${pattern})$`, "u")));
  return regex;
}

/**
 * A short rendering of a request value for messages, Java-style as AWS prints them
 * (`'text'`, `[a, b]`, `{k=v}`). Stops after PREVIEW_CHARS characters, so neither a long nor a
 * deeply nested value makes it long (or deep: every level costs at least one character).
 */
export function preview(value: unknown): string {
  let out = "";
  const add = (text: string) => {
    out += text;
    return out.length < PREVIEW_CHARS;
  };
  const walk = (v: unknown, quote: boolean): boolean => {
    if (typeof v === "string") return add(quote ? `'${v}'` : v);
    if (Array.isArray(v)) {
      if (!add("[")) return false;
      for (let i = 0; i < v.length; i++)
        if ((i > 0 && !add(", ")) || !walk(v[i], false)) return false;
      return add("]");
    }
    if (v !== null && typeof v === "object") {
      if (!add("{")) return false;
      let first = true;
      for (const key in v) {
        if ((!first && !add(", ")) || !add(`${key}=`)) return false;
        first = false;
        if (!walk((v as Record<string, unknown>)[key], false)) return false;
      }
      return add("}");
    }
    return add(String(v));
  };
  return walk(value, true) ? out : `${out.slice(0, PREVIEW_CHARS)}...`;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a structure";
  return `a ${typeof value}`;
}

const EXPECTED: Record<Shape["type"], string> = {
  string: "a string",
  integer: "an integer",
  long: "an integer",
  float: "a number",
  double: "a number",
  boolean: "a boolean",
  timestamp: "a timestamp in epoch seconds",
  blob: "a base64 string",
  structure: "a structure",
  list: "a list",
  map: "a map",
};

interface Violation {
  path: string;
  value: unknown;
  sensitive: boolean;
  problem: string;
}

/** Where a check stands: in a map's key or value, the problem is worded for the map. */
type Position = "member" | "mapKey" | "mapValue";

/** One walk over a value: collects violations and builds the decoded copy. */
class Walk {
  /** The first violations (those a message lists); `count` counts them all. */
  readonly violations: Violation[] = [];
  count = 0;
  /** Wrong JSON types (output mode) and members the model does not have. */
  readonly strays: string[] = [];

  constructor(
    private readonly model: ServiceModel,
    /** Input: a wrong type throws SerializationException. Output: everything is collected. */
    private readonly mode: "input" | "output",
  ) {}

  private violate(
    path: string,
    value: unknown,
    sensitive: boolean,
    position: Position,
    problem: string,
  ) {
    const worded =
      position === "mapKey"
        ? `Map keys must satisfy constraint: [${problem}]`
        : position === "mapValue"
          ? `Map value must satisfy constraint: [${problem}]`
          : problem;
    this.record({ path, value, sensitive, problem: worded });
  }

  private record(violation: Violation): void {
    // Keeping only what a message lists bounds the work whatever a request repeats.
    if (this.count++ < MAX_LISTED || this.mode === "output") this.violations.push(violation);
  }

  private wrongType(path: string, value: unknown, shape: Shape, sensitive: boolean): void {
    const shown = sensitive ? "" : ` ${preview(value)}`;
    const message = `Value${shown} at '${path}' cannot be read: it is ${typeName(value)}, and the member is ${EXPECTED[shape.type]}.`;
    if (this.mode === "input") throw typeError(this.model, message);
    this.strays.push(message);
  }

  /** Checks `value` against the shape `name`; returns its decoded copy. */
  value(
    name: string,
    value: unknown,
    path: string,
    sensitive: boolean,
    position: Position = "member",
  ): unknown {
    const shape = this.model.shapes[name];
    const secret = sensitive || shape.sensitive === true;
    switch (shape.type) {
      case "string": {
        if (typeof value !== "string") return this.wrongType(path, value, shape, secret);
        this.bounds(path, value, value.length, shape, secret, position);
        // Output shapes' patterns are not the service's promise: DatasetImportJob.roleArn is
        // modelled as a Personalize Arn but holds the IAM role ARN the request gave.
        if (
          this.mode === "input" &&
          shape.pattern !== undefined &&
          !wholeMatch(shape.pattern).test(value)
        )
          this.violate(
            path,
            value,
            secret,
            position,
            `Member must satisfy regular expression pattern: ${shape.pattern}`,
          );
        if (shape.enum && !shape.enum.includes(value))
          this.violate(
            path,
            value,
            secret,
            position,
            `Member must satisfy enum value set: [${shape.enum.join(", ")}]`,
          );
        return value;
      }
      case "integer":
      case "long":
      case "float":
      case "double": {
        const integral = shape.type === "integer" || shape.type === "long";
        if (typeof value !== "number" || (integral && !Number.isSafeInteger(value)))
          return this.wrongType(path, value, shape, secret);
        this.bounds(path, value, value, shape, secret, position, "value");
        return value;
      }
      case "boolean":
        return typeof value === "boolean" ? value : this.wrongType(path, value, shape, secret);
      case "timestamp":
        return typeof value === "number" ? value : this.wrongType(path, value, shape, secret);
      case "blob": {
        if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
          return this.wrongType(path, value, shape, secret);
        this.bounds(path, value, Buffer.byteLength(value, "base64"), shape, secret, position);
        return value;
      }
      case "structure":
        if (value === null || typeof value !== "object" || Array.isArray(value))
          return this.wrongType(path, value, shape, secret);
        return this.structure(shape, value as Record<string, unknown>, path, secret);
      case "list": {
        if (!Array.isArray(value)) return this.wrongType(path, value, shape, secret);
        this.bounds(path, value, value.length, shape, secret, position);
        const out: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
          const at = `${path}.${i + 1}.member`;
          if (value[i] === null) this.required(at);
          else out.push(this.value(shape.member, value[i], at, secret));
        }
        return out;
      }
      case "map": {
        if (value === null || typeof value !== "object" || Array.isArray(value))
          return this.wrongType(path, value, shape, secret);
        const entries = Object.entries(value as Record<string, unknown>);
        this.bounds(path, value, entries.length, shape, secret, position);
        const out: Record<string, unknown> = {};
        for (const [key, entry] of entries) {
          this.value(shape.key, key, path, secret, "mapKey");
          if (entry === null)
            this.violate(path, value, secret, "mapValue", "Member must not be null");
          // defineProperty: a key named __proto__ is data, not the copy's prototype.
          else
            Object.defineProperty(out, key, {
              value: this.value(shape.value, entry, `${path}.${key}`, secret, "mapValue"),
              enumerable: true,
              writable: true,
              configurable: true,
            });
        }
        return out;
      }
    }
  }

  /** A shape's min and max, on a value's length (strings, lists, maps) or on the value. */
  private bounds(
    path: string,
    value: unknown,
    measured: number,
    shape: { min?: number; max?: number },
    sensitive: boolean,
    position: Position,
    what: "length" | "value" = "length",
  ): void {
    if (shape.min !== undefined && measured < shape.min)
      this.violate(
        path,
        value,
        sensitive,
        position,
        `Member must have ${what} greater than or equal to ${shape.min}`,
      );
    if (shape.max !== undefined && measured > shape.max)
      this.violate(
        path,
        value,
        sensitive,
        position,
        `Member must have ${what} less than or equal to ${shape.max}`,
      );
  }

  private required(path: string): void {
    this.record({ path, value: null, sensitive: false, problem: "Member must not be null" });
  }

  structure(
    shape: StructureShape,
    value: Record<string, unknown>,
    path: string,
    sensitive: boolean,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const prefix = path === "" ? "" : `${path}.`;
    for (const member in shape.members) {
      const v = value[member];
      if (v === undefined || v === null) {
        if (shape.required?.includes(member)) this.required(prefix + member);
        continue;
      }
      out[member] = this.value(shape.members[member], v, prefix + member, sensitive);
    }
    if (this.mode === "output")
      for (const member in value)
        if (!Object.prototype.hasOwnProperty.call(shape.members, member))
          this.strays.push(`'${prefix + member}' is not a member of the model's shape`);
    return out;
  }
}

/** A request value of the wrong JSON type, as the service's protocol answers it. */
function typeError(model: ServiceModel, message: string): ServiceError {
  return model.protocol === "json"
    ? new ServiceError("SerializationException", message)
    : invalidInput(message);
}

/** `N validation error(s) detected: ...` as AWS JSON services word it. */
function validationMessage(violations: readonly Violation[], n: number): string {
  const listed = violations.slice(0, MAX_LISTED).map((v) => {
    const value = v.sensitive ? "" : ` ${v.value === null ? "null" : preview(v.value)}`;
    return `Value${value} at '${v.path}' failed to satisfy constraint: ${v.problem}`;
  });
  const more = n > MAX_LISTED ? `; and ${n - MAX_LISTED} more` : "";
  return `${n} validation error${n === 1 ? "" : "s"} detected: ${listed.join("; ")}${more}`;
}

function inputShape(model: ServiceModel, operation: string): StructureShape | undefined {
  const name = model.operations[operation]?.input;
  return name === undefined ? undefined : (model.shapes[name] as StructureShape);
}

/**
 * The request body of `operation` checked and decoded: a copy with only the model's members.
 * Throws for a body or member of the wrong JSON type (see typeError) and InvalidInputException
 * listing every constraint it violates.
 */
export function decodeInput(
  model: ServiceModel,
  operation: string,
  body: unknown,
): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw typeError(model, `The request body must be a JSON object, got ${typeName(body)}.`);
  const shape = inputShape(model, operation);
  if (!shape) return {};
  const walk = new Walk(model, "input");
  const decoded = walk.structure(shape, body as Record<string, unknown>, "", false);
  if (walk.count > 0) throw invalidInput(validationMessage(walk.violations, walk.count));
  return decoded;
}

/**
 * What is wrong with a response body against `operation`'s output shape: members the model
 * does not have, wrong types, missing required members, violated constraints other than
 * patterns. Empty when the response is exactly of the model's shape (tests use it; the
 * emulator does not pay for it).
 */
export function outputProblems(model: ServiceModel, operation: string, body: unknown): string[] {
  const name = model.operations[operation]?.output;
  if (name === undefined)
    return body === undefined || (typeof body === "object" && body && !Object.keys(body).length)
      ? []
      : [`${operation} has no output in the model, but the response has a body`];
  const walk = new Walk(model, "output");
  walk.value(name, body, "", false);
  return [
    ...walk.strays,
    ...walk.violations.map((v) => `'${v.path}': ${v.problem} (value ${preview(v.value)})`),
  ];
}
