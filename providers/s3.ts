import * as pulumi from "@pulumi/pulumi";
import { existsSync } from "fs";
import { readFile } from "fs/promises";
import { errorCode, errorMessage, isNotFound, s3Api } from "./client";
import { defaultRegion, Props, withOutputKeys } from "./lifecycle";
import {
  canonical,
  checkEndpoint,
  checkRegion,
  checkString,
  Failure,
  isUnknown,
  plain,
  show,
  UNKNOWN,
} from "./validate";

/**
 * The local target's data store: a bucket and an object on the emulator's S3, so the same
 * pipeline runs offline. (On AWS the stack uses @pulumi/aws instead.)
 */

const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The check of both local resources: known properties only, region defaulted, bucket and
 * endpoint valid, then what `validate` adds for the kind.
 */
function checkLocal(
  kind: string,
  fields: object,
  news: Props,
  validate?: (inputs: Props, failures: Failure[]) => void,
): pulumi.dynamic.CheckResult {
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
  checkString(failures, "bucket", inputs.bucket, {
    required: true,
    pattern: BUCKET_PATTERN,
    hint: "is not a valid bucket name (3-63 lower-case letters, digits, '.' and '-')",
  });
  if (inputs.endpoint === undefined)
    failures.push({ property: "endpoint", reason: "endpoint is required" });
  checkEndpoint(failures, "endpoint", inputs.endpoint);
  checkRegion(failures, "region", inputs.region);
  validate?.(inputs, failures);
  return { inputs: plain(inputs) as Props, failures };
}

