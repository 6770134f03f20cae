/**
 * The front door: one node:http server that routes each request to the Personalize control
 * plane (AWS JSON 1.1), the data plane (the runtime and events REST-JSON paths) or the S3
 * subset (REST-XML). It decodes: every Personalize request is checked against the service
 * model (emulator/api) before a model sees it; and it encodes, through wire.ts.
 *
 * Routing: by the service in the SigV4 `Authorization` credential scope (`s3` vs
 * `personalize`), then by `X-Amz-Target` or path. Unsigned requests are routed the same way
 * with the default region: an `X-Amz-Target` header means the control plane, a runtime or
 * events path the data plane, anything else S3.
 *
 * No request can break it: bodies are bounded in size and JSON nesting, a Host other than an
 * IP address or localhost (or an allowed name) is refused (DNS rebinding), and a bug answers
 * 500 with the request id while the details go to the log.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { PERSONALIZE } from "../api/personalize";
import { PERSONALIZE_EVENTS } from "../api/personalize-events";
import { PERSONALIZE_RUNTIME } from "../api/personalize-runtime";
import type { ServiceModel } from "../api/shapes";
import { decodeInput } from "../api/validate";
import type { ControlPlane } from "../control";
import type { DataPlane } from "../dataplane";
import { ServiceError, notFound } from "../errors";
import type { Faults } from "../faults";
import type { S3Store } from "../s3";
import { handleS3 } from "../s3-protocol";
import { BodyTooLarge, parseJson, readBody } from "./body";
import { allowedHost } from "./hosts";
import { requestRegion, signingScope } from "./signing";
import { sendError, sendInternalError, sendJson, sendS3Answer, type Protocol } from "./wire";

export interface FrontDoorDeps {
  controlPlane: ControlPlane;
  s3: S3Store;
  dataPlane: DataPlane;
  faults: () => Faults;
  /** Largest control-plane or data-plane request body, in bytes. */
  maxBodyBytes: number;
  /** Largest S3 PutObject body, in bytes. */
  maxObjectBytes: number;
  defaultRegion: string;
  accountId: string;
  /** Host names served besides IP addresses and localhost (lower case). */
  allowedHosts: ReadonlySet<string>;
  /** Where the details of an emulator bug go. */
  log: (line: string) => void;
}

const TARGET_PREFIX = `${PERSONALIZE.targetPrefix}.`;

/** A runtime or events operation, by its path. */
interface RestOperation {
  model: ServiceModel;
  name: string;
  method: string;
}

const REST_OPERATIONS = new Map<string, RestOperation>();
for (const model of [PERSONALIZE_RUNTIME, PERSONALIZE_EVENTS])
  for (const [name, op] of Object.entries(model.operations))
    if (op.http) REST_OPERATIONS.set(op.http.uri, { model, name, method: op.http.method });

type Route = "personalize" | "dataplane" | "s3";
const PROTOCOL: Record<Route, Protocol> = {
  personalize: "json",
  dataplane: "rest-json",
  s3: "s3",
};

