/**
 * The S3 REST protocol (path-style) over the S3 model: decodes the request, calls s3.ts,
 * encodes S3's XML answers. Enough for `@aws-sdk/client-s3` with `forcePathStyle` and for
 * `aws s3 cp` / `aws s3 ls`. Errors are thrown as ServiceError and encoded by server.ts.
 */
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { ServiceError } from "./errors";
import type { S3Store } from "./s3";
import type { ObjectMeta } from "./store";

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | number>;
  body?: Buffer | string;
}

const NS = "http://s3.amazonaws.com/doc/2006-03-01/";
/** Subresources of the real S3 API that this subset does not implement. */
const UNSUPPORTED = [
  "acl",
  "policy",
  "versioning",
  "tagging",
  "lifecycle",
  "cors",
  "website",
  "encryption",
  "versions",
  "delete",
  "notification",
  "replication",
  "logging",
  "object-lock",
  "retention",
  "legal-hold",
  "torrent",
  "restore",
  "select",
];

function xmlEscape(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, ".000Z");
const xml = (body: string): HttpAnswer => ({
  status: 200,
  headers: { "content-type": "application/xml" },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
});

/** Longest chunk header read: the hex size and a `;chunk-signature=<64 hex>` extension. */
const MAX_CHUNK_HEADER = 1024;
const CHUNK_SIZE = /^[0-9a-fA-F]{1,16}$/;

/**
 * Streaming uploads (`content-encoding: aws-chunked`, used by the SDK for streams and by
 * flexible checksums) frame the body as `hex-size[;ext]\r\n<bytes>\r\n ... 0\r\n<trailers>\r\n\r\n`.
 * Every chunk moves forward through the body, so any framing ends: a size that is not hex
 * digits, or larger than what is left, or a chunk not followed by CRLF is refused.
 */
export function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = raw.indexOf("\r\n", offset);
    if (lineEnd < 0 || lineEnd - offset > MAX_CHUNK_HEADER)
      throw malformed(
        lineEnd < 0 ? "ends inside a chunk header" : "has a chunk header over 1 KiB",
        offset,
      );
    const sizeText = raw.subarray(offset, lineEnd).toString("latin1").split(";")[0];
    if (!CHUNK_SIZE.test(sizeText))
      throw malformed(`has an invalid chunk size ${JSON.stringify(sizeText.slice(0, 20))}`, offset);
    const size = parseInt(sizeText, 16);
    if (size === 0) break;
    const start = lineEnd + 2;
    if (size > raw.length - start - 2)
      throw new ServiceError(
        "IncompleteBody",
        `The aws-chunked request body is shorter than its chunk sizes say (a chunk of 0x${sizeText} bytes at byte ${offset}).`,
        400,
      );
    if (raw[start + size] !== 0x0d || raw[start + size + 1] !== 0x0a)
      throw malformed("has a chunk not followed by CRLF", start + size);
    parts.push(raw.subarray(start, start + size));
    offset = start + size + 2;
  }
  return Buffer.concat(parts);
}

function malformed(problem: string, at: number): ServiceError {
  return new ServiceError(
    "InvalidRequest",
    `The aws-chunked request body ${problem} (at byte ${at}).`,
    400,
  );
}

function objectHeaders(meta: ObjectMeta): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    etag: meta.etag,
    "last-modified": new Date(meta.lastModified).toUTCString(),
    "content-type": meta.contentType ?? "binary/octet-stream",
    "accept-ranges": "bytes",
  };
  for (const [k, v] of Object.entries(meta.metadata ?? {})) headers[`x-amz-meta-${k}`] = v;
  return headers;
}

