// Shared set-up for the emulator tests: a running emulator plus real SDK clients pointed at it.
import {
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateSchemaCommand,
  DescribeDatasetCommand,
  DescribeDatasetGroupCommand,
  PersonalizeClient,
} from "@aws-sdk/client-personalize";
import { S3Client } from "@aws-sdk/client-s3";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../emulator";

export const credentials = { accessKeyId: "test", secretAccessKey: "test" };

export interface Harness {
  emulator: RunningEmulator;
  personalize: PersonalizeClient;
  s3: S3Client;
  close(): Promise<void>;
}

export async function harness(
  options: EmulatorOptions = {},
  region = "us-east-1",
): Promise<Harness> {
  const emulator = await startEmulator({ durationScale: 0, ...options });
  return clientsFor(emulator, region);
}

export function clientsFor(emulator: RunningEmulator, region = "us-east-1"): Harness {
  // maxAttempts 1: the SDK would otherwise retry throttles and 500s and hide them.
  const personalize = new PersonalizeClient({
    endpoint: emulator.url,
    region,
    credentials,
    maxAttempts: 1,
  });
  const s3 = new S3Client({
    endpoint: emulator.url,
    region,
    credentials,
    forcePathStyle: true,
    maxAttempts: 1,
  });
  return {
    emulator,
    personalize,
    s3,
    close: async () => {
      personalize.destroy();
      s3.destroy();
      await emulator.close();
    },
  };
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

/** Polls `read` until `done` holds (durationScale 0 still finishes work asynchronously). */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 500; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${what} never happened; last value: ${JSON.stringify(last)}`);
}

export const INTERACTIONS_SCHEMA = JSON.stringify({
  type: "record",
  name: "Interactions",
  namespace: "com.amazonaws.personalize.schema",
  fields: [
    { name: "USER_ID", type: "string" },
    { name: "ITEM_ID", type: "string" },
    { name: "EVENT_TYPE", type: "string" },
    { name: "TIMESTAMP", type: "long" },
  ],
  version: "1.0",
});

export const ITEMS_SCHEMA = JSON.stringify({
  type: "record",
  name: "Items",
  namespace: "com.amazonaws.personalize.schema",
  fields: [
    { name: "ITEM_ID", type: "string" },
    { name: "GENRES", type: "string", categorical: true },
  ],
  version: "1.0",
});

/** Polls a Describe until the resource is ACTIVE. */
export async function waitActive<T extends { status?: string }>(
  read: () => Promise<T | undefined>,
  what: string,
): Promise<T> {
  return (await eventually(read, (r) => r?.status === "ACTIVE", `${what} ACTIVE`)) as T;
}

/**
 * A dataset group `name` with an Interactions dataset (`<name>-ds`, schema `<name>-schema`),
 * both ACTIVE (durationScale 0).
 */
export async function groupWithInteractions(p: PersonalizeClient, name: string) {
  const { datasetGroupArn } = await p.send(new CreateDatasetGroupCommand({ name }));
  await waitActive(
    async () => (await p.send(new DescribeDatasetGroupCommand({ datasetGroupArn }))).datasetGroup,
    "group",
  );
  const { schemaArn } = await p.send(
    new CreateSchemaCommand({ name: `${name}-schema`, schema: INTERACTIONS_SCHEMA }),
  );
  const { datasetArn } = await p.send(
    new CreateDatasetCommand({
      name: `${name}-ds`,
      datasetGroupArn,
      schemaArn,
      datasetType: "Interactions",
    }),
  );
  await waitActive(
    async () => (await p.send(new DescribeDatasetCommand({ datasetArn }))).dataset,
    "dataset",
  );
  return { datasetGroupArn: datasetGroupArn!, schemaArn: schemaArn!, datasetArn: datasetArn! };
}

const ROOT = join(__dirname, "..", "..");

/** Starts `emulator/cli.ts` in a child process and resolves with it and its URL. */
export function spawnCli(args: string[]) {
  const child = spawn(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", join(ROOT, "emulator", "cli.ts"), ...args],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const url = new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = /^(http:\/\/\S+)\n/m.exec(out);
      if (line) resolve(line[1]);
    });
    child.on("exit", (code) =>
      reject(new Error(`emulator exited with ${code} before printing its URL: ${stderr}`)),
    );
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return { child, url, exited, stderr: () => stderr };
}
