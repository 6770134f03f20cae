/**
 * Request bodies: read whole, up to a size limit, and JSON bodies parsed only when their
 * nesting is within bounds, so no request can make the emulator recurse deeply (in the
 * parser, in a message naming a value, or when the state is saved).
 */
import type { IncomingMessage } from "node:http";
import { ServiceError } from "../errors";

/**
 * Deepest JSON nesting read. The deepest Personalize request nests 7 levels
 * (CreateSolution's solutionConfig.hpoConfig.algorithmHyperParameterRanges...values).
 */
export const MAX_JSON_DEPTH = 32;

const EMPTY = Buffer.alloc(0);

export class BodyTooLarge extends Error {}

/**
 * Reads the whole body, then calls `done` once. A body that arrives in one chunk (every
 * control-plane call) is handed on as it is, without a copy.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  done: (err: Error | undefined, body: Buffer) => void,
): void {
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  let tooLarge = false;
  let settled = false;
  const finish = (err: Error | undefined, body: Buffer) => {
    if (settled) return;
    settled = true;
    done(err, body);
  };
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      tooLarge = true;
      first = more = undefined;
      // Keep draining (discarding) so the client can read the answer; give up on absurd sizes.
      if (size > limit + 64 * 1024 * 1024) req.destroy();
      return;
    }
    if (first === undefined) first = chunk;
    else (more ??= [first]).push(chunk);
  });
  req.on("end", () => {
    if (tooLarge) finish(new BodyTooLarge(), EMPTY);
    else finish(undefined, more ? Buffer.concat(more, size) : (first ?? EMPTY));
  });
  req.on("error", (err) => finish(err, EMPTY));
  // "close" follows every request, complete or not; build an Error (a stack trace) only when it
  // cut the body short.
  req.on("close", () => {
    if (!settled)
      finish(tooLarge ? new BodyTooLarge() : new Error("the client closed the connection"), EMPTY);
  });
}

const OPEN_OBJECT = 0x7b;
const OPEN_LIST = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_LIST = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** How deep a JSON text nests, outside strings; stops counting past `limit`. */
export function jsonDepth(text: Buffer, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_LIST) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c === CLOSE_OBJECT || c === CLOSE_LIST) depth--;
  }
  return deepest;
}

/** The decoded JSON request body; an empty body is `{}`. */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  if (jsonDepth(body) > MAX_JSON_DEPTH)
    throw new ServiceError(
      "SerializationException",
      `The request body nests JSON more than ${MAX_JSON_DEPTH} levels deep; no Personalize request nests more than 7.`,
    );
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new ServiceError(
      "SerializationException",
      `The request body is not valid JSON: ${(err as Error).message.slice(0, 200)}`,
    );
  }
}
