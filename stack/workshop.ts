import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as pulumi from "@pulumi/pulumi";
import { show } from "../rules/show";
import { fileChunks } from "../schemas/file-chunks";
import { StackConfig } from "./config";
import { checkInteractionsDataOnce, DEFAULT_CHECK_CACHE_DIR } from "./datacheck";
import { DataStore } from "./datastore";
import { PersonalizePipeline } from "./pipeline";
import { partitionOf, PersonalizeSource } from "./policies";

/**
 * The logical name of the stack's two components. Their children are named after it
 * (`workshop-dataset-group`, ...), so URNs do not depend on config: a new `namePrefix`
 * renames physical resources (replacing them in the engine's order) instead of giving every
 * resource a new URN, which the engine would create before it deletes the old one, colliding
 * on any name that did not change. Stacks deployed when the components were named after the
 * prefix keep their resources through the alias below (children inherit it).
 */
export const COMPONENT_NAME = "workshop";

/** Relative `dataFile` / `schemaFile` paths are resolved against the project directory. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** The stack outputs, as `index.ts` exports them. */
export interface WorkshopOutputs {
  readonly target: pulumi.Output<string>;
  readonly bucketName: pulumi.Output<string>;
  readonly dataLocation: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  readonly datasetGroupArn: pulumi.Output<string>;
  readonly schemaArn: pulumi.Output<string>;
  readonly datasetArn: pulumi.Output<string>;
  readonly datasetImportJobArn: pulumi.Output<string>;
  readonly solutionArn: pulumi.Output<string>;
  readonly solutionVersionArn: pulumi.Output<string>;
  readonly campaignArn: pulumi.Output<string>;
  readonly campaignName: pulumi.Output<string>;
}

/**
 * Opens a file the config names, with an error that says which key to fix. Returns its
 * absolute path and an open descriptor (the caller closes it).
 */
function openConfiguredFile(key: string, file: string): { path: string; fd: number } {
  const resolved = path.resolve(PROJECT_DIR, file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(resolved, "r");
    // Opening a directory succeeds; reading it would fail later, with no key named.
    if (fs.fstatSync(fd).isDirectory()) {
      throw Object.assign(new Error(`${resolved} is a directory`), { code: "EISDIR" });
    }
    return { path: resolved, fd };
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    const hint = key === "dataFile" ? " (npm run generate-data writes the default)" : "";
    throw new Error(
      `personalize-workshop:${key} ${show(file)} cannot be read at ${resolved}: ` +
        `${(err as NodeJS.ErrnoException).code ?? String(err)}${hint}`,
      { cause: err },
    );
  }
}

/**
 * Reads the data file in pieces for its hash (the import job's `dataHash`) and, with
 * `validateData`, checks it against the schema: again only when no record of a passed check
 * answers for this hash (stack/datacheck.ts). A file of any size is read in bounded memory.
 */
function readDataFile(
  config: StackConfig,
  data: { path: string; fd: number },
  schemaText: string,
): string {
  const { fd } = data;
  const hash = createHash("sha256");
  for (const chunk of fileChunks(fd)) hash.update(chunk);
  const dataHash = hash.digest("hex");
  if (config.validateData) {
    const { warnings } = checkInteractionsDataOnce({
      dataFile: config.dataFile,
      schemaFile: config.schemaFile,
      dataPath: data.path,
      dataHash,
      data: () => fileChunks(fd),
      schemaText,
      ...(config.eventType === undefined ? {} : { eventType: config.eventType }),
      cacheDir: path.resolve(
        PROJECT_DIR,
        process.env.DATA_CHECK_CACHE_DIR || DEFAULT_CHECK_CACHE_DIR,
      ),
    });
    for (const warning of warnings) {
      void pulumi.log.warn(
        `personalize-workshop:dataFile ${JSON.stringify(config.dataFile)}: ${warning}`,
      );
    }
  }
  return dataHash;
}

/**
 * Creates the whole workshop stack for one validated config and returns its outputs. All
 * resources are made here, none at module load, so a process (tests, the offline runner) can
 * build the stack several times under fresh mocks.
 */
export function buildWorkshopStack(config: StackConfig): WorkshopOutputs {
  for (const warning of config.warnings) {
    void pulumi.log.warn(warning);
  }
  const data = openConfiguredFile("dataFile", config.dataFile);
  let schemaText: string;
  let dataHash: string;
  try {
    const schema = openConfiguredFile("schemaFile", config.schemaFile);
    try {
      schemaText = fs.readFileSync(schema.fd, "utf8");
    } finally {
      fs.closeSync(schema.fd);
    }
    dataHash = readDataFile(config, data, schemaText);
  } finally {
    fs.closeSync(data.fd);
  }

  const formerName = { aliases: [{ name: config.namePrefix }] };
  // On AWS, the caller's account and partition; the emulator's account is configured.
  const scope: pulumi.Output<PersonalizeSource> =
    config.accountId === undefined
      ? getCallerIdentityOutput({}).apply((caller) => ({
          accountId: caller.accountId,
          region: config.region,
          partition: partitionOf(caller.arn),
        }))
      : pulumi.output({ accountId: config.accountId, region: config.region, partition: "aws" });
  const store = new DataStore(
    COMPONENT_NAME,
    { config, dataPath: data.path, dataHash, scope },
    formerName,
  );
  const pipeline = new PersonalizePipeline(
    COMPONENT_NAME,
    {
      config,
      schema: schemaText,
      dataLocation: store.dataLocation,
      roleArn: store.roleArn,
      dataHash,
      importAfter: store.readers,
      scope,
    },
    formerName,
  );

  return {
    target: pulumi.output(config.target),
    bucketName: store.bucketName,
    dataLocation: store.dataLocation,
    roleArn: store.roleArn,
    datasetGroupArn: pipeline.datasetGroupArn,
    schemaArn: pipeline.schemaArn,
    datasetArn: pipeline.datasetArn,
    datasetImportJobArn: pipeline.datasetImportJobArn,
    solutionArn: pipeline.solutionArn,
    solutionVersionArn: pipeline.solutionVersionArn,
    campaignArn: pipeline.campaignArn,
    campaignName: pipeline.campaignName,
  };
}
