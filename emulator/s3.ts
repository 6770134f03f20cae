/**
 * The S3 subset as a model: buckets and objects with MD5 ETags, no HTTP. Bodies live in
 * memory, or as files in the data dir (store.ts) when one is set. It is also the
 * `ObjectStore` the data plane reads import files from, in pieces: a multipart upload's parts
 * are never joined into one buffer (in memory they stay apart; in the data dir each part is a
 * file until the upload completes, then they are copied into one), so an object may be larger
 * than a buffer can be.
 */
import { createHash, randomBytes } from "node:crypto";
import { BUCKET_NAME } from "../rules/aws";
import { follows } from "../rules/rule";
import type { ObjectBody, ObjectStore } from "./dataplane";
import { ServiceError } from "./errors";
import type { BucketState, DiskStore, ObjectMeta } from "./store";

interface StoredObject {
  meta: ObjectMeta;
  /** In-memory body (no data dir): the one PUT body, or a multipart upload's parts in order. */
  body?: Buffer[];
}

interface Bucket {
  name: string;
  region: string;
  created: number;
  objects: Map<string, StoredObject>;
}

const noSuchBucket = (bucket: string) =>
  new ServiceError("NoSuchBucket", `The specified bucket does not exist: ${bucket}`, 404);

export interface ListOptions {
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  /** List keys strictly after this one. */
  after?: string;
}

export interface ListResult {
  contents: ObjectMeta[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned, to continue after. */
  last?: string;
}

interface Upload {
  bucket: string;
  key: string;
  contentType?: string;
  metadata?: Record<string, string>;
  /** Each part in memory, or (data dir) in a blob of its own until the upload ends. */
  parts: Map<number, { etag: string; size: number; body?: Buffer; blob?: string }>;
}

const md5 = (body: Buffer) => createHash("md5").update(body).digest();

function checkKey(key: string): void {
  if (key.length === 0 || Buffer.byteLength(key) > 1024)
    throw new ServiceError(
      "KeyTooLongError",
      `Object keys must have 1 to 1024 bytes; got ${Buffer.byteLength(key)}.`,
      400,
    );
}

export class S3Store implements ObjectStore {
  private readonly buckets = new Map<string, Bucket>();
  /**
   * Multipart uploads in progress, recorded in memory only: an unfinished upload does not
   * survive a restart (with a data dir, the startup sweep removes its part files).
   */
  private readonly uploads = new Map<string, Upload>();

  constructor(
    private readonly now: () => number,
    private readonly changed: () => void,
    private readonly disk?: DiskStore,
  ) {}

  load(buckets: BucketState[]): void {
    for (const b of buckets)
      this.buckets.set(b.name, {
        name: b.name,
        region: b.region,
        created: b.created,
        objects: new Map(b.objects.map((meta) => [meta.key, { meta }])),
      });
  }

  snapshot(): BucketState[] {
    return [...this.buckets.values()].map((b) => ({
      name: b.name,
      region: b.region,
      created: b.created,
      objects: [...b.objects.values()].map((o) => o.meta),
    }));
  }

  /** Blob names the current state references (for the startup sweep). */
  blobs(): Set<string> {
    const names = new Set<string>();
    for (const b of this.buckets.values())
      for (const o of b.objects.values()) if (o.meta.blob) names.add(o.meta.blob);
    return names;
  }

  private bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  createBucket(name: string, region: string): void {
    if (!follows(BUCKET_NAME, name))
      throw new ServiceError(
        "InvalidBucketName",
        `The specified bucket is not valid: ${JSON.stringify(name)}. Bucket names have 3-63 characters: lower-case letters, digits, '.' and '-'.`,
        400,
      );
    if (this.buckets.has(name))
      throw new ServiceError(
        "BucketAlreadyOwnedByYou",
        `Your previous request to create the named bucket succeeded and you already own it: ${name}`,
        409,
      );
    this.buckets.set(name, { name, region, created: this.now(), objects: new Map() });
    this.changed();
  }

  headBucket(name: string): { region: string } {
    return { region: this.bucket(name).region };
  }

