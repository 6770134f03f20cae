import type { dynamic } from "@pulumi/pulumi";
import { existsSync } from "fs";
import { readFile } from "fs/promises";
import { errorCode, errorMessage, isNotFound, s3Api, Target } from "./client";
import { defaultRegion } from "./lifecycle";
import { dynamicResourceClass } from "./resource";
import type { Change, Lifted, Props } from "./spec";
import {
  canonical,
  checkBucketName,
  checkEndpoint,
  checkRegion,
  checkString,
  Failure,
  isUnknown,
  plainObject,
  show,
  UNKNOWN,
} from "./validate";

/**
 * The local target's data store: a bucket and an object on the emulator's S3, so the same
 * pipeline runs offline. (On AWS the stack uses @pulumi/aws instead.)
 */

/** Where both local resources are. */
type LocalTarget = {
  /** The emulator's URL. */
  readonly endpoint: string;
  /** @default AWS_REGION, then AWS_DEFAULT_REGION, then "us-east-1" */
  readonly region?: string;
};

/** The inputs after check: the region filled in, the provider code alongside. */
type CheckedLocal<I> = I & { readonly region: string; readonly __provider?: string };

/** The stored outputs: the checked inputs and what the resource adds. */
type StoredLocal<I, Added extends string> = Omit<CheckedLocal<I>, "__provider"> &
  Record<Added, string>;

/**
 * The check of both local resources: known properties only, region defaulted, bucket and
 * endpoint valid, then what `validate` adds for the kind.
 */
function checkLocal<I>(
  kind: string,
  fields: { readonly [K in keyof I]-?: Change },
  news: Props,
  validate?: (inputs: Props, failures: Failure[]) => void,
): dynamic.CheckResult<CheckedLocal<I>> {
  const keys = Object.keys(fields);
  const failures: Failure[] = [];
  const inputs: Props = {};
  for (const [key, value] of Object.entries(news)) {
    if (key.startsWith("__") || value === undefined || value === null) continue;
    if (!keys.includes(key)) {
      failures.push({
        property: key,
        reason: `${key} is not a property of ${kind}; known properties: ${keys.join(", ")}`,
      });
    } else inputs[key] = value;
  }
  if (inputs.region === undefined) inputs.region = defaultRegion();
  if (news.__provider !== undefined) inputs.__provider = news.__provider;
  checkBucketName(failures, "bucket", inputs.bucket);
  if (inputs.endpoint === undefined)
    failures.push({ property: "endpoint", reason: "endpoint is required" });
  checkEndpoint(failures, "endpoint", inputs.endpoint);
  checkRegion(failures, "region", inputs.region);
  validate?.(inputs, failures);
  // Every field validated above (or named in `failures`, and then the engine goes no further).
  return { inputs: plainObject(inputs) as CheckedLocal<I>, failures };
}

/** Field -> how a change applies; same vocabulary as the Personalize tables. */
function diffFields(
  fields: Record<string, Change>,
  olds: Props,
  news: Props,
  identity: string[],
): dynamic.DiffResult {
  const changed = Object.keys(fields).filter(
    (f) => isUnknown(news[f]) || canonical(olds[f]) !== canonical(news[f]),
  );
  const replaces = changed.filter((f) => fields[f] === "replace");
  return {
    changes: changed.length > 0,
    replaces,
    // Bucket names (and keys within them) are the identity: keep it and the old one must go first.
    deleteBeforeReplace: replaces.length > 0 && identity.every((f) => !replaces.includes(f)),
  };
}

/** The stored outputs: the inputs (diff compares against them) without `__provider`, and what S3 adds. */
function outputsOf(inputs: object, added: Props): Props {
  const outs: Props = {};
  for (const [k, v] of Object.entries(inputs)) if (!k.startsWith("__")) outs[k] = v;
  return plainObject({ ...outs, ...added });
}

/** Where stored outputs (written by any version of this code) say the resource is. */
const targetOf = (props: Props): Target => ({
  region: typeof props.region === "string" ? props.region : defaultRegion(),
  endpoint: typeof props.endpoint === "string" ? props.endpoint : undefined,
});

/** A string of stored outputs by name; empty when missing (S3 then answers NotFound). */
const stringOf = (props: Props, key: string) => {
  const value = props[key];
  return typeof value === "string" ? value : "";
};

