/**
 * The seam between the emulator's control plane (resources, statuses, rules) and its data
 * plane (imported data, training, metrics, runtime answers, streamed events).
 *
 * The control plane calls `importData` when an import job enters CREATE IN_PROGRESS and
 * `train` when a solution version does; the job or version becomes ACTIVE (or CREATE FAILED
 * with the outcome's `failureReason`) once the promise settles and its configured lifecycle
 * duration has passed. The runtime and events paths (`/recommendations`,
 * `/personalize-ranking`, `/events`, ...) are handed to `handle`.
 */
import type { DatasetType } from "../schemas/avro";

/** Read access to the emulator's S3 store. */
export interface ObjectStore {
  hasBucket(bucket: string): boolean;
  /** The object's bytes in one buffer (for small objects), or undefined when bucket or key does not exist. */
  getObject(bucket: string, key: string): Buffer | undefined;
  /** Where the object's bytes are, to read them in pieces; undefined when bucket or key does not exist. */
  openObject(bucket: string, key: string): ObjectBody | undefined;
  /** Keys under `prefix`, sorted. */
  listKeys(bucket: string, prefix: string): string[];
}

/**
 * An object's bytes for reading in pieces, as plain data (it may go to a worker thread): the
 * buffers the store holds in memory (a multipart upload's parts stay apart), or the file that
 * holds them in the data dir.
 */
export type ObjectBody = { size: number; chunks: Uint8Array[] } | { size: number; path: string };

export interface ImportJobSpec {
  jobArn: string;
  datasetArn: string;
  datasetGroupArn: string;
  datasetType: DatasetType;
  /** The dataset's Avro schema, as given to CreateSchema. */
  schemaJson: string;
  /** `s3://bucket/key.csv`, or `s3://bucket/prefix/` for every object directly under a folder. */
  dataLocation: string;
  importMode: "FULL" | "INCREMENTAL";
}

export interface TrainingSpec {
  solutionVersionArn: string;
  solutionArn: string;
  datasetGroupArn: string;
  recipeArn: string;
  eventType?: string;
  /** From `solutionConfig.eventValueThreshold` (a string on the wire). */
  eventValueThreshold?: string;
  algorithmHyperParameters?: Record<string, string>;
  trainingMode: "FULL" | "UPDATE";
  /** For trainingMode UPDATE: the solution's latest ACTIVE FULL version. */
  baseSolutionVersionArn?: string;
}

export interface Outcome {
  /** Set when the work failed; passed through verbatim as the resource's failureReason. */
  failureReason?: string;
}

export interface TrainingOutcome extends Outcome {
  trainingHours?: number;
}

/** What the data plane may read from the control plane. Undefined means "no such resource". */
export interface ControlPlaneView {
  campaign(
    arn: string,
  ):
    | { status: string; solutionVersionArn: string; campaignConfig?: Record<string, unknown> }
    | undefined;
  solutionVersion(
    arn: string,
  ):
    { status: string; solutionArn: string; datasetGroupArn: string; recipeArn: string } | undefined;
  filter(
    arn: string,
  ): { status: string; datasetGroupArn: string; filterExpression: string } | undefined;
  eventTrackerByTrackingId(
    trackingId: string,
  ): { status: string; datasetGroupArn: string } | undefined;
  /** The dataset of a type in a dataset group, with its schema text. */
  dataset(
    datasetGroupArn: string,
    datasetType: DatasetType,
  ): { datasetArn: string; status: string; schemaJson: string } | undefined;
}

/** A data-plane HTTP answer. Errors are thrown as `ServiceError` (from ./errors) instead. */
export interface DataPlaneResponse {
  status: number;
  /** JSON body; undefined for an empty body. */
  body?: unknown;
}

export interface DataPlane {
  importData(spec: ImportJobSpec): Promise<Outcome>;
  train(spec: TrainingSpec): Promise<TrainingOutcome>;
  /** GetSolutionMetrics; undefined when the version has no metrics. */
  metrics(solutionVersionArn: string): Record<string, number> | undefined;
  /** Forget data and models when their resources are deleted. */
  dropDataset(datasetArn: string): void;
  dropSolutionVersion(solutionVersionArn: string): void;
  /**
   * Runtime and events requests (REST-JSON). `path` has no query string and no endpoint
   * prefix. Throws `ServiceError` (with the REST status: 400, 404, 409) for errors.
   */
  handle(method: string, path: string, body: unknown): Promise<DataPlaneResponse>;
  /** Paths this data plane serves, e.g. "/recommendations". */
  readonly paths: readonly string[];
  close?(): Promise<void>;
}

/** What the server hands a data-plane factory. */
export interface DataPlaneDeps {
  objects: ObjectStore;
  view: ControlPlaneView;
  /** Persist here when set (the emulator's --data-dir); in memory otherwise. */
  dataDir?: string;
  /** The emulator's log (e.g. an import's warnings); nothing is logged without it. */
  log?: (line: string) => void;
}

export type DataPlaneFactory = (deps: DataPlaneDeps) => DataPlane;
