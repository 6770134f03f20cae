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
const TARGET_PREFIX = "AmazonPersonalize.";
const CREDENTIAL = /Credential=[^/]*\/[^/]*\/([^/]*)\/([^/,\s]*)\//;

type Route = "personalize" | "dataplane" | "s3";

/** Service and region from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`. */
export function signingScope(authorization: string | undefined): {
  region?: string;
  service?: string;
} {
  const match = authorization ? CREDENTIAL.exec(authorization) : null;
  return match ? { region: match[1], service: match[2] } : {};
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        // Keep draining (discarding) so the client can read the answer; give up on absurd sizes.
        if (size > limit + 64 * 1024 * 1024) req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    req.on("end", () => {
      ended = true;
      if (tooLarge) reject(new BodyTooLarge());
      else resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
    req.on("close", () => {
      if (!ended)
        reject(tooLarge ? new BodyTooLarge() : new Error("the client closed the connection"));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createFrontDoor(deps: FrontDoorDeps): Server {
  const runtimePaths = new Set(deps.dataPlane.paths);
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only a bug reaches here; answer it rather than dropping the connection.
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            __type: "InternalFailure",
            message: `Emulator bug: ${err instanceof Error ? err.stack : String(err)}`,
          }),
        );
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    let body: Buffer;
    try {
      body = await readBody(req, limit);
    } catch (err) {
      const message =
        err instanceof BodyTooLarge
          ? `The request body is larger than ${limit} bytes, the emulator's limit for ${route === "s3" ? "S3 objects (--max-object-bytes)" : "API requests (--max-body-bytes)"}.`
          : `The request body could not be read: ${(err as Error).message}`;
      const error =
        route === "s3"
          ? new ServiceError("EntityTooLarge", message, 400)
          : new ServiceError("RequestEntityTooLargeException", message, 413);
      res.setHeader("connection", "close");
      if (route === "s3") sendS3Error(res, error, path, requestId, req.method === "HEAD");
      else sendJsonError(res, error, requestId);
      return;
    }

    if (route === "personalize") return controlPlane(res, String(target), body, region, requestId);
    if (route === "dataplane") return dataPlane(req, res, path, body, requestId);
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

  async function controlPlane(
    res: ServerResponse,
    target: string,
    body: Buffer,
    region: string,
    requestId: string,
  ) {
    try {
      if (!target.startsWith(TARGET_PREFIX))
        throw new ServiceError(
          "UnknownOperationException",
          `X-Amz-Target ${JSON.stringify(target)} is not a Personalize operation; expected ${TARGET_PREFIX}<Operation>.`,
        );
      const operation = target.slice(TARGET_PREFIX.length);
      const faults = deps.faults();
      if (faults.latencyMs > 0) await sleep(faults.latencyMs);
      faults.draw(operation);
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
      } catch (err) {
        throw new ServiceError(
          "SerializationException",
          `The request body is not valid JSON: ${(err as Error).message}`,
        );
      }
      const output = deps.model.call(operation, input, { region });
      const text = JSON.stringify(output);
      res.writeHead(200, {
        "content-type": JSON_TYPE,
        "content-length": Buffer.byteLength(text),
        "x-amzn-requestid": requestId,
      });
      res.end(text);
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
  ) {
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
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
      } catch (err) {
        throw new ServiceError(
          "SerializationException",
          `The request body is not valid JSON: ${(err as Error).message}`,
        );
      }
      const answer = await deps.dataPlane.handle(req.method, path, input);
      const text = answer.body === undefined ? "" : JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
        "x-amzn-requestid": requestId,
      });
      res.end(text);
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      const text = JSON.stringify({ __type: err.code, message: err.message });
      res.writeHead(err.status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
        "x-amzn-errortype": err.code,
        "x-amzn-requestid": requestId,
      });
      res.end(text);
    }
  }

  return server;
}

/** AWS JSON 1.1 error: `{"__type", "message"}`, HTTP 400 unless the error says otherwise. */
function sendJsonError(res: ServerResponse, err: ServiceError, requestId: string): void {
  const text = JSON.stringify({ __type: err.code, message: err.message });
  res.writeHead(err.status, {
    "content-type": JSON_TYPE,
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": requestId,
    "x-amzn-errortype": err.code,
  });
  res.end(text);
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