export interface S3Request {
  method: string;
  /** Raw path (still percent-encoded), no query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  region: string;
}

export function handleS3(store: S3Store, req: S3Request): HttpAnswer {
  const slash = req.path.indexOf("/", 1);
  let bucket: string;
  let key: string;
  try {
    bucket = decodeURIComponent(slash < 0 ? req.path.slice(1) : req.path.slice(1, slash));
    key = slash < 0 ? "" : decodeURIComponent(req.path.slice(slash + 1));
  } catch {
    throw new ServiceError(
      "InvalidURI",
      `Couldn't parse the specified URI: ${req.path} is not valid percent-encoding.`,
      400,
    );
  }
  const unsupported = UNSUPPORTED.find((q) => req.query.has(q));
  if (unsupported)
    throw new ServiceError(
      "NotImplemented",
      `The emulator's S3 subset does not implement the ?${unsupported} subresource (${req.method} ${req.path}). Supported: buckets (create, head, delete, list, location) and objects (put, multipart upload, get, head, delete, ListObjectsV2).`,
      400,
    );
  if (!bucket) {
    if (req.method !== "GET") throw methodNotAllowed(req);
    return listBuckets(store);
  }
  if (!key) {
    switch (req.method) {
      case "PUT":
        store.createBucket(bucket, req.region);
        return { status: 200, headers: { location: `/${bucket}` } };
      case "HEAD":
        return { status: 200, headers: { "x-amz-bucket-region": store.headBucket(bucket).region } };
      case "GET":
        if (req.query.has("location")) {
          // GetBucketLocation answers an empty constraint for us-east-1, as S3 does.
          const region = store.headBucket(bucket).region;
          return xml(
            `<LocationConstraint xmlns="${NS}">${region === "us-east-1" ? "" : xmlEscape(region)}</LocationConstraint>`,
          );
        }
        return listObjects(store, bucket, req.query);
      case "DELETE":
        store.deleteBucket(bucket);
        return { status: 204, headers: {} };
      default:
        throw methodNotAllowed(req);
    }
  }
  const uploadId = req.query.get("uploadId");
  switch (req.method) {
    case "POST": {
      if (req.query.has("uploads")) {
        const id = store.createUpload(bucket, key, req.headers["content-type"], userMetadata(req));
        return xml(
          `<InitiateMultipartUploadResult xmlns="${NS}"><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      if (uploadId === null) throw methodNotAllowed(req);
      const listing = req.body.toString("utf8");
      const parts = [...listing.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
        partNumber: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(m[1])?.[1] ?? NaN),
        etag: (/<ETag>([\s\S]*?)<\/ETag>/.exec(m[1])?.[1] ?? "").replace(/&quot;/g, '"').trim(),
      }));
      if (parts.some((p) => !Number.isInteger(p.partNumber)))
        throw new ServiceError(
          "MalformedXML",
          "The CompleteMultipartUpload body has a part without a valid PartNumber.",
          400,
        );
      const meta = store.completeUpload(bucket, key, uploadId, parts);
      return xml(
        `<CompleteMultipartUploadResult xmlns="${NS}"><Location>/${xmlEscape(bucket)}/${xmlEscape(key)}</Location><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(meta.etag)}</ETag></CompleteMultipartUploadResult>`,
      );
    }
    case "PUT": {
      if (req.headers["x-amz-copy-source"])
        throw new ServiceError(
          "NotImplemented",
          "The emulator's S3 subset does not implement CopyObject (x-amz-copy-source).",
          400,
        );
      const body = payload(req);
      if (uploadId !== null) {
        const etag = store.uploadPart(
          bucket,
          key,
          uploadId,
          Number(req.query.get("partNumber")),
          body,
        );
        return { status: 200, headers: { etag } };
      }
      const meta = store.putObject(
        bucket,
        key,
        body,
        req.headers["content-type"],
        userMetadata(req),
      );
      return { status: 200, headers: { etag: meta.etag } };
    }
    case "GET": {
      const { meta, body } = store.readObject(bucket, key);
      const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ""));
      if (range && (range[1] || range[2])) {
        const size = body.length;
        const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
        const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
        if (start >= size || start > end)
          throw new ServiceError(
            "InvalidRange",
            `The requested range ${String(req.headers.range)} is not satisfiable for an object of ${size} bytes.`,
            416,
          );
        return {
          status: 206,
          headers: { ...objectHeaders(meta), "content-range": `bytes ${start}-${end}/${size}` },
          body: body.subarray(start, end + 1),
        };
      }
      return { status: 200, headers: objectHeaders(meta), body };
    }
    case "HEAD": {
      const meta = store.headObject(bucket, key);
      return { status: 200, headers: { ...objectHeaders(meta), "content-length": meta.size } };
    }
    case "DELETE":
      if (uploadId !== null) store.abortUpload(bucket, key, uploadId);
      else store.deleteObject(bucket, key);
      return { status: 204, headers: {} };
    default:
      throw methodNotAllowed(req);
  }
}

/** The request's bytes: aws-chunked framing removed, Content-MD5 checked when given. */
function payload(req: S3Request): Buffer {
  const encoding = String(req.headers["content-encoding"] ?? "");
  const sha = String(req.headers["x-amz-content-sha256"] ?? "");
  const body =
    encoding.includes("aws-chunked") || sha.startsWith("STREAMING-")
      ? decodeAwsChunked(req.body)
      : req.body;
  const md5 = req.headers["content-md5"];
  if (typeof md5 === "string" && createHash("md5").update(body).digest("base64") !== md5)
    throw new ServiceError(
      "BadDigest",
      `The Content-MD5 you specified (${md5}) did not match what we received.`,
      400,
    );
  return body;
}

function userMetadata(req: S3Request): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (name.startsWith("x-amz-meta-") && typeof value === "string")
      metadata[name.slice(11)] = value;
  return metadata;
}

