// The S3 subset through the real S3 client (path-style).
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketLocationCommand,
  UploadPartCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { harness, rejection, type Harness } from "./helpers";

describe("emulator S3 subset", function () {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  it("creates, heads, lists and deletes buckets with S3's errors", async () => {
    const s3 = h.s3;
    await s3.send(new CreateBucketCommand({ Bucket: "data-bucket" }));
    await s3.send(new HeadBucketCommand({ Bucket: "data-bucket" }));
    const taken = await rejection(s3.send(new CreateBucketCommand({ Bucket: "data-bucket" })));
    assert.equal(taken.name, "BucketAlreadyOwnedByYou");
    assert.equal(taken.$metadata?.httpStatusCode, 409);
    assert.equal(
      (await rejection(s3.send(new CreateBucketCommand({ Bucket: "Bad_Name" })))).name,
      "InvalidBucketName",
    );
    const missing = await rejection(s3.send(new HeadBucketCommand({ Bucket: "no-such-bucket" })));
    assert.equal(missing.$metadata?.httpStatusCode, 404);
    const names = (await s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name);
    assert.ok(names.includes("data-bucket"));
    await s3.send(new PutObjectCommand({ Bucket: "data-bucket", Key: "keep.txt", Body: "x" }));
    const notEmpty = await rejection(s3.send(new DeleteBucketCommand({ Bucket: "data-bucket" })));
    assert.equal(notEmpty.name, "BucketNotEmpty");
    await s3.send(new DeleteObjectCommand({ Bucket: "data-bucket", Key: "keep.txt" }));
    await s3.send(new DeleteBucketCommand({ Bucket: "data-bucket" }));
    assert.equal(
      (await rejection(s3.send(new DeleteBucketCommand({ Bucket: "data-bucket" })))).name,
      "NoSuchBucket",
    );
  });

  it("stores objects with MD5 ETags, metadata and content type, from buffers and streams", async () => {
    const s3 = h.s3;
    await s3.send(new CreateBucketCommand({ Bucket: "objects" }));
    const csv = "USER_ID,ITEM_ID,TIMESTAMP\n1,a,1700000000\n";
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: "objects",
        Key: "in/interactions.csv",
        Body: csv,
        ContentType: "text/csv",
        Metadata: { source: "segment" },
      }),
    );
    assert.equal(put.ETag, `"${createHash("md5").update(csv).digest("hex")}"`);
    const got = await s3.send(
      new GetObjectCommand({ Bucket: "objects", Key: "in/interactions.csv" }),
    );
    assert.equal(await got.Body!.transformToString(), csv);
    assert.equal(got.ContentType, "text/csv");
    assert.equal(got.ETag, put.ETag);
    assert.deepEqual(got.Metadata, { source: "segment" });
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: "objects", Key: "in/interactions.csv" }),
    );
    assert.equal(head.ContentLength, Buffer.byteLength(csv));

    const bytes = Buffer.alloc(300_000, 7);
    await s3.send(
      new PutObjectCommand({
        Bucket: "objects",
        Key: "stream.bin",
        Body: Readable.from([bytes]),
        ContentLength: bytes.length,
      }),
    );
    const back = await s3.send(new GetObjectCommand({ Bucket: "objects", Key: "stream.bin" }));
    assert.ok(Buffer.from(await back.Body!.transformToByteArray()).equals(bytes));
    const ranged = await s3.send(
      new GetObjectCommand({ Bucket: "objects", Key: "in/interactions.csv", Range: "bytes=0-6" }),
    );
    assert.equal(await ranged.Body!.transformToString(), "USER_ID");

    const noKey = await rejection(
      s3.send(new GetObjectCommand({ Bucket: "objects", Key: "nope.csv" })),
    );
    assert.equal(noKey.name, "NoSuchKey");
    assert.equal(noKey.$metadata?.httpStatusCode, 404);
    assert.equal(
      (await rejection(s3.send(new GetObjectCommand({ Bucket: "no-bucket", Key: "k" })))).name,
      "NoSuchBucket",
    );
    assert.equal(
      (await rejection(s3.send(new HeadObjectCommand({ Bucket: "objects", Key: "nope.csv" }))))
        .$metadata?.httpStatusCode,
      404,
    );
  });

  it("lists with prefix, delimiter and continuation tokens", async () => {
    const s3 = h.s3;
    await s3.send(new CreateBucketCommand({ Bucket: "listing" }));
    const keys = ["a/1.csv", "a/2.csv", "a/deep/3.csv", "b/4.csv", "c.csv", "with space/é.csv"];
    for (const Key of keys)
      await s3.send(new PutObjectCommand({ Bucket: "listing", Key, Body: Key }));
    const top = await s3.send(new ListObjectsV2Command({ Bucket: "listing", Delimiter: "/" }));
    assert.deepEqual(
      top.CommonPrefixes!.map((p) => p.Prefix),
      ["a/", "b/", "with space/"],
    );
    assert.deepEqual(
      top.Contents!.map((c) => c.Key),
      ["c.csv"],
    );
    const underA = await s3.send(
      new ListObjectsV2Command({ Bucket: "listing", Prefix: "a/", Delimiter: "/" }),
    );
    assert.deepEqual(
      underA.Contents!.map((c) => c.Key),
      ["a/1.csv", "a/2.csv"],
    );
    assert.deepEqual(
      underA.CommonPrefixes!.map((p) => p.Prefix),
      ["a/deep/"],
    );
    const all: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 2 },
      { Bucket: "listing" },
    )) {
      pages++;
      all.push(...(page.Contents ?? []).map((c) => c.Key!));
    }
    assert.deepEqual(all, [...keys].sort());
    assert.equal(pages, 3);
    const afterB = await s3.send(
      new ListObjectsV2Command({ Bucket: "listing", StartAfter: "b/4.csv" }),
    );
    assert.deepEqual(
      afterB.Contents!.map((c) => c.Key),
      ["c.csv", "with space/é.csv"],
    );
  });

  it("assembles multipart uploads with S3's multipart ETag, and answers GetBucketLocation", async () => {
    const s3 = h.s3;
    await s3.send(new CreateBucketCommand({ Bucket: "multi" }));
    assert.equal(
      (await s3.send(new GetBucketLocationCommand({ Bucket: "multi" }))).LocationConstraint,
      undefined,
    );
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: "multi",
        Key: "big.csv",
        ContentType: "text/csv",
      }),
    );
    const parts = [Buffer.alloc(5 * 1024 * 1024, "a"), Buffer.from("tail")];
    const etags: string[] = [];
    for (const [i, Body] of parts.entries())
      etags.push(
        (
          await s3.send(
            new UploadPartCommand({
              Bucket: "multi",
              Key: "big.csv",
              UploadId,
              PartNumber: i + 1,
              Body,
            }),
          )
        ).ETag!,
      );
    const wrong = await rejection(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: "multi",
          Key: "big.csv",
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0000"' }] },
        }),
      ),
    );
    assert.equal(wrong.name, "InvalidPart");
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: "multi",
        Key: "big.csv",
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const digests = Buffer.concat(parts.map((p) => createHash("md5").update(p).digest()));
    assert.equal(done.ETag, `"${createHash("md5").update(digests).digest("hex")}-2"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: "multi", Key: "big.csv" }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts)));
    assert.equal(got.ContentType, "text/csv");

    const { UploadId: abandoned } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: "multi", Key: "gone.csv" }),
    );
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: "multi", Key: "gone.csv", UploadId: abandoned }),
    );
    const aborted = await rejection(
      s3.send(
        new UploadPartCommand({
          Bucket: "multi",
          Key: "gone.csv",
          UploadId: abandoned,
          PartNumber: 1,
          Body: "x",
        }),
      ),
    );
    assert.equal(aborted.name, "NoSuchUpload");
  });
});
