/**
 * The front door: one node:http server that routes each request to the Personalize control
 * plane (AWS JSON 1.1), the data plane (REST-JSON runtime and events paths) or the S3 subset
 * (REST-XML), and the one place where a ServiceError becomes each protocol's error shape.
 *
 * Routing: by the service in the SigV4 `Authorization` credential scope (`s3` vs
 * `personalize`), then by `X-Amz-Target` or path. Unsigned requests are routed the same way
 * with the region defaulting to us-east-1: an `X-Amz-Target` header means the control plane,
 * a runtime/events path the data plane, anything else S3.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { DataPlane } from "./dataplane";
import { ServiceError } from "./errors";
import type { Faults } from "./faults";
import type { PersonalizeModel } from "./personalize";
import type { S3Store } from "./s3";
import { handleS3, s3ErrorBody, type HttpAnswer } from "./s3-protocol";

export interface FrontDoorDeps {
  model: PersonalizeModel;
  s3: S3Store;
  dataPlane: DataPlane;
  faults: () => Faults;
  /** Largest control-plane or data-plane request body, in bytes. */
  maxBodyBytes: number;
  /** Largest S3 PutObject body, in bytes. */
  maxObjectBytes: number;
  defaultRegion: string;
}

const JSON_TYPE = "application/x-amz-json-1.1";
const REST_JSON_TYPE = "application/json";
const TARGET_PREFIX = "AmazonPersonalize.";
const CREDENTIAL = "Credential=";
const NOT_IN_SERVICE = /[,\s]/;
const EMPTY = Buffer.alloc(0);

type Route = "personalize" | "dataplane" | "s3";

/**
 * Service and region from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`.
 * Scanned with indexOf rather than a regular expression: it runs on every request.
 */
export function signingScope(authorization: string | undefined): {
  region?: string;
  service?: string;
} {
  if (!authorization) return {};
  for (
    let at = authorization.indexOf(CREDENTIAL);
    at >= 0;
    at = authorization.indexOf(CREDENTIAL, at + 1)
  ) {
    // AKID/DATE/REGION/SERVICE/: four `/`-terminated fields; the service has no `,` or space.
    const date = authorization.indexOf("/", at + CREDENTIAL.length) + 1;
    if (date === 0) return {};
    const region = authorization.indexOf("/", date) + 1;
    if (region === 0) return {};
    const service = authorization.indexOf("/", region) + 1;
    if (service === 0) return {};
    const end = authorization.indexOf("/", service);
    if (end < 0) return {};
    const name = authorization.slice(service, end);
    if (!NOT_IN_SERVICE.test(name))
      return { region: authorization.slice(region, service - 1), service: name };
  }
  return {};
}

class BodyTooLarge extends Error {}

/**
 * Reads the whole body, then calls `done` once. A body that arrives in one chunk (every
 * control-plane call) is handed on as it is, without a copy.
 */
function readBody(
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

/** The decoded JSON request body; an empty body is `{}`. */
function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new ServiceError(
      "SerializationException",
      `The request body is not valid JSON: ${(err as Error).message}`,
    );
  }
}

/** One JSON answer; an error adds `x-amzn-errortype`, as both AWS JSON protocols do. */
function sendJson(
  res: ServerResponse,
  status: number,
  contentType: string,
  text: string,
  requestId: string,
  errorType?: string,
): void {
  const headers: Record<string, string | number> = {
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": requestId,
  };
  if (errorType !== undefined) headers["x-amzn-errortype"] = errorType;
  res.writeHead(status, headers);
  res.end(text);
}

