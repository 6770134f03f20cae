// Shared set-up for the emulator tests: a running emulator plus real SDK clients pointed at it.
import {
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateSchemaCommand,
  DescribeDatasetCommand,
  DescribeDatasetGroupCommand,
  type PersonalizeClient,
} from "@aws-sdk/client-personalize";
import { spawn } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";

import { eventually, startTestEmulator, type TestEmulator } from "../support/emulator";
import { INTERACTIONS_SCHEMA, itemsSchema } from "../support/schemas";

export { clientsFor, eventually, rejection } from "../support/emulator";
export { INTERACTIONS_SCHEMA } from "../support/schemas";

export type Harness = TestEmulator;

/** An emulator whose lifecycles take no time, with SDK clients signing for `region`. */
export const harness = startTestEmulator;

export const ITEMS_SCHEMA = itemsSchema("GENRES");

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

/** `Authorization` with a SigV4 scope for `service` in `region`; the emulator reads only the scope. */
export const signedFor = (service: string, region = "us-east-1") =>
  `AWS4-HMAC-SHA256 Credential=AKID/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00`;

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Milliseconds from sending to the end of the answer. */
  ms: number;
}

/**
 * One raw HTTP request (no SDK, so nothing is validated or encoded for us). A request not
 * answered within `hangMs` fails the test as a hang: the limit catches an emulator stuck in a
 * loop, it is not a speed requirement.
 */
export function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
  hangMs = 30_000,
): Promise<Reply> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () =>
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        }),
      );
    });
    req.setTimeout(hangMs, () =>
      req.destroy(new Error(`no answer within ${hangMs} ms to ${method} ${path.slice(0, 80)}`)),
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A control-plane call over raw HTTP, signed for `region`. */
export const control = (url: string, operation: string, body: string | Buffer, region?: string) =>
  send(
    url,
    "POST",
    "/",
    {
      "x-amz-target": operation.includes(".") ? operation : `AmazonPersonalize.${operation}`,
      "content-type": "application/x-amz-json-1.1",
      authorization: signedFor("personalize", region),
    },
    body,
  );
