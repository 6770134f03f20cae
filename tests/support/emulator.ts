/**
 * The one way tests start an emulator and point the real AWS SDK clients at it: dummy
 * credentials, path-style S3, and no SDK retries (maxAttempts 1), because retries would hide
 * the throttles and 500s the emulator is asked to produce.
 */
import { PersonalizeClient } from "@aws-sdk/client-personalize";
import { PersonalizeEventsClient } from "@aws-sdk/client-personalize-events";
import { PersonalizeRuntimeClient } from "@aws-sdk/client-personalize-runtime";
import { S3Client } from "@aws-sdk/client-s3";
import {
  placeholderDataPlane,
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator,
} from "../../emulator";

export const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

/** SDK client configuration for an emulator at `endpoint`. */
export function clientConfig(endpoint: string, region = "us-east-1") {
  return { endpoint, region, credentials: CREDENTIALS, maxAttempts: 1 };
}

export interface TestEmulator {
  emulator: RunningEmulator;
  personalize: PersonalizeClient;
  runtime: PersonalizeRuntimeClient;
  events: PersonalizeEventsClient;
  s3: S3Client;
  /** Destroys the clients, then closes the emulator. */
  close(): Promise<void>;
}

/** SDK clients (Personalize, runtime, events, S3) for a running emulator. */
export function clientsFor(emulator: RunningEmulator, region = "us-east-1"): TestEmulator {
  const config = clientConfig(emulator.url, region);
  const personalize = new PersonalizeClient(config);
  const runtime = new PersonalizeRuntimeClient(config);
  const events = new PersonalizeEventsClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  return {
    emulator,
    personalize,
    runtime,
    events,
    s3,
    close: async () => {
      for (const client of [personalize, runtime, events, s3]) client.destroy();
      await emulator.close();
    },
  };
}

/**
 * An emulator on a free port whose lifecycles take no time unless `options` say otherwise.
 * Imports and training succeed without reading data (the placeholder data plane) unless the
 * test passes `dataPlane` (e.g. emulator/data's createDataPlane).
 */
export async function startTestEmulator(
  options: EmulatorOptions = {},
  region = "us-east-1",
): Promise<TestEmulator> {
  return clientsFor(
    await startEmulator({ port: 0, durationScale: 0, dataPlane: placeholderDataPlane, ...options }),
    region,
  );
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/**
 * Polls `read` every 5 ms, at most `attempts` times, until `done` holds (durationScale 0
 * still finishes work asynchronously).
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  attempts = 500,
): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${what} never happened; last value: ${JSON.stringify(last)}`);
}