  deleteBucket(name: string): void {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0)
      throw new ServiceError(
        "BucketNotEmpty",
        `The bucket you tried to delete is not empty: ${name} has ${bucket.objects.size} object(s).`,
        409,
      );
    this.buckets.delete(name);
    this.changed();
  }

  listBuckets(): { name: string; created: number }[] {
    return [...this.buckets.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  putObject(
    bucketName: string,
    key: string,
    body: Buffer,
    contentType?: string,
    metadata?: Record<string, string>,
  ): ObjectMeta {
    this.bucket(bucketName);
    checkKey(key);
    const etag = `"${md5(body).toString("hex")}"`;
    const stored = this.disk ? { blob: this.disk.writeBlob(body) } : { parts: [body] };
    return this.setObject(bucketName, key, stored, body.length, etag, contentType, metadata);
  }

  /**
   * Stores an object whose body is already in place: in memory (`parts`) or in a blob written
   * before this call. Then the state that references it is saved, then the old body dropped.
   */
  private setObject(
    bucketName: string,
    key: string,
    stored: { parts: Buffer[] } | { blob: string },
    size: number,
    etag: string,
    contentType?: string,
    metadata?: Record<string, string>,
  ): ObjectMeta {
    const bucket = this.bucket(bucketName);
    const meta: ObjectMeta = { key, etag, size, lastModified: this.now() };
    if (contentType) meta.contentType = contentType;
    if (metadata && Object.keys(metadata).length > 0) meta.metadata = metadata;
    const previous = bucket.objects.get(key);
    if ("blob" in stored) meta.blob = stored.blob;
    bucket.objects.set(key, "parts" in stored ? { meta, body: stored.parts } : { meta });
    this.changed();
    if (previous?.meta.blob) this.disk?.deleteBlob(previous.meta.blob);
    return meta;
  }

  createUpload(
    bucket: string,
    key: string,
    contentType?: string,
    metadata?: Record<string, string>,
  ): string {
    this.bucket(bucket);
    const uploadId = randomBytes(16).toString("base64url");
    this.uploads.set(uploadId, { bucket, key, contentType, metadata, parts: new Map() });
    return uploadId;
  }

  private upload(bucket: string, key: string, uploadId: string): Upload {
    this.bucket(bucket);
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key)
      throw new ServiceError(
        "NoSuchUpload",
        `The specified upload does not exist: ${uploadId} for ${bucket}/${key}. The upload ID may be invalid, or the upload may have been aborted or completed.`,
        404,
      );
    return upload;
  }

  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
  ): string {
    const upload = this.upload(bucket, key, uploadId);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000)
      throw new ServiceError(
        "InvalidArgument",
        `Part number must be an integer between 1 and 10000, got ${partNumber}.`,
        400,
      );
    const etag = `"${md5(body).toString("hex")}"`;
    const previous = upload.parts.get(partNumber);
    upload.parts.set(
      partNumber,
      this.disk
        ? { etag, size: body.length, blob: this.disk.writeBlob(body) }
        : { etag, size: body.length, body },
    );
    if (previous?.blob) this.disk?.deleteBlob(previous.blob);
    return etag;
  }

  /** Drops an upload and the part blobs it wrote. */
  private dropUpload(uploadId: string): void {
    const upload = this.uploads.get(uploadId);
    this.uploads.delete(uploadId);
    if (upload)
      for (const part of upload.parts.values()) if (part.blob) this.disk?.deleteBlob(part.blob);
  }

  /** Joins the listed parts; the ETag is S3's `md5(concat(part md5s))-N`. */
  completeUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): ObjectMeta {
    const upload = this.upload(bucket, key, uploadId);
    if (parts.length === 0)
      throw new ServiceError("MalformedXML", "CompleteMultipartUpload lists no parts.", 400);
    checkKey(key);
    const listed: { etag: string; size: number; body?: Buffer; blob?: string }[] = [];
    const digests: Buffer[] = [];
    let previous = 0;
    for (const { partNumber, etag } of parts) {
      if (partNumber <= previous)
        throw new ServiceError(
          "InvalidPartOrder",
          `The list of parts was not in ascending order: part ${partNumber} after ${previous}.`,
          400,
        );
      previous = partNumber;
      const part = upload.parts.get(partNumber);
      if (!part || part.etag.replace(/"/g, "") !== etag.replace(/"/g, ""))
        throw new ServiceError(
          "InvalidPart",
          `Part ${partNumber} with ETag ${etag} was not uploaded to ${uploadId}.`,
          400,
        );
      listed.push(part);
      digests.push(Buffer.from(part.etag.replace(/"/g, ""), "hex"));
    }
    const etag = `"${md5(Buffer.concat(digests)).toString("hex")}-${parts.length}"`;
    const size = listed.reduce((n, part) => n + part.size, 0);
    const stored = this.disk
      ? { blob: this.disk.joinBlobs(listed.map((part) => part.blob!)) }
      : { parts: listed.map((part) => part.body!) };
    const meta = this.setObject(
      bucket,
      key,
      stored,
      size,
      etag,
      upload.contentType,
      upload.metadata,
    );
    this.dropUpload(uploadId);
    return meta;
  }

  abortUpload(bucket: string, key: string, uploadId: string): void {
    this.upload(bucket, key, uploadId);
    this.dropUpload(uploadId);
  }

  private object(bucketName: string, key: string): StoredObject {
    const object = this.bucket(bucketName).objects.get(key);
    if (!object)
      throw new ServiceError("NoSuchKey", `The specified key does not exist: ${key}`, 404);
    return object;
  }

  /** In memory, or read from the data dir when the emulator persists. */
  private bodyOf(object: StoredObject): Buffer {
    if (!object.body) return this.disk!.readBlob(object.meta.blob!);
    return object.body.length === 1 ? object.body[0] : Buffer.concat(object.body);
  }

  headObject(bucketName: string, key: string): ObjectMeta {
    return this.object(bucketName, key).meta;
  }

  readObject(bucketName: string, key: string): { meta: ObjectMeta; body: Buffer } {
    const object = this.object(bucketName, key);
    return { meta: object.meta, body: this.bodyOf(object) };
  }

  deleteObject(bucketName: string, key: string): void {
    const bucket = this.bucket(bucketName);
    const object = bucket.objects.get(key);
    if (!object) return;
    bucket.objects.delete(key);
    this.changed();
    if (object.meta.blob) this.disk?.deleteBlob(object.meta.blob);
  }

  list(bucketName: string, opts: ListOptions): ListResult {
    const bucket = this.bucket(bucketName);
    const keys = this.listKeys(bucketName, opts.prefix);
    const contents: ObjectMeta[] = [];
    const commonPrefixes: string[] = [];
    let last: string | undefined;
    let truncated = false;
    for (const key of keys) {
      if (opts.after !== undefined && key <= opts.after) continue;
      let entry = key;
      let isPrefix = false;
      if (opts.delimiter) {
        const at = key.indexOf(opts.delimiter, opts.prefix.length);
        if (at >= 0) {
          entry = key.slice(0, at + opts.delimiter.length);
          isPrefix = true;
          if (entry === last) continue;
          if (opts.after !== undefined && entry <= opts.after) continue;
        }
      }
      if (contents.length + commonPrefixes.length >= opts.maxKeys) {
        truncated = true;
        break;
      }
      if (isPrefix) commonPrefixes.push(entry);
      else contents.push(bucket.objects.get(key)!.meta);
      last = entry;
    }
    return { contents, commonPrefixes, truncated, last };
  }

  // ObjectStore (read access for the data plane)

  hasBucket(bucket: string): boolean {
    return this.buckets.has(bucket);
  }

  getObject(bucket: string, key: string): Buffer | undefined {
    const object = this.buckets.get(bucket)?.objects.get(key);
    return object && this.bodyOf(object);
  }

  openObject(bucket: string, key: string): ObjectBody | undefined {
    const object = this.buckets.get(bucket)?.objects.get(key);
    if (!object) return undefined;
    const size = object.meta.size;
    return object.body
      ? { size, chunks: object.body }
      : { size, path: this.disk!.blobPath(object.meta.blob!) };
  }

  listKeys(bucket: string, prefix: string): string[] {
    const b = this.buckets.get(bucket);
    return b ? [...b.objects.keys()].filter((k) => k.startsWith(prefix)).sort() : [];
  }
}
