import type { Personalize } from "@aws-sdk/client-personalize";

/**
 * Where a provider talks to. Built from the resource's own inputs on every call, since each
 * resource names its own region and endpoint. (A client captured at module level also failed
 * the SDK's closure serializer, which stored provider code before providers/packed.ts:
 * https://github.com/pulumi/pulumi/issues/13960.)
 */
export interface Target {
  region: string;
  endpoint?: string;
}

/** Variables through which the SDK's default chain can find credentials. */
const CREDENTIAL_ENV = [
  "AWS_ACCESS_KEY_ID",
  "AWS_PROFILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

/** True when the endpoint is this machine (the emulator), which decides credentials and polling speed. */
export function isLoopback(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    const host = new URL(endpoint).hostname;
    return host === "localhost" || host === "::1" || host === "[::1]" || host.startsWith("127.");
  } catch {
    return false;
  }
}

/**
 * Credentials are never resource inputs (they would land in state). The SDK's default chain
 * reads them from the environment; only for a loopback endpoint with nothing in the
 * environment do we fall back to static dummy keys, so the emulator works out of the box.
 */
function credentialsFor(target: Target) {
  if (!isLoopback(target.endpoint)) return undefined;
  if (CREDENTIAL_ENV.some((name) => process.env[name])) return undefined;
  return { accessKeyId: "emulator", secretAccessKey: "emulator" };
}

/**
 * The SDK already retries throttles and `LimitExceededException` with its own back-off; the
 * lifecycle polls on top of that, so keep the SDK's attempts modest.
 */
const MAX_ATTEMPTS = 3;

/*
 * The SDK packages are required by name when a provider method runs: the stored provider
 * code (providers/packed.ts) keeps that `require` as written, and `pulumi destroy` runs it
 * against whatever SDK is installed then; a package name survives an SDK that moves its files.
 * (The SDK's closure serializer, which stored provider code before, wrote an imported package
 * as `require("<package>/<path of its resolved file>")`.) Types are imported with
 * `import type`, which leaves nothing in the compiled code.
 */

/** The Personalize API (the SDK's aggregated client: one method per operation). */
export function personalizeApi(target: Target): Personalize {
  const sdk: typeof import("@aws-sdk/client-personalize") = require("@aws-sdk/client-personalize");
  return new sdk.Personalize({
    region: target.region,
    endpoint: target.endpoint,
    credentials: credentialsFor(target),
    maxAttempts: MAX_ATTEMPTS,
  });
}

/**
 * The S3 calls of the local target's kinds (providers/s3.ts), typed here rather than from
 * `@aws-sdk/client-s3`: the client's declarations (139 files, 2.2 MB) would otherwise be parsed
 * by every type-check of the program, which reaches this module (README, "Type-checking").
 * `npm test`'s `tsc` holds the SDK's client to this shape (tests/providers/client.test.ts).
 */
export interface LocalS3 {
  createBucket(input: { Bucket: string }): Promise<object>;
  headBucket(input: { Bucket: string }): Promise<object>;
  deleteBucket(input: { Bucket: string }): Promise<object>;
  headObject(input: { Bucket: string; Key: string }): Promise<{ ETag?: string }>;
  putObject(input: {
    Bucket: string;
    Key: string;
    Body: Uint8Array;
    ContentType?: string;
  }): Promise<{ ETag?: string }>;
  deleteObject(input: { Bucket: string; Key: string }): Promise<object>;
}

/** The configuration `s3Api` gives the SDK's S3 client. */
export interface LocalS3Config {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: boolean;
  maxAttempts: number;
}

/** S3 for the local target: path-style addressing, because the emulator serves one host. */
export function s3Api(target: Target): LocalS3 {
  const sdk = require("@aws-sdk/client-s3") as { S3: new (config: LocalS3Config) => LocalS3 };
  return new sdk.S3({
    region: target.region,
    endpoint: target.endpoint,
    credentials: credentialsFor(target),
    forcePathStyle: true,
    maxAttempts: MAX_ATTEMPTS,
  });
}

/** The service's error code (`ResourceNotFoundException`, ...), whatever class the SDK mapped it to. */
export function errorCode(err: unknown): string | undefined {
  if (!err || typeof err !== "object") return undefined;
  if ("name" in err && typeof err.name === "string") return err.name;
  if ("Code" in err && typeof err.Code === "string") return err.Code;
  return undefined;
}

/**
 * The message of anything thrown. Not `instanceof Error`: anything may be thrown, and an error
 * made in another realm (or by code stored by the SDK's closure serializer, as before
 * providers/packed.ts) does not descend from this one's `Error`.
 */
export function errorMessage(err: unknown): string {
  if (err && typeof err === "object") {
    if ("message" in err && typeof err.message === "string" && err.message !== "")
      return err.message;
    const code = errorCode(err);
    if (code) return code;
  }
  return String(err);
}

// Lists, not Sets: a habit from when the SDK's closure serializer stored provider code, where a
// captured Set arrived in the provider host as a plain object.

/** Error codes the service means as "slow down": retried until the deadline. */
const THROTTLING = [
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ProvisionedThroughputExceededException",
  "SlowDown",
];

/** Node's codes for a connection that failed or broke: worth another try, a few times. */
const NETWORK = [
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "TimeoutError",
  "RequestTimeout",
];

/**
 * What kind of passing trouble an error is, if any: a throttle or a server error (5xx),
 * retried until the deadline, or a network error, retried a few times in a row (a dead
 * endpoint must fail soon, not hours later).
 */
export function transientKind(err: unknown): "throttle" | "server" | "network" | undefined {
  if (!err || typeof err !== "object") return undefined;
  const code = errorCode(err) ?? "";
  if (THROTTLING.includes(code)) return "throttle";
  const metadata = "$metadata" in err ? err.$metadata : undefined;
  const status =
    metadata && typeof metadata === "object" && "httpStatusCode" in metadata
      ? metadata.httpStatusCode
      : undefined;
  if (typeof status === "number" && status >= 500) return "server";
  const nodeCode = "code" in err ? err.code : undefined;
  if (NETWORK.includes(code) || (typeof nodeCode === "string" && NETWORK.includes(nodeCode)))
    return "network";
  return undefined;
}

export const isNotFound = (err: unknown): boolean => {
  const code = errorCode(err);
  return code === "ResourceNotFoundException" || code === "NoSuchBucket" || code === "NotFound";
};

/** The ARN a create call answered with; a create that answers none is the service's fault, said so. */
export function created(arn: string | undefined, operation: string): string {
  if (!arn) throw new Error(`${operation} answered without the new resource's ARN`);
  return arn;
}

/**
 * Every item of a paginated List call: `list` gets no token first, then each page's
 * `nextToken` until a page has none.
 */
export async function listAll<Page extends { nextToken?: string }, Item>(
  list: (token: { nextToken?: string }) => Promise<Page>,
  items: (page: Page) => Item[] | undefined,
): Promise<Item[]> {
  const all: Item[] = [];
  let token: { nextToken?: string } = {};
  do {
    const page = await list(token);
    all.push(...(items(page) ?? []));
    token = page.nextToken ? { nextToken: page.nextToken } : {};
  } while (token.nextToken);
  return all;
}
