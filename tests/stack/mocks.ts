// A recording engine for the stack's mock tests: `pulumi.runtime.setMocks` with a
// `newResource` that keeps every registration and answers with the outputs the real
// providers would add (ARNs, the autonamed bucket), so the wiring between resources can be
// followed from one registration's outputs to the next one's inputs.
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { PROJECT } from "../../stack/config";

export const ACCOUNT_ID = "123456789012";
export const REGION = "us-east-1";

export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly outputs: Record<string, any>;
}

export const DYNAMIC = (kind: string): string => `pulumi-nodejs:dynamic/personalize:${kind}`;
/** The emulator's bucket and object resources live in their own module, `s3`. */
export const LOCAL_S3 = (kind: string): string => `pulumi-nodejs:dynamic/s3:${kind}`;

function personalizeArn(resource: string, region: string): string {
  return `arn:aws:personalize:${region}:${ACCOUNT_ID}:${resource}`;
}

function nameFromArn(arn: unknown): string {
  return typeof arn === "string" ? arn.split("/")[1] : "unknown";
}

/** What each resource adds to its inputs once created; undefined leaves them unknown in preview. */
function outputsOf(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  const region = inputs.region ?? REGION;
  switch (type) {
    case DYNAMIC("DatasetGroup"):
      return { arn: personalizeArn(`dataset-group/${inputs.name}`, region), status: "ACTIVE" };
    case DYNAMIC("Schema"):
      return { arn: personalizeArn(`schema/${inputs.name}`, region), status: "ACTIVE" };
    case DYNAMIC("Dataset"):
      return {
        arn: personalizeArn(
          `dataset/${nameFromArn(inputs.datasetGroupArn)}/${String(inputs.datasetType).toUpperCase()}`,
          region,
        ),
        status: "ACTIVE",
      };
    case DYNAMIC("DatasetImportJob"): {
      const jobName = `${inputs.jobName}-${String(inputs.dataHash).slice(0, 8)}-a1b2c3`;
      return {
        jobName,
        // check chooses the physical name and stores it as an input (hence as an output too).
        physicalJobName: jobName,
        arn: personalizeArn(`dataset-import-job/${jobName}`, region),
        status: "ACTIVE",
      };
    }
    case DYNAMIC("Solution"):
      return { arn: personalizeArn(`solution/${inputs.name}`, region), status: "ACTIVE" };
    case DYNAMIC("SolutionVersion"):
      return {
        arn: `${inputs.solutionArn}/5e1f0a9c`,
        status: "ACTIVE",
        trainingHours: 0.5,
        metrics: {},
      };
    case DYNAMIC("Campaign"):
      return { arn: personalizeArn(`campaign/${inputs.name}`, region), status: "ACTIVE" };
    case DYNAMIC("QualityGate"):
      // A gate that passed: it approves its candidate.
      return {
        approvedVersionArn: inputs.solutionVersionArn,
        approvedMetrics: {},
        verdict: "passed",
        threshold: inputs.minimum,
        report: "",
      };
    case LOCAL_S3("LocalBucket"):
      return { arn: `arn:aws:s3:::${inputs.bucket}` };
    case LOCAL_S3("LocalObject"):
      return { etag: '"0f1e2d"', s3Uri: `s3://${inputs.bucket}/${inputs.key}` };
    case "aws:s3/bucket:Bucket": {
      // The AWS provider names a bucket from its bucketPrefix (else its logical name and a
      // hyphen) plus 7 random characters.
      const bucket = inputs.bucket ?? `${inputs.bucketPrefix ?? `${name}-`}7f3a9c1`;
      return { bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case "aws:iam/role:Role": {
      // Autonamed too, from its logical name and random characters (here: the stack's); a
      // role's id is its name.
      const random = createHash("sha1").update(pulumi.getStack()).digest("hex").slice(0, 7);
      const roleName = `${name}-${random}`;
      return { name: roleName, arn: `arn:aws:iam::${ACCOUNT_ID}:role/${roleName}` };
    }
    default:
      return {};
  }
}

/** Strips the `__provider` module text, which is large and checked by its own test. */
export function plainInputs(inputs: Record<string, any>): Record<string, any> {
  const { __provider: _provider, ...rest } = inputs;
  return rest;
}

/** What the program sent the engine beyond inputs: where the resource sits and what it waits for. */
export interface Request {
  readonly type: string;
  readonly name: string;
  readonly parent: string;
  /** URNs of every resource this one depends on, through inputs or `dependsOn`. */
  readonly dependencies: string[];
  /** Input name -> URNs its value came from. */
  readonly propertyDependencies: Record<string, string[]>;
  /** The inputs as they crossed the wire (unknowns and secrets in Pulumi's encoding). */
  readonly object: Record<string, unknown>;
  /** Filled in from the engine's answer. */
  urn?: string;
}

export class RecordingEngine {
  readonly registrations: Registration[] = [];
  readonly requests: Request[] = [];
  readonly invokes: string[] = [];
  /** The mock monitor this engine installed (it keeps each resource's serialized state). */
  private monitor: any;

  /** Installs this engine as Pulumi's runtime for the given stack. */
  async install(stack: string, config: Record<string, string>, preview = false): Promise<void> {
    const all: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
      all[key.includes(":") ? key : `${PROJECT}:${key}`] = value;
    }
    pulumi.runtime.setAllConfig(all);
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          const added = preview ? {} : outputsOf(args.type, args.name, args.inputs);
          const outputs = { ...args.inputs, ...added };
          this.registrations.push({
            type: args.type,
            name: args.name,
            inputs: args.inputs,
            outputs,
          });
          // A bucket's id is its name, a role's its name, a Personalize resource's its ARN.
          const id = preview
            ? undefined
            : (added.bucket ?? added.name ?? added.arn ?? `${args.name}-id`);
          return { id, state: outputs };
        },
        call: (args) => {
          this.invokes.push(args.token);
          if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") {
            return {
              accountId: ACCOUNT_ID,
              arn: `arn:aws:iam::${ACCOUNT_ID}:user/ci`,
              userId: "AIDAEXAMPLE",
              id: ACCOUNT_ID,
            };
          }
          throw new Error(`the stack made an unexpected invoke: ${args.token}`);
        },
      },
      PROJECT,
      stack,
      preview,
    );
    // `newResource` sees only inputs; parents and dependencies travel in the request itself.
    const settings = require("@pulumi/pulumi/runtime/settings");
    const monitor = settings.getMonitor();
    this.monitor = monitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: unknown, resp: any) => void) => {
      const propertyDependencies: Record<string, string[]> = {};
      req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
        propertyDependencies[key] = deps.getUrnsList();
      });
      const request: Request = {
        type: req.getType(),
        name: req.getName(),
        parent: req.getParent(),
        dependencies: req.getDependenciesList(),
        propertyDependencies,
        object: req.getObject()?.toJavaScript() ?? {},
      };
      this.requests.push(request);
      return register(req, (err: unknown, resp: any) => {
        if (resp) request.urn = resp.getUrn();
        callback(err, resp);
      });
    };
  }

  /** URN -> the state the engine holds, serialized as the engine would store it. */
  states(): Map<string, Record<string, unknown>> {
    const registered: Map<string, { state: any }> = this.monitor.getRegisteredResources();
    // A component's outputs are kept as the Struct its registerResourceOutputs call carried.
    const plain = (state: any) => (state instanceof Struct ? state.toJavaScript() : state);
    return new Map([...registered].map(([urn, r]) => [urn, plain(r.state)]));
  }

  /** The one registration request of a type. */
  request(type: string): Request {
    const found = this.requests.filter((r) => r.type === type);
    if (found.length !== 1) throw new Error(`expected one ${type} request, found ${found.length}`);
    return found[0];
  }

  /**
   * Waits until the runtime has sent everything it queued (components register their outputs
   * after their children resolve). Installing the next engine earlier would hand those late
   * calls to a monitor that never saw the resource.
   */
  async settle(): Promise<void> {
    const settings: { waitForRPCs(): Promise<void> } = require("@pulumi/pulumi/runtime/settings");
    await settings.waitForRPCs();
  }

  /** The one registration of a type; fails if there is none or more than one. */
  one(type: string): Registration {
    const found = this.registrations.filter((r) => r.type === type);
    if (found.length !== 1) {
      throw new Error(`expected one ${type}, found ${found.length}: ${this.types().join(", ")}`);
    }
    return found[0];
  }

  types(): string[] {
    return this.registrations.map((r) => r.type).sort();
  }

  /** Resolves when a registration of `type` exists (preview outputs never resolve). */
  async waitFor(type: string, timeoutMs = 20000): Promise<void> {
    const start = Date.now();
    while (!this.registrations.some((r) => r.type === type)) {
      if (Date.now() - start > timeoutMs) throw new Error(`${type} was never registered`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** The value of a known output; never resolves for an unknown one, so not for preview. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}