export function createFrontDoor(deps: FrontDoorDeps): Server {
  const runtimePaths = new Set(deps.dataPlane.paths);
  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      answerBug(res, err);
    }
  });
  server.keepAliveTimeout = 65_000;

  /** Only a bug reaches here; answer it rather than dropping the connection. */
  function answerBug(res: ServerResponse, err: unknown): void {
    if (!res.headersSent) {
      res.writeHead(500, { "content-type": REST_JSON_TYPE });
      res.end(
        JSON.stringify({
          __type: "InternalFailure",
          message: `Emulator bug: ${err instanceof Error ? err.stack : String(err)}`,
        }),
      );
    } else res.destroy();
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = randomUUID();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const scope = signingScope(req.headers.authorization);
    const region = scope.region || deps.defaultRegion;
    const target = req.headers["x-amz-target"];
    let route: Route;
    if (scope.service === "s3") route = "s3";
    else if (target !== undefined) route = "personalize";
    else if (runtimePaths.has(path) || scope.service === "personalize") route = "dataplane";
    else route = "s3";

    const limit = route === "s3" ? deps.maxObjectBytes : deps.maxBodyBytes;
    readBody(req, limit, (err, body) => {
      try {
        if (err) return tooLarge(err);
        if (route === "personalize")
          return controlPlane(res, String(target), body, region, requestId);
        if (route === "dataplane")
          return void dataPlane(req, res, path, body, requestId).catch((e: unknown) =>
            answerBug(res, e),
          );
        s3(body);
      } catch (e) {
        answerBug(res, e);
      }
    });

    function tooLarge(err: Error): void {
      const message =
        err instanceof BodyTooLarge
          ? `The request body is larger than ${limit} bytes, the emulator's limit for ${route === "s3" ? "S3 objects (--max-object-bytes)" : "API requests (--max-body-bytes)"}.`
          : `The request body could not be read: ${err.message}`;
      const error =
        route === "s3"
          ? new ServiceError("EntityTooLarge", message, 400)
          : new ServiceError("RequestEntityTooLargeException", message, 413);
      res.setHeader("connection", "close");
      if (route === "s3") sendS3Error(res, error, path, requestId, req.method === "HEAD");
      else sendJsonError(res, error, requestId);
    }

    function s3(body: Buffer): void {
      try {
        const answer = handleS3(deps.s3, {
          method: req.method ?? "GET",
          path,
          query: new URLSearchParams(q < 0 ? "" : url.slice(q + 1)),
          headers: req.headers,
          body,
          region,
        });
        sendAnswer(res, answer, requestId, req.method === "HEAD");
      } catch (err) {
        if (!(err instanceof ServiceError)) throw err;
        sendS3Error(res, err, path, requestId, req.method === "HEAD");
      }
    }
  }

  function controlPlane(
    res: ServerResponse,
    target: string,
    body: Buffer,
    region: string,
    requestId: string,
  ): void {
    if (!target.startsWith(TARGET_PREFIX))
      return sendJsonError(
        res,
        new ServiceError(
          "UnknownOperationException",
          `X-Amz-Target ${JSON.stringify(target)} is not a Personalize operation; expected ${TARGET_PREFIX}<Operation>.`,
        ),
        requestId,
      );
    const operation = target.slice(TARGET_PREFIX.length);
    const faults = deps.faults();
    // Stay synchronous unless latency is injected: a timer per call would cost every request.
    if (faults.latencyMs > 0)
      setTimeout(() => {
        try {
          answerControlPlane(res, operation, faults, body, region, requestId);
        } catch (err) {
          answerBug(res, err);
        }
      }, faults.latencyMs);
    else answerControlPlane(res, operation, faults, body, region, requestId);
  }

  function answerControlPlane(
    res: ServerResponse,
    operation: string,
    faults: Faults,
    body: Buffer,
    region: string,
    requestId: string,
  ): void {
    try {
      faults.draw(operation);
      const output = deps.model.call(operation, parseJson(body), { region });
      sendJson(res, 200, JSON_TYPE, JSON.stringify(output), requestId);
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      sendJsonError(res, err, requestId);
    }
  }

  async function dataPlane(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    body: Buffer,
    requestId: string,
  ): Promise<void> {
    try {
      if (!runtimePaths.has(path))
        throw new ServiceError(
          "UnknownOperationException",
          `${req.method} ${path} is not a Personalize operation: control-plane calls need an X-Amz-Target header, runtime and events calls use ${[...runtimePaths].join(", ")}.`,
          404,
        );
      if (req.method !== "POST")
        throw new ServiceError(
          "InvalidInputException",
          `${path} only accepts POST, got ${req.method}.`,
          405,
        );
      const answer = await deps.dataPlane.handle(req.method, path, parseJson(body));
      const text = answer.body === undefined ? "" : JSON.stringify(answer.body);
      sendJson(res, answer.status, REST_JSON_TYPE, text, requestId);
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      const text = JSON.stringify({ __type: err.code, message: err.message });
      sendJson(res, err.status, REST_JSON_TYPE, text, requestId, err.code);
    }
  }

  return server;
}

/** AWS JSON 1.1 error: `{"__type", "message"}`, HTTP 400 unless the error says otherwise. */
function sendJsonError(res: ServerResponse, err: ServiceError, requestId: string): void {
  const text = JSON.stringify({ __type: err.code, message: err.message });
  sendJson(res, err.status, JSON_TYPE, text, requestId, err.code);
}

function sendS3Error(
  res: ServerResponse,
  err: ServiceError,
  resource: string,
  requestId: string,
  head: boolean,
): void {
  const text = head ? "" : s3ErrorBody(err.code, err.message, resource, requestId);
  res.writeHead(err.status, {
    "content-type": "application/xml",
    "content-length": Buffer.byteLength(text),
    "x-amz-request-id": requestId,
  });
  res.end(text);
}

function sendAnswer(
  res: ServerResponse,
  answer: HttpAnswer,
  requestId: string,
  head: boolean,
): void {
  const body =
    answer.body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(answer.body)
        ? answer.body
        : Buffer.from(answer.body);
  const headers: Record<string, string | number> = {
    "x-amz-request-id": requestId,
    ...answer.headers,
  };
  if (!head) headers["content-length"] = body.length;
  else if (headers["content-length"] === undefined) headers["content-length"] = 0;
  res.writeHead(answer.status, headers);
  res.end(head ? undefined : body);
}
