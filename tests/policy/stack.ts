// The workshop stack as the engine would hand it to a policy pack: built by index.ts's own
// buildWorkshopStack under the recording mocks (tests/stack/mocks.ts), each dynamic resource's
// inputs passed through its real provider's check (the engine analyzes checked inputs), and the
// outputs as the engine stores them, with parents and dependencies, for AnalyzeStack.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { toEngineValues } from "../../offline/wire";
import { AnalyzedResource } from "../../offline/policy";
import { buildWorkshopStack, readStackConfig } from "../../stack";
import { interactionsCsv } from "../stack/data";
import { promiseOf, RecordingEngine } from "../stack/mocks";

const requireFromString: (code: string) => {
  handler(): pulumi.dynamic.ResourceProvider;
} = require("require-from-string");

export interface BuiltStack {
  /** Per resource, what Analyze gets: checked inputs. */
  readonly inputs: AnalyzedResource[];
  /** What AnalyzeStack gets: outputs, parents, dependencies. */
  readonly outputs: AnalyzedResource[];
}

let dataFile: string | undefined;

/** One valid interactions file for every build (the policies never look at the data). */
function sampleData(): string {
  if (dataFile === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-stack-"));
    dataFile = path.join(dir, "interactions.csv");
    fs.writeFileSync(dataFile, interactionsCsv(1200, 40));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return dataFile;
}

async function checked(type: string, object: Record<string, unknown>) {
  if (!type.startsWith("pulumi-nodejs:dynamic")) return object;
  const provider = requireFromString(object.__provider as string).handler();
  const result = await provider.check!({}, toEngineValues(object) as Record<string, unknown>);
  if (result.failures && result.failures.length > 0) {
    throw new Error(`${type} fails its check: ${JSON.stringify(result.failures)}`);
  }
  return result.inputs as Record<string, unknown>;
}

/** Builds the workshop stack for `stack` with `config` (project keys unqualified). */
export async function buildStack(
  stack: string,
  config: Record<string, string>,
  preview = false,
): Promise<BuiltStack> {
  const engine = new RecordingEngine();
  await engine.install(
    stack,
    { "aws:region": "us-east-1", dataFile: sampleData(), ...config },
    preview,
  );
  const outputs = buildWorkshopStack(readStackConfig());
  if (preview) {
    await engine.waitFor("pulumi-nodejs:dynamic/personalize:Campaign");
  } else {
    await promiseOf(outputs.campaignArn);
  }
  await engine.settle();
  const states = engine.states();
  const built: BuiltStack = { inputs: [], outputs: [] };
  for (const request of engine.requests) {
    if (request.urn === undefined) throw new Error(`${request.name} was never registered`);
    const common = {
      urn: request.urn,
      type: request.type,
      name: request.name,
      ...(request.parent ? { parent: request.parent } : {}),
    };
    built.inputs.push({ ...common, properties: await checked(request.type, request.object) });
    built.outputs.push({
      ...common,
      properties: states.get(request.urn) ?? {},
      dependencies: request.dependencies,
      propertyDependencies: request.propertyDependencies,
    });
  }
  return built;
}

/** The one resource of a type, to change or look at. */
export function one(resources: AnalyzedResource[], type: string): AnalyzedResource {
  const found = resources.filter((r) => r.type === type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

/** `resources` with the resource of `type` given other properties (everything else as is). */
export function withProperties(
  resources: AnalyzedResource[],
  type: string,
  change: (properties: Record<string, any>) => Record<string, unknown>,
): AnalyzedResource[] {
  one(resources, type);
  return resources.map((r) =>
    r.type === type ? { ...r, properties: change(structuredClone(r.properties)) } : r,
  );
}
