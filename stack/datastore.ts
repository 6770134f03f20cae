import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalBucket, LocalObject } from "../providers/s3";
import { show } from "../rules/show";
import { DATA_PREFIX, LOCAL_ROLE_ARN, StackConfig, Target } from "./config";
import type { PersonalizeSource } from "./policies";

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
export interface Placement extends DataStoreArgs {
  readonly key: string;
}

/** What a target's placement gives the component. */
export interface Placed {
  readonly bucketName: pulumi.Output<string>;
  readonly dataLocation: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  readonly readers: pulumi.Resource[];
}

/** The module of the placement on target aws. */
const AWS_PLACEMENT = "./awsDataStore";
/** The placement on target aws, in `stack/awsDataStore.ts`. */
export type PlaceOnAws = (parent: pulumi.Resource, name: string, where: Placement) => Placed;

/**
 * `stack/awsDataStore.ts`, required on target aws only. Every `@pulumi/aws` resource declaration
 * imports the package's `types/input.d.ts` and `types/output.d.ts` (11 MB), the largest part of
 * what the program's type-check parses (stack/typecheck.ts); a `require` is no import to the
 * compiler, so a local stack's program neither loads nor checks them. `npm test`'s `tsc`
 * checks the module, and that it implements `PlaceOnAws`.
 */
function placeOnAws(): PlaceOnAws {
  return (require(AWS_PLACEMENT) as { placeOnAws: PlaceOnAws }).placeOnAws;
}

/**
 * The modules the program requires on `target` besides those it imports: what the program's
 * own type-check adds to its tsconfig's `files` (stack/typecheck.ts).
 */
export function modulesRequiredOn(target: Target): string[] {
  return target === "aws" ? [require.resolve(AWS_PLACEMENT)] : [];
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
      args.config.target === "aws" ? placeOnAws()(this, name, where) : this.onEmulator(name, where);
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

  private onEmulator(name: string, { config, dataPath, dataHash, key }: Placement): Placed {
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
