/**
 * The form of the service-model tables in this folder (personalize.ts, personalize-runtime.ts,
 * personalize-events.ts), which scripts/generate-service-model.ts writes from botocore's
 * `service-2.json` files. A shape is referred to by its name in the same table, as in the
 * service model itself; see https://smithy.io/2.0/spec/constraint-traits.html for what each
 * constraint means.
 */

interface Common {
  /** Values of this shape are user data: validation messages do not repeat them. */
  sensitive?: true;
}

export interface StringShape extends Common {
  type: "string";
  /** Length in characters (UTF-16 code units, as the service counts them). */
  min?: number;
  max?: number;
  /** A Java regular expression the whole value must match; validate.ts anchors it. */
  pattern?: string;
  enum?: readonly string[];
}

export interface NumberShape extends Common {
  type: "integer" | "long" | "float" | "double";
  min?: number;
  max?: number;
}

export interface BooleanShape extends Common {
  type: "boolean";
}

/** Epoch seconds on the wire (both JSON protocols). */
export interface TimestampShape extends Common {
  type: "timestamp";
}

export interface BlobShape extends Common {
  type: "blob";
  min?: number;
  max?: number;
}

export interface StructureShape extends Common {
  type: "structure";
  /** Member name -> shape name, in the model's order (validation messages follow it). */
  members: Readonly<Record<string, string>>;
  required?: readonly string[];
  /** Members whose string holds a JSON document (the `jsonvalue` trait). */
  jsonValue?: readonly string[];
}

export interface ListShape extends Common {
  type: "list";
  member: string;
  /** Number of elements. */
  min?: number;
  max?: number;
}

export interface MapShape extends Common {
  type: "map";
  key: string;
  value: string;
  /** Number of entries. */
  min?: number;
  max?: number;
}

export type Shape =
  | StringShape
  | NumberShape
  | BooleanShape
  | TimestampShape
  | BlobShape
  | StructureShape
  | ListShape
  | MapShape;

export interface OperationModel {
  /** Input structure; absent when the operation takes no input. */
  input?: string;
  /** Output structure; absent when the operation answers nothing (`Delete*`, `PutEvents`). */
  output?: string;
  /** Modelled errors -> their HTTP status (400 unless the model says otherwise). */
  errors: Readonly<Record<string, number>>;
  /** REST-JSON services: the method and path the operation is bound to. */
  http?: { method: string; uri: string };
}

export interface ServiceModel {
  /** botocore's name for the service, e.g. `personalize-runtime`. */
  service: string;
  apiVersion: string;
  protocol: "json" | "rest-json";
  /** AWS JSON 1.1: the `X-Amz-Target` prefix, e.g. `AmazonPersonalize`. */
  targetPrefix?: string;
  operations: Readonly<Record<string, OperationModel>>;
  shapes: Readonly<Record<string, Shape>>;
}