/**
 * The class of a local resource, `s3:<type>`: its inputs as arguments, an Output for every
 * input and every output it adds. Curried so that `I` is given and `Added` inferred.
 */
const localResourceClass =
  <I>() =>
  <Added extends string>(
    provider: dynamic.ResourceProvider,
    type: string,
    fields: { readonly [K in keyof I]-?: Change },
    added: readonly Added[],
  ) =>
    dynamicResourceClass<Lifted<I>, StoredLocal<I, Added>>(provider, "s3", type, [
      ...Object.keys(fields),
      ...added,
    ]);

export type LocalBucketInputs = LocalTarget & {
  /** The bucket's name. */
  readonly bucket: string;
};

export const LOCAL_BUCKET_FIELDS = {
  bucket: "replace",
  region: "replace",
  endpoint: "update",
} as const satisfies { readonly [K in keyof LocalBucketInputs]-?: Change };

/** The arguments of a LocalBucket, as a program gives them. */
export type LocalBucketArgs = Lifted<LocalBucketInputs>;

/** What a LocalBucket adds to its inputs. */
export const LOCAL_BUCKET_OUTPUTS = ["arn"] as const;

const bucketArn = (bucket: string) => ({ arn: `arn:aws:s3:::${bucket}` });

export class LocalBucketProvider implements dynamic.ResourceProvider<
  CheckedLocal<LocalBucketInputs>,
  Props
> {
  /** Called on every preview and up. */
  async check(_olds: Props, news: Props) {
    return checkLocal<LocalBucketInputs>("LocalBucket", LOCAL_BUCKET_FIELDS, news);
  }

  /** Called with the stored outputs. */
  async diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
    return diffFields(LOCAL_BUCKET_FIELDS, olds, news, ["bucket"]);
  }

  async create(inputs: CheckedLocal<LocalBucketInputs>): Promise<dynamic.CreateResult<Props>> {
    const client = s3Api(inputs);
    try {
      await client.createBucket({ Bucket: inputs.bucket });
    } catch (err) {
      // Ours already (a previous run that was interrupted): adopt it.
      if (errorCode(err) !== "BucketAlreadyOwnedByYou") throw err;
    }
    return { id: inputs.bucket, outs: outputsOf(inputs, bucketArn(inputs.bucket)) };
  }

  async read(id: string, props?: Props): Promise<dynamic.ReadResult<Props>> {
    const stored = { ...(props ?? {}) };
    try {
      await s3Api(targetOf(stored)).headBucket({ Bucket: id });
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    const inputs = plainObject({ bucket: id, region: stored.region, endpoint: stored.endpoint });
    return { id, props: outputsOf(inputs, bucketArn(id)), inputs };
  }

  async update(
    _id: string,
    _olds: Props,
    news: CheckedLocal<LocalBucketInputs>,
  ): Promise<dynamic.UpdateResult<Props>> {
    return { outs: outputsOf(news, bucketArn(news.bucket)) };
  }

  /** Fails clearly on a non-empty bucket instead of deleting data it may not own. */
  async delete(id: string, props: Props): Promise<void> {
    try {
      await s3Api(targetOf(props)).deleteBucket({ Bucket: id });
    } catch (err) {
      if (isNotFound(err)) return;
      if (errorCode(err) === "BucketNotEmpty") {
        throw new Error(
          `LocalBucket ${show(id)} is not empty; delete its objects first (${errorMessage(err)})`,
          { cause: err },
        );
      }
      throw err;
    }
  }
}

export const localBucketProvider = new LocalBucketProvider();

/** A bucket on the emulator's S3. */
export class LocalBucket extends localResourceClass<LocalBucketInputs>()(
  localBucketProvider,
  "LocalBucket",
  LOCAL_BUCKET_FIELDS,
  LOCAL_BUCKET_OUTPUTS,
) {}

export type LocalObjectInputs = LocalTarget & {
  /** The bucket the object goes into. */
  readonly bucket: string;
  /** The object's key. */
  readonly key: string;
  /** Path of a local file, read when the object is created or updated. */
  readonly source: string;
  /** Hash of the file's content: a change uploads it again. */
  readonly contentHash: string;
  /** @default "text/csv" */
  readonly contentType?: string;
};