/** Field -> how a change applies; same vocabulary as the Personalize tables. */
function diffFields(
  fields: Record<string, "replace" | "update">,
  olds: Props,
  news: Props,
  identity: string[],
) {
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
function outputsOf(inputs: Props, added: Props): Props {
  const outs: Props = {};
  for (const [k, v] of Object.entries(inputs)) if (!k.startsWith("__")) outs[k] = v;
  return plain({ ...outs, ...added }) as Props;
}

const bucketArn = (inputs: Props) => ({ arn: `arn:aws:s3:::${inputs.bucket}` });

const target = (props: Props) => ({
  region: String(props.region ?? defaultRegion()),
  endpoint: props.endpoint as string,
});

export const LOCAL_BUCKET_FIELDS = {
  bucket: "replace",
  region: "replace",
  endpoint: "update",
} as const;

export class LocalBucketProvider implements pulumi.dynamic.ResourceProvider {
  /** Called on every preview and up. */
  async check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    return checkLocal("LocalBucket", LOCAL_BUCKET_FIELDS, news);
  }

  /** Called with the stored outputs. */
  async diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    return diffFields({ ...LOCAL_BUCKET_FIELDS }, olds, news, ["bucket"]);
  }

  async create(inputs: Props): Promise<pulumi.dynamic.CreateResult> {
    const client = s3Api(target(inputs));
    try {
      await client.createBucket({ Bucket: inputs.bucket as string });
    } catch (err) {
      // Ours already (a previous run that was interrupted): adopt it.
      if (errorCode(err) !== "BucketAlreadyOwnedByYou") throw err;
    }
    return { id: inputs.bucket as string, outs: outputsOf(inputs, bucketArn(inputs)) };
  }

  async read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult> {
    const stored = { ...(props ?? {}) };
    try {
      await s3Api(target(stored)).headBucket({ Bucket: id });
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    const inputs = plain({ bucket: id, region: stored.region, endpoint: stored.endpoint }) as Props;
    return { id, props: outputsOf(inputs, bucketArn(inputs)), inputs };
  }

  async update(_id: string, _olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: outputsOf(news, bucketArn(news)) };
  }

  /** Fails clearly on a non-empty bucket instead of deleting data it may not own. */
  async delete(id: string, props: Props): Promise<void> {
    try {
      await s3Api(target(props)).deleteBucket({ Bucket: id });
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

/** The base of the local S3 resources: type token `s3:<type>`, every output key in the props. */
class LocalS3Resource extends pulumi.dynamic.Resource {
  declare readonly bucket: pulumi.Output<string>;
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly region: pulumi.Output<string>;

  constructor(
    provider: pulumi.dynamic.ResourceProvider,
    type: string,
    name: string,
    args: object,
    outputs: readonly string[],
    opts?: pulumi.CustomResourceOptions,
  ) {
    const keys = ["bucket", "endpoint", "region", ...outputs];
    super(provider, name, withOutputKeys(args, keys), opts, "s3", type);
  }
}

export interface LocalBucketArgs {
  bucket: pulumi.Input<string>;
  /** The emulator's URL. */
  endpoint: pulumi.Input<string>;
  region?: pulumi.Input<string>;
}

/** A bucket on the emulator's S3. */
export class LocalBucket extends LocalS3Resource {
  declare readonly arn: pulumi.Output<string>;

  constructor(name: string, args: LocalBucketArgs, opts?: pulumi.CustomResourceOptions) {
    super(localBucketProvider, "LocalBucket", name, args, ["arn"], opts);
  }
}

export const LOCAL_OBJECT_FIELDS = {
  bucket: "replace",
  key: "replace",
  region: "replace",
  source: "update",
  contentHash: "update",
  contentType: "update",
  endpoint: "update",
} as const;

export class LocalObjectProvider implements pulumi.dynamic.ResourceProvider {
  /** Called on every preview and up. */
  async check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    return checkLocal("LocalObject", LOCAL_OBJECT_FIELDS, news, (inputs, failures) => {
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
    });
  }

  /** Called with the stored outputs. */
  async diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    return diffFields({ ...LOCAL_OBJECT_FIELDS }, olds, news, ["bucket", "key"]);
  }

  async create(inputs: Props): Promise<pulumi.dynamic.CreateResult> {
    return { id: `${inputs.bucket}/${inputs.key}`, outs: await this.put(inputs) };
  }

  async read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult> {
    const stored = { ...(props ?? {}) };
    let etag: string | undefined;
    try {
      const head = await s3Api(target(stored)).headObject({
        Bucket: stored.bucket as string,
        Key: stored.key as string,
      });
      etag = head.ETag;
    } catch (err) {
      if (isNotFound(err) || errorCode(err) === "NoSuchKey") return {};
      throw err;
    }
    const inputs: Props = {};
    for (const key of Object.keys(LOCAL_OBJECT_FIELDS))
      if (stored[key] !== undefined) inputs[key] = stored[key];
    return { id, props: plain({ ...stored, etag }) as Props, inputs };
  }

  async update(_id: string, _olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: await this.put(news) };
  }

  async delete(_id: string, props: Props): Promise<void> {
    try {
      await s3Api(target(props)).deleteObject({
        Bucket: props.bucket as string,
        Key: props.key as string,
      });
    } catch (err) {
      if (!isNotFound(err) && errorCode(err) !== "NoSuchKey") throw err;
    }
  }

  /** Reads the file at create/update time (the program only passes its path and hash). */
  async put(inputs: Props): Promise<Props> {
    let body: Buffer;
    try {
      body = await readFile(inputs.source as string);
    } catch (err) {
      throw new Error(
        `LocalObject source ${show(inputs.source)} cannot be read: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    const out = await s3Api(target(inputs)).putObject({
      Bucket: inputs.bucket as string,
      Key: inputs.key as string,
      Body: body,
      ContentType: (inputs.contentType as string | undefined) ?? "text/csv",
    });
    return outputsOf(inputs, { etag: out.ETag, s3Uri: `s3://${inputs.bucket}/${inputs.key}` });
  }
}

export const localObjectProvider = new LocalObjectProvider();

export interface LocalObjectArgs {
  bucket: pulumi.Input<string>;
  key: pulumi.Input<string>;
  /** Path of a local file, read when the object is created or updated. */
  source: pulumi.Input<string>;
  /** Hash of the file's content: a change uploads it again. */
  contentHash: pulumi.Input<string>;
  endpoint: pulumi.Input<string>;
  region?: pulumi.Input<string>;
  /** Default text/csv. */
  contentType?: pulumi.Input<string>;
}

/** An object on the emulator's S3, uploaded from a local file. */
export class LocalObject extends LocalS3Resource {
  declare readonly key: pulumi.Output<string>;
  declare readonly etag: pulumi.Output<string>;
  declare readonly s3Uri: pulumi.Output<string>;

  constructor(name: string, args: LocalObjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(localObjectProvider, "LocalObject", name, args, ["key", "etag", "s3Uri"], opts);
  }
}
