/**
 * Checks on runtime and events request bodies. The SDK does no client-side validation, so
 * every member is checked here and refused with InvalidInputException naming it.
 */
import { invalidInput } from "../errors";

export type Body = Record<string, unknown>;

export function asBody(body: unknown, operation: string): Body {
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) {
    throw invalidInput(`${operation}: must be a JSON object.`);
  }
  return body as Body;
}

export function optionalString(body: Body, name: string, max = 256): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.length < 1 || v.length > max) {
    throw invalidInput(
      `${name} must be a string of 1 to ${max} characters; got ${JSON.stringify(v)?.slice(0, 100)}.`,
    );
  }
  return v;
}

export function requiredString(body: Body, name: string, operation: string, max = 256): string {
  const v = optionalString(body, name, max);
  if (v === undefined) throw invalidInput(`${operation}: ${name} is required.`);
  return v;
}

/**
 * numResults: default 25, 0 to 500
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_RS_GetRecommendations.html).
 */
export function numResults(body: Body): number {
  const v = body.numResults;
  if (v === undefined || v === null) return 25;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 500) {
    throw invalidInput(
      `numResults must be a whole number from 0 to 500; got ${JSON.stringify(v)}.`,
    );
  }
  return v;
}

export function stringMap(body: Body, name: string): Record<string, string> {
  const v = body[name];
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    throw invalidInput(
      `${name} must be a map of strings; got ${JSON.stringify(v)?.slice(0, 100)}.`,
    );
  }
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== "string") {
      throw invalidInput(`${name}.${k} must be a string; got ${JSON.stringify(s)?.slice(0, 100)}.`);
    }
  }
  return v as Record<string, string>;
}
