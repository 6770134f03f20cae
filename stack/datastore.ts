import * as path from "path";
import * as iam from "@pulumi/aws/iam";
import * as s3 from "@pulumi/aws/s3";
import * as pulumi from "@pulumi/pulumi";
import { LocalBucket, LocalObject } from "../providers/s3";
import { show } from "../rules/show";
import { DATA_PREFIX, LOCAL_ROLE_ARN, StackConfig } from "./config";
import {
  buildBucketPolicy,
  buildDataReadPolicy,
  buildPersonalizeTrustPolicy,
  PersonalizeSource,
} from "./policies";

export interface DataStoreArgs {
  readonly config: StackConfig;
  /** Absolute path of the interactions CSV. */
  readonly dataPath: string;
  /** sha256 of the CSV, hex: a changed file uploads a new object (and imports it anew). */
  readonly dataHash: string;
  /** Personalize of the stack's account and region: the bucket policy and the role's trust name it. */
  readonly scope: pulumi.Input<PersonalizeSource>;
}

/** What both targets place: the args plus the object's key under `transformed/`. */
interface Placement extends DataStoreArgs {
  readonly key: string;
}

/**
 * Where the interactions CSV lives and who may read it: on AWS an S3 bucket, its object under
 * `transformed/`, and an IAM role for Personalize; on the emulator a bucket and object over its
 * S3 API and a placeholder role.
 */
export class DataStore extends pulumi.ComponentResource {
  declare readonly bucketName: pulumi.Output<string>;
  /** `s3://bucket/transformed/<file>`, the import job's data location. */
  declare readonly dataLocation: pulumi.Output<string>;
  declare readonly roleArn: pulumi.Output<string>;
  /**
   * What must exist before an import job may read the data: the bucket and role policies
   * reach the import job through no input, so the pipeline depends on them explicitly.
   */
  declare readonly readers: pulumi.Resource[];

  constructor(name: string, args: DataStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("personalize:workshop:DataStore", name, {}, opts);
    const where: Placement = { ...args, key: `${DATA_PREFIX}${path.basename(args.dataPath)}` };
    const built =
      args.config.target === "aws" ? this.onAws(name, where) : this.onEmulator(name, where);
    this.bucketName = built.bucketName;
    this.dataLocation = built.dataLocation;
    this.roleArn = built.roleArn;
    this.readers = built.readers;
    this.registerOutputs({
      bucketName: built.bucketName,
      dataLocation: built.dataLocation,
      roleArn: built.roleArn,
    });
  }

  private onAws(name: string, { config, dataPath, dataHash, key, scope }: Placement) {
    const opts = { parent: this };
    const tags = config.tags;
    // `<prefix>-data-<random>` unless named: S3 names are global across every account. The
    // prefix is ignored after creation, so a new namePrefix (or a stack created when the
    // bucket was autonamed from its logical name) keeps the bucket and its data.
    const bucket = new s3.Bucket(
      `${name}-data`,
      {
        ...(config.names.bucket === undefined
          ? { bucketPrefix: `${config.namePrefix}-data-` }
          : { bucket: config.names.bucket }),
        // Only the data of one stack lives here; `pulumi destroy` should not stall on it.
        forceDestroy: true,
        tags,
      },
      { parent: this, ignoreChanges: ["bucketPrefix"] },
    );
    const publicAccess = new s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      opts,
    );
    const encryption = new s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        // SSE-S3 rather than a KMS key: the import role would otherwise also need kms:Decrypt.
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      },
      opts,
    );
    // Personalize of this account, in the stack's region: the confused-deputy conditions.
    const source = pulumi.output(scope);
    const bucketPolicy = new s3.BucketPolicy(
      `${name}-bucket-policy`,
      {
        bucket: bucket.id,
        policy: pulumi
          .all([bucket.arn, source])
          .apply(([bucketArn, from]) =>
            JSON.stringify(buildBucketPolicy({ ...from, bucketArn, prefix: DATA_PREFIX })),
          ),
      },
      // S3 rejects concurrent configuration changes of one bucket ("OperationAborted").
      { parent: this, dependsOn: [publicAccess] },
    );
    const object = new s3.BucketObjectv2(
      `${name}-interactions`,
      {
        bucket: bucket.id,
        key,
        source: new pulumi.asset.FileAsset(dataPath),
        contentType: "text/csv",
        // The same sha256 the import job gets as dataHash, so one preview shows both changing.
        sourceHash: dataHash,
        tags,
      },
      { parent: this, dependsOn: [encryption] },
    );
    const role = new iam.Role(
      `${name}-personalize-role`,
      {
        description: `Lets Amazon Personalize read ${DATA_PREFIX} in the ${config.stack} stack's bucket`,
        assumeRolePolicy: source.apply((from) => JSON.stringify(buildPersonalizeTrustPolicy(from))),
        tags,
      },
      opts,
    );
    const rolePolicy = new iam.RolePolicy(
      `${name}-personalize-read`,
      {
        role: role.id,
        policy: bucket.arn.apply((bucketArn) =>
          JSON.stringify(buildDataReadPolicy({ bucketArn, prefix: DATA_PREFIX })),
        ),
      },
      opts,
    );
    return {
      bucketName: bucket.bucket,
      dataLocation: pulumi.interpolate`s3://${bucket.bucket}/${object.key}`,
      roleArn: role.arn,
      readers: [bucketPolicy, rolePolicy],
    };
  }

  private onEmulator(name: string, { config, dataPath, dataHash, key }: Placement) {
    const opts = { parent: this };
    const endpoint = config.endpoint;
    if (endpoint === undefined || config.names.bucket === undefined) {
      // parseStackConfig fills both on target "local"; a hand-built config may not.
      throw new Error(
        `target "local" needs endpoint and names.bucket, got ${show({ endpoint, bucket: config.names.bucket })}`,
      );
    }
    const bucket = new LocalBucket(
      `${name}-data`,
      { bucket: config.names.bucket, endpoint, region: config.region },
      opts,
    );
    const object = new LocalObject(
      `${name}-interactions`,
      {
        bucket: bucket.bucket,
        key,
        source: dataPath,
        contentHash: dataHash,
        contentType: "text/csv",
        endpoint,
        region: config.region,
      },
      opts,
    );
    return {
      bucketName: bucket.bucket,
      dataLocation: object.s3Uri,
      roleArn: pulumi.output(LOCAL_ROLE_ARN),
      readers: [] as pulumi.Resource[],
    };
  }
}
