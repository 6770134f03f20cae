// --data-dir: state across restarts, and a kill -9 in the middle of writes.
import {
  CreateDatasetGroupCommand,
  CreateSchemaCommand,
  DescribeDatasetGroupCommand,
  DescribeSchemaCommand,
  ListDatasetGroupsCommand,
  ListTagsForResourceCommand,
  PersonalizeClient,
} from "@aws-sdk/client-personalize";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "../../emulator";
import { clientConfig } from "../support/emulator";
import { INTERACTIONS_SCHEMA, clientsFor, eventually, spawnCli } from "./helpers";

describe("emulator persistence", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "emulator-state-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps resources, tags and S3 objects across a restart, and resumes pending lifecycles", async () => {
    const first = clientsFor(
      await startEmulator({ dataDir: dir, durationScale: 1, durations: { datasetGroup: 1000 } }),
    );
    const { datasetGroupArn } = await first.personalize.send(
      new CreateDatasetGroupCommand({
        name: "durable",
        tags: [{ tagKey: "owner", tagValue: "ml" }],
      }),
    );
    const { schemaArn } = await first.personalize.send(
      new CreateSchemaCommand({ name: "durable-schema", schema: INTERACTIONS_SCHEMA }),
    );
    await first.s3.send(new CreateBucketCommand({ Bucket: "durable-bucket" }));
    await first.s3.send(
      new PutObjectCommand({
        Bucket: "durable-bucket",
        Key: "data/interactions.csv",
        Body: "USER_ID\n1\n",
      }),
    );
    const before = (
      await first.personalize.send(new DescribeDatasetGroupCommand({ datasetGroupArn }))
    ).datasetGroup!;
    try {
      assert.notEqual(before.status, "ACTIVE");
    } finally {
      await first.close();
    }

    const second = clientsFor(
      await startEmulator({ dataDir: dir, durationScale: 1, durations: { datasetGroup: 300 } }),
    );
    try {
      const p = second.personalize;
      const active = await eventually(
        async () =>
          (await p.send(new DescribeDatasetGroupCommand({ datasetGroupArn }))).datasetGroup!,
        (g) => g.status === "ACTIVE",
        "group ACTIVE after restart",
      );
      assert.equal(active.creationDateTime?.getTime(), before.creationDateTime?.getTime());
      assert.equal(
        (await p.send(new DescribeSchemaCommand({ schemaArn }))).schema!.schema,
        INTERACTIONS_SCHEMA,
      );
      assert.deepEqual(
        (await p.send(new ListTagsForResourceCommand({ resourceArn: datasetGroupArn }))).tags,
        [{ tagKey: "owner", tagValue: "ml" }],
      );
      const object = await second.s3.send(
        new GetObjectCommand({ Bucket: "durable-bucket", Key: "data/interactions.csv" }),
      );
      assert.equal(await object.Body!.transformToString(), "USER_ID\n1\n");
    } finally {
      await second.close();
    }
  });

  it("survives kill -9 during writes with either the old or the new state, never a corrupt one", async () => {
    const run = spawnCli([
      "--port",
      "0",
      "--data-dir",
      dir,
      "--duration-scale",
      "0",
      "--quiet",
      "--placeholder-data-plane",
    ]);
    const url = await run.url;
    const personalize = new PersonalizeClient(clientConfig(url));
    const s3 = new S3Client({ ...clientConfig(url), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "crash" }));
    const groups: string[] = [];
    const objects = new Map<string, string>();
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const name = `w${w}-${i}`;
        const body = `${name}:`.repeat(2000 + i);
        try {
          await personalize.send(new CreateDatasetGroupCommand({ name }));
          groups.push(name);
          // Overwrites too: the same key gets a new body every other round.
          const key = `k-${w}-${i % 5}`;
          await s3.send(new PutObjectCommand({ Bucket: "crash", Key: key, Body: body }));
          objects.set(key, body);
        } catch {
          return; // the process is gone
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    await eventually(
      async () => groups.length,
      (n) => n >= 30,
      "30 acknowledged writes",
    );
    run.child.kill("SIGKILL");
    stop = true;
    await Promise.all(writers);
    await run.exited;
    personalize.destroy();
    s3.destroy();

    const restarted = clientsFor(await startEmulator({ dataDir: dir, durationScale: 0 }));
    try {
      const names = new Set<string>();
      let nextToken: string | undefined;
      do {
        const page = await restarted.personalize.send(new ListDatasetGroupsCommand({ nextToken }));
        for (const g of page.datasetGroups!) names.add(g.name!);
        nextToken = page.nextToken;
      } while (nextToken);
      for (const name of groups)
        assert.ok(names.has(name), `acknowledged dataset group ${name} survived`);
      const listed =
        (await restarted.s3.send(new ListObjectsV2Command({ Bucket: "crash" }))).Contents ?? [];
      for (const entry of listed) {
        const got = await restarted.s3.send(
          new GetObjectCommand({ Bucket: "crash", Key: entry.Key! }),
        );
        const body = await got.Body!.transformToString();
        assert.equal(
          got.ETag,
          `"${createHash("md5").update(body).digest("hex")}"`,
          `${entry.Key} matches its ETag`,
        );
        assert.match(body, /^(w\d+-\d+:)+$/, `${entry.Key} holds a whole body`);
      }
      for (const key of objects.keys())
        assert.ok(
          listed.some((e) => e.Key === key),
          `acknowledged object ${key} survived`,
        );
      assert.equal(
        readdirSync(join(dir, "objects")).length,
        listed.length,
        "no orphaned object bodies after the restart",
      );
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.endsWith(".tmp")),
        [],
      );
    } finally {
      await restarted.close();
    }
  });
});
