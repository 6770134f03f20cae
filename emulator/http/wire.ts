/**
 * The one place answers become bytes: JSON answers of the two JSON protocols, a ServiceError
 * in each protocol's error shape (AWS JSON 1.1, REST-JSON, S3 XML), S3 answers, and the
 * answer to an emulator bug, which names the request id but carries no stack trace or path.
 */
import type { ServerResponse } from "node:http";
import { ServiceError } from "../errors";
import { s3ErrorBody, type HttpAnswer } from "../s3-protocol";

/** Each protocol's content type and error shape. */
export type Protocol = "json" | "rest-json" | "s3";

const CONTENT_TYPE = {
  json: "application/x-amz-json-1.1",
  "rest-json": "application/json",
} as const;

/** One JSON answer; an error adds `x-amzn-errortype`, as both AWS JSON protocols do. */
export function sendJson(
  res: ServerResponse,
  protocol: "json" | "rest-json",
  status: number,
  text: string,
  requestId: string,
  errorType?: string,
): void {
  const headers: Record<string, string | number> = {
    "content-type": CONTENT_TYPE[protocol],
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": requestId,
  };
  if (errorType !== undefined) headers["x-amzn-errortype"] = errorType;
  res.writeHead(status, headers);
  res.end(text);
}

/** A ServiceError in the protocol's shape: `{"__type","message"}` or S3's `<Error>`. */
export function sendError(
  res: ServerResponse,
  protocol: Protocol,
  err: ServiceError,
  requestId: string,
  s3: { resource: string; head: boolean } = { resource: "/", head: false },
): void {
  if (protocol !== "s3") {
    const text = JSON.stringify({ __type: err.code, message: err.message });
    return sendJson(res, protocol, err.status, text, requestId, err.code);
  }
  const text = s3.head ? "" : s3ErrorBody(err.code, err.message, s3.resource, requestId);
  res.writeHead(err.status, {
    "content-type": "application/xml",
    "content-length": Buffer.byteLength(text),
    "x-amz-request-id": requestId,
  });
  res.end(text);
}

/**
 * An emulator bug: HTTP 500 `InternalFailure` (S3: `InternalError`) naming the request id, whose
 * log line has the details; nothing of the server's code or files goes to the client.
 */
export function sendInternalError(
  res: ServerResponse,
  protocol: Protocol,
  requestId: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const message = `The emulator failed to answer request ${requestId}; its log has the details.`;
  const code = protocol === "s3" ? "InternalError" : "InternalFailure";
  sendError(res, protocol, new ServiceError(code, message, 500), requestId);
}

export function sendS3Answer(
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