export const LOCAL_OBJECT_FIELDS = {
  bucket: "replace",
  key: "replace",
  region: "replace",
  source: "update",
  contentHash: "update",
  contentType: "update",
  endpoint: "update",
} as const satisfies { readonly [K in keyof LocalObjectInputs]-?: Change };

/** The arguments of a LocalObject, as a program gives them. */
export type LocalObjectArgs = Lifted<LocalObjectInputs>;

/** What a LocalObject adds to its inputs. */
export const LOCAL_OBJECT_OUTPUTS = ["etag", "s3Uri"] as const;

export class LocalObjectProvider implements dynamic.ResourceProvider<
  CheckedLocal<LocalObjectInputs>,
  Props
> {
  /** Called on every preview and up. */
  async check(_olds: Props, news: Props) {
    return checkLocal<LocalObjectInputs>(
      "LocalObject",
      LOCAL_OBJECT_FIELDS,
      news,
      (inputs, failures) => {
        checkString(failures, "key", inputs.key, { required: true, min: 1, max: 1024 });
        checkString(failures, "source", inputs.source, { required: true, min: 1 });
        // Caught in preview rather than half-way through `up`.
        if (
          typeof inputs.source === "string" &&
          inputs.source !== UNKNOWN &&
          !existsSync(inputs.source)
        ) {
          failures.push({
            property: "source",
            reason: `source ${show(inputs.source)} does not exist (relative paths are from ${process.cwd()})`,
          });
        }
        checkString(failures, "contentHash", inputs.contentHash, { required: true, min: 1 });
        checkString(failures, "contentType", inputs.contentType, { min: 1 });
      },
    );
  }

  /** Called with the stored outputs. */
  async diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
    return diffFields(LOCAL_OBJECT_FIELDS, olds, news, ["bucket", "key"]);
  }

  async create(inputs: CheckedLocal<LocalObjectInputs>): Promise<dynamic.CreateResult<Props>> {
    return { id: `${inputs.bucket}/${inputs.key}`, outs: await this.put(inputs) };
  }

  async read(id: string, props?: Props): Promise<dynamic.ReadResult<Props>> {
    const stored = { ...(props ?? {}) };
    let etag: string | undefined;
    try {
      const head = await s3Api(targetOf(stored)).headObject({
        Bucket: stringOf(stored, "bucket"),
        Key: stringOf(stored, "key"),
      });
      etag = head.ETag;
    } catch (err) {
      if (isNotFound(err) || errorCode(err) === "NoSuchKey") return {};
      throw err;
    }
    const inputs: Props = {};
    for (const key of Object.keys(LOCAL_OBJECT_FIELDS))
      if (stored[key] !== undefined) inputs[key] = stored[key];
    return { id, props: plainObject({ ...stored, etag }), inputs };
  }

  async update(
    _id: string,
    _olds: Props,
    news: CheckedLocal<LocalObjectInputs>,
  ): Promise<dynamic.UpdateResult<Props>> {
    return { outs: await this.put(news) };
  }

  async delete(_id: string, props: Props): Promise<void> {
    try {
      await s3Api(targetOf(props)).deleteObject({
        Bucket: stringOf(props, "bucket"),
        Key: stringOf(props, "key"),
      });
    } catch (err) {
      if (!isNotFound(err) && errorCode(err) !== "NoSuchKey") throw err;
    }
  }

  /** Reads the file at create/update time (the program only passes its path and hash). */
  async put(inputs: CheckedLocal<LocalObjectInputs>): Promise<Props> {
    let body: Buffer;
    try {
      body = await readFile(inputs.source);
    } catch (err) {
      throw new Error(
        `LocalObject source ${show(inputs.source)} cannot be read: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    const out = await s3Api(inputs).putObject({
      Bucket: inputs.bucket,
      Key: inputs.key,
      Body: body,
      ContentType: inputs.contentType ?? "text/csv",
    });
    return outputsOf(inputs, { etag: out.ETag, s3Uri: `s3://${inputs.bucket}/${inputs.key}` });
  }
}

export const localObjectProvider = new LocalObjectProvider();

/** An object on the emulator's S3, uploaded from a local file. */
export class LocalObject extends localResourceClass<LocalObjectInputs>()(
  localObjectProvider,
  "LocalObject",
  LOCAL_OBJECT_FIELDS,
  LOCAL_OBJECT_OUTPUTS,
) {}