export function createFrontDoor(deps: FrontDoorDeps): Server {
  const served = new Set(deps.dataPlane.paths);
  const server = createServer((req, res) => handle(req, res));
  server.keepAliveTimeout = 65_000;

  /** Only a bug reaches here: log it, answer without its details. */
  function bug(res: ServerResponse, route: Route, requestId: string, err: unknown): void {
    deps.log(
      `emulator bug answering request ${requestId}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    sendInternalError(res, PROTOCOL[route], requestId);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = randomUUID();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const scope = signingScope(req.headers.authorization);
    const target = req.headers["x-amz-target"];
    let route: Route;
    if (scope.service === "s3") route = "s3";
    else if (target !== undefined) route = "personalize";
    else if (REST_OPERATIONS.has(path) || scope.service === "personalize") route = "dataplane";
    else route = "s3";
    const head = req.method === "HEAD";
    const fail = (err: ServiceError) =>
      sendError(res, PROTOCOL[route], err, requestId, { resource: path, head });

    // A refused request is answered once its body is read: answering earlier would reset the
    // connection under a client still sending.
    let region = deps.defaultRegion;
    let refusal: ServiceError | undefined;
    try {
      if (!allowedHost(req.headers.host, deps.allowedHosts))
        throw new ServiceError(
          route === "s3" ? "AccessDenied" : "AccessDeniedException",
          `Requests addressed to host ${JSON.stringify(req.headers.host?.slice(0, 100))} are refused (DNS-rebinding protection): address the emulator by IP address or localhost, or start it with --allow-host NAME.`,
          403,
        );
      region = requestRegion(scope, deps.defaultRegion);
    } catch (err) {
      if (!(err instanceof ServiceError)) return bug(res, route, requestId, err);
      refusal = err;
    }

    const limit = route === "s3" ? deps.maxObjectBytes : deps.maxBodyBytes;
    readBody(req, limit, (err, body) => {
      try {
        if (err) {
          res.setHeader("connection", "close");
          return fail(tooLarge(err, route, limit));
        }
        if (refusal) return fail(refusal);
        if (route === "personalize")
          return controlPlane(res, String(target), body, region, requestId);
        if (route === "dataplane")
          return void dataPlane(req.method ?? "GET", path, body, region).then(
            (answer) => {
              const text = answer.body === undefined ? "" : JSON.stringify(answer.body);
              sendJson(res, "rest-json", answer.status, text, requestId);
            },
            (e: unknown) => (e instanceof ServiceError ? fail(e) : bug(res, route, requestId, e)),
          );
        const answer = handleS3(deps.s3, {
          method: req.method ?? "GET",
          path,
          query: new URLSearchParams(q < 0 ? "" : url.slice(q + 1)),
          headers: req.headers,
          body,
          region,
        });
        sendS3Answer(res, answer, requestId, head);
      } catch (e) {
        if (e instanceof ServiceError) fail(e);
        else bug(res, route, requestId, e);
      }
    });
  }

  function controlPlane(
    res: ServerResponse,
    target: string,
    body: Buffer,
    region: string,
    requestId: string,
  ): void {
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : "";
    if (!Object.prototype.hasOwnProperty.call(PERSONALIZE.operations, operation))
      throw new ServiceError(
        "UnknownOperationException",
        `X-Amz-Target ${JSON.stringify(target.slice(0, 100))} is not a Personalize operation; expected ${TARGET_PREFIX}<Operation>.`,
      );
    deps.controlPlane.requireOperation(operation);
    const faults = deps.faults();
    const answer = () => {
      faults.draw(operation);
      const input = decodeInput(PERSONALIZE, operation, parseJson(body));
      const output = deps.controlPlane.call(operation, input, { region });
      sendJson(res, "json", 200, JSON.stringify(output), requestId);
    };
    // Stay synchronous unless latency is injected: a timer per call would cost every request.
    if (faults.latencyMs === 0) return answer();
    setTimeout(() => {
      try {
        answer();
      } catch (err) {
        if (err instanceof ServiceError) sendError(res, "json", err, requestId);
        else bug(res, "personalize", requestId, err);
      }
    }, faults.latencyMs);
  }

  async function dataPlane(method: string, path: string, body: Buffer, region: string) {
    const op = REST_OPERATIONS.get(path);
    if (!op)
      throw new ServiceError(
        "UnknownOperationException",
        `${method} ${path.slice(0, 100)} is not a Personalize operation: control-plane calls need an X-Amz-Target header, runtime and events calls use ${[...REST_OPERATIONS.keys()].join(", ")}.`,
        404,
      );
    if (method !== op.method)
      throw new ServiceError(
        "InvalidInputException",
        `${path} (${op.name}) only accepts ${op.method}, got ${method}.`,
        405,
      );
    if (!served.has(path))
      throw new ServiceError(
        "UnknownOperationException",
        `${op.name} (${op.method} ${path}) is not supported by this emulator's data plane; it serves ${[...served].join(", ")}.`,
        404,
      );
    const input = decodeInput(op.model, op.name, parseJson(body));
    requireInScope(input, region, deps.accountId);
    return deps.dataPlane.handle(method, path, input);
  }

  return server;
}

/**
 * A runtime request names resources by ARN: one of another region (or account) than the
 * request's does not exist for it, as the control plane's lookups also answer.
 */
function requireInScope(input: Record<string, unknown>, region: string, accountId: string): void {
  for (const [member, value] of Object.entries(input)) {
    if (!member.endsWith("Arn") || typeof value !== "string") continue;
    const [, , , arnRegion, account] = value.split(":");
    if (arnRegion !== region || account !== accountId)
      throw notFound(
        `${member} ${value} does not exist: the request is signed for region ${region} of account ${accountId}.`,
        404,
      );
  }
}

function tooLarge(err: Error, route: Route, limit: number): ServiceError {
  const message =
    err instanceof BodyTooLarge
      ? `The request body is larger than ${limit} bytes, the emulator's limit for ${route === "s3" ? "S3 objects (--max-object-bytes)" : "API requests (--max-body-bytes)"}.`
      : `The request body could not be read: ${err.message}`;
  return route === "s3"
    ? new ServiceError("EntityTooLarge", message, 400)
    : new ServiceError("RequestEntityTooLargeException", message, 413);
}
