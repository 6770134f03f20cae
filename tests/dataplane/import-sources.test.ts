import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { GetRecommendationsCommand } from "@aws-sdk/client-personalize-runtime";
import { avroSchema } from "../support/schemas";
import { SCHEMA, START, interactions, toCsv } from "./fixtures";
import { deploy, group, importFile, start, upload, type Harness } from "./stack";

const BUCKET = "import-sources";

/** The most popular items of the dataset group's data, from a popularity-count campaign. */
async function popular(h: Harness, datasetGroupArn: string): Promise<string[]> {
  const { campaignArn } = await deploy(h, datasetGroupArn, "aws-popularity-count");
  const answer = await h.runtime.send(
    new GetRecommendationsCommand({ campaignArn, numResults: 5 }),
  );
  return answer.itemList!.map((i) => i.itemId!);
}

/** 1000 events by 100 users, all on one item: whatever else is imported, it is the most popular. */
function onItem(item: string, user = "fan"): string {
  return toCsv(
    Array.from({ length: 1000 }, (_, i) => ({
      user: `${user}-${i % 100}`,
      item,
      type: "click",
      value: null,
      time: START + i,
    })),
  );
}

describe("data plane: where an import's data comes from", function () {
  let h: Harness;
  const logged: string[] = [];
  before(async () => {
    h = await start({ quiet: false, log: (line) => logged.push(line) });
  });
  after(() => h?.close());

  it("imports every object directly under a folder, extension or not (a Glue job's part files)", async () => {
    const g = await group(h, SCHEMA);
    const rows = interactions(40, 30);
    // What the workshop's Glue job leaves: the console's folder marker and part files.
    await upload(h, BUCKET, "transformed/", Buffer.alloc(0));
    await upload(h, BUCKET, "transformed/run-1551018703844-part-r-00000", toCsv(rows));
    await upload(h, BUCKET, "transformed/run-1551018703844-part-r-00001", onItem("only-in-part-1"));
    // A sub-folder is not part of the import: its bad data would fail it.
    await upload(h, BUCKET, "transformed/old/part-r-00000", "USER_ID\nnot,a,valid,row\n");
    const job = await importFile(h, g.datasetArn, `s3://${BUCKET}/transformed/`);
    assert.equal(job.status, "ACTIVE", job.failureReason);
    assert.equal((await popular(h, g.datasetGroupArn))[0], "only-in-part-1");
  });

  it("fails a folder import on a bad part file, naming it, and an empty folder, saying so", async () => {
    const g = await group(h, SCHEMA);
    await upload(h, BUCKET, "parts/part-00000", toCsv(interactions(40, 30)));
    await upload(h, BUCKET, "parts/part-00001", onItem("x").replace(`,${START + 7}\n`, ",soon\n"));
    const bad = await importFile(h, g.datasetArn, `s3://${BUCKET}/parts/`);
    assert.equal(bad.status, "CREATE FAILED");
    assert.match(
      bad.failureReason ?? "",
      /^s3:\/\/import-sources\/parts\/part-00001: Line 9, column TIMESTAMP: value "soon" is not a long/,
    );
    await upload(h, BUCKET, "empty/", Buffer.alloc(0));
    const empty = await importFile(h, g.datasetArn, `s3://${BUCKET}/empty/`);
    assert.equal(
      empty.failureReason,
      `Data location s3://${BUCKET}/empty/ does not exist or has no data files.`,
    );
  });

  it("ignores columns the schema does not have, and the emulator's log names them", async () => {
    const fourFields = avroSchema("Interactions", [
      { name: "USER_ID", type: "string" },
      { name: "ITEM_ID", type: "string" },
      { name: "EVENT_TYPE", type: "string" },
      { name: "TIMESTAMP", type: "long" },
    ]);
    const g = await group(h, fourFields);
    // The workshop's February 2019 file: ANONYMOUS_ID and TIMESTAMP_ISO beyond the schema.
    const lines = ["ANONYMOUS_ID,USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP_ISO,TIMESTAMP"];
    for (const r of interactions(40, 30)) {
      const iso = new Date(r.time * 1000).toISOString();
      lines.push(`"anon-${r.user}",${r.user},${r.item},"${r.type}",${iso},${r.time}`);
    }
    const location = await upload(h, BUCKET, "six-columns.csv", lines.join("\n"));
    const job = await importFile(h, g.datasetArn, location);
    assert.equal(job.status, "ACTIVE", job.failureReason);
    assert.ok(
      logged.some(
        (line) =>
          line.includes(job.datasetImportJobArn!) &&
          line.includes(
            "Input CSV has columns that are not in the schema: [ANONYMOUS_ID, TIMESTAMP_ISO]; they are ignored",
          ),
      ),
      logged.join("\n"),
    );
  });
});

describe("data plane: imports of multipart uploads", function () {
  for (const persisted of [false, true]) {
    it(`imports an object uploaded in parts, split inside a quoted value and a character${persisted ? ", from the data dir" : ""}`, async () => {
      const dataDir = persisted ? mkdtempSync(join(tmpdir(), "import-multipart-")) : undefined;
      const h = await start(dataDir ? { dataDir } : {});
      try {
        const g = await group(h, SCHEMA);
        // The most popular item, once read back, has a quoted name with a comma, doubled
        // quotes and a two-byte character.
        const special = onItem("ITEM").replace(/,ITEM,/g, ',"zoë, ""quoted"" item",');
        const csv = toCsv(interactions(40, 30)) + special.slice(special.indexOf("\n") + 1);
        const bytes = Buffer.from(csv);
        const quote = bytes.indexOf('"zoë');
        const cuts = [0, quote + 3, bytes.indexOf("ë", quote + 10) + 1, bytes.length];
        assert.equal(bytes[cuts[2] - 1], 0xc3, "the second part ends inside ë");
        const key = "multipart/interactions.csv";
        await upload(h, BUCKET, "first", Buffer.alloc(0));
        const { UploadId } = await h.s3.send(
          new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }),
        );
        const parts = [];
        for (let p = 0; p + 1 < cuts.length; p++) {
          const { ETag } = await h.s3.send(
            new UploadPartCommand({
              Bucket: BUCKET,
              Key: key,
              UploadId,
              PartNumber: p + 1,
              Body: bytes.subarray(cuts[p], cuts[p + 1]),
            }),
          );
          parts.push({ ETag, PartNumber: p + 1 });
        }
        await h.s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: BUCKET,
            Key: key,
            UploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
        const got = await h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes));
        if (dataDir) {
          // The parts' own files are gone: only the two objects' bodies are left.
          assert.equal(readdirSync(join(dataDir, "objects")).length, 2);
        }
        const job = await importFile(h, g.datasetArn, `s3://${BUCKET}/${key}`);
        assert.equal(job.status, "ACTIVE", job.failureReason);
        assert.equal((await popular(h, g.datasetGroupArn))[0], 'zoë, "quoted" item');
      } finally {
        await h.close();
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
