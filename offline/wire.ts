/**
 * Values as they cross between the program, the engine and the provider host: every value
 * goes through `google.protobuf.Struct`, so `undefined` fails and a `Date` becomes `{}` here
 * exactly as it would there; secrets and unknowns take the engine's forms.
 */
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/** Plain JSON properties as the engine passes them (inputs or outputs). */
export type Props = Record<string, unknown>;

/** The reserved input holding a dynamic resource's serialized provider. */
export const PROVIDER_KEY = "__provider";

/** The value the engine sends for an input unknown during preview. */
export const UNKNOWN = pulumi.runtime.unknownValue;

/** A Struct round trip; throws "Unexpected struct type." as the wire would. */
export function wire(value: Props): Props {
  return Struct.fromJavaScript(value as any).toJavaScript() as Props;
}

/** Secrets unwrapped, unknowns as the engine's sentinel string: what the host receives. */
export function toEngineValues(value: unknown): unknown {
  if (pulumi.runtime.isRpcSecret(value))
    return toEngineValues(pulumi.runtime.unwrapRpcSecret(value));
  if (pulumi.isUnknown(value)) return UNKNOWN;
  if (Array.isArray(value)) return value.map(toEngineValues);
  if (
    value !== null &&
    typeof value === "object" &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toEngineValues(v)]));
  }
  return value;
}

/** True when the value holds the unknown sentinel anywhere. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object")
    return Object.values(value).some(containsUnknown);
  return false;
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Props)[k])]),
    );
  }
  return v;
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === "object" && typeof (err as Error).message === "string")
    return (err as Error).message;
  return String(err);
}