function methodNotAllowed(req: S3Request): ServiceError {
  return new ServiceError(
    "MethodNotAllowed",
    `The specified method ${req.method} is not allowed against ${req.path} in the emulator's S3 subset.`,
    405,
  );
}

function listBuckets(store: S3Store): HttpAnswer {
  const buckets = store
    .listBuckets()
    .map(
      (b) =>
        `<Bucket><Name>${xmlEscape(b.name)}</Name><CreationDate>${iso(b.created)}</CreationDate></Bucket>`,
    )
    .join("");
  return xml(
    `<ListAllMyBucketsResult xmlns="${NS}"><Owner><ID>emulator</ID><DisplayName>emulator</DisplayName></Owner><Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`,
  );
}

/** ListObjectsV2 (`list-type=2`) and, for older clients, ListObjects (v1, `marker`). */
function listObjects(store: S3Store, bucket: string, q: URLSearchParams): HttpAnswer {
  const v2 = q.get("list-type") === "2";
  const prefix = q.get("prefix") ?? "";
  const delimiter = q.get("delimiter") || undefined;
  const maxKeysText = q.get("max-keys");
  const maxKeys = maxKeysText === null ? 1000 : Number(maxKeysText);
  if (!Number.isInteger(maxKeys) || maxKeys < 0)
    throw new ServiceError(
      "InvalidArgument",
      `max-keys must be a non-negative integer, got ${JSON.stringify(maxKeysText)}.`,
      400,
    );
  const url = q.get("encoding-type") === "url";
  const enc = (text: string) =>
    xmlEscape(url ? encodeURIComponent(text).replace(/%2F/g, "/") : text);
  const token = q.get("continuation-token");
  let after: string | undefined;
  if (v2 && token !== null) {
    after = Buffer.from(token, "base64url").toString("utf8");
    if (!token || Buffer.from(after, "utf8").toString("base64url") !== token)
      throw new ServiceError(
        "InvalidArgument",
        `The continuation token provided is incorrect: ${JSON.stringify(token)}.`,
        400,
      );
  } else if (v2) {
    after = q.get("start-after") ?? undefined;
  } else {
    after = q.get("marker") ?? undefined;
  }
  const result = store.list(bucket, { prefix, delimiter, maxKeys: Math.min(maxKeys, 1000), after });
  const parts = [`<Name>${xmlEscape(bucket)}</Name>`, `<Prefix>${enc(prefix)}</Prefix>`];
  if (delimiter) parts.push(`<Delimiter>${enc(delimiter)}</Delimiter>`);
  parts.push(`<MaxKeys>${maxKeys}</MaxKeys>`, `<IsTruncated>${result.truncated}</IsTruncated>`);
  if (url) parts.push(`<EncodingType>url</EncodingType>`);
  if (v2) {
    parts.push(`<KeyCount>${result.contents.length + result.commonPrefixes.length}</KeyCount>`);
    if (token !== null) parts.push(`<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`);
    if (q.has("start-after")) parts.push(`<StartAfter>${enc(q.get("start-after")!)}</StartAfter>`);
    if (result.truncated && result.last !== undefined)
      parts.push(
        `<NextContinuationToken>${Buffer.from(result.last, "utf8").toString("base64url")}</NextContinuationToken>`,
      );
  } else {
    parts.push(`<Marker>${enc(q.get("marker") ?? "")}</Marker>`);
    if (result.truncated && result.last !== undefined)
      parts.push(`<NextMarker>${enc(result.last)}</NextMarker>`);
  }
  for (const o of result.contents)
    parts.push(
      `<Contents><Key>${enc(o.key)}</Key><LastModified>${iso(o.lastModified)}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
  for (const p of result.commonPrefixes)
    parts.push(`<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`);
  return xml(`<ListBucketResult xmlns="${NS}">${parts.join("")}</ListBucketResult>`);
}

export function s3ErrorBody(
  code: string,
  message: string,
  resource: string,
  requestId: string,
): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`;
}
