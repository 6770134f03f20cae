import { PersonalizeClient } from "@aws-sdk/client-personalize";
import { S3Client } from "@aws-sdk/client-s3";

/**
 * Where a provider talks to. Built from the resource's own inputs on every call: a client
 * instance captured at module level would be serialized into `__provider` and fail (native
 * `bound call`), see pulumi-dynamic-providers.md §1.3.
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

export function personalizeClient(target: Target): PersonalizeClient {
  return new PersonalizeClient({
    region: target.region,
    endpoint: target.endpoint,
    credentials: credentialsFor(target),
    maxAttempts: MAX_ATTEMPTS,
  });
}

/** S3 client for the local target: path-style addressing, because the emulator serves one host. */
export function s3Client(target: Target): S3Client {
  return new S3Client({
    region: target.region,
    endpoint: target.endpoint,
    credentials: credentialsFor(target),
    forcePathStyle: true,
    maxAttempts: MAX_ATTEMPTS,
  });
}

/** The service's error code (`ResourceNotFoundException`, ...), whatever class the SDK mapped it to. */
export function errorCode(err: unknown): string | undefined {
  if (err && typeof err === "object") {
    const e = err as { name?: unknown; Code?: unknown };
    if (typeof e.name === "string") return e.name;
    if (typeof e.Code === "string") return e.Code;
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const isNotFound = (err: unknown): boolean => {
  const code = errorCode(err);
  return code === "ResourceNotFoundException" || code === "NoSuchBucket" || code === "NotFound";
};
