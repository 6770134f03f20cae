// The stack's inputs must satisfy the real providers, loaded from the `__provider` text the
// way the dynamic-provider host loads them: a wrong property name or value in the stack
// would otherwise surface only in a user's `pulumi preview`.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { toEngineValues } from "../../offline/wire";
import { buildWorkshopStack, readStackConfig } from "../../stack";
import { interactionsCsv } from "./data";
import { promiseOf, Registration, RecordingEngine } from "./mocks";

const requireFromString: (code: string) => {
  handler(): pulumi.dynamic.ResourceProvider;
} = require("require-from-string");

function dynamicOnes(engine: RecordingEngine): Registration[] {
  return engine.registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
}

async function checkAll(engine: RecordingEngine): Promise<Record<string, unknown>> {
  const failures: Record<string, unknown> = {};
  for (const r of dynamicOnes(engine)) {
    const provider = requireFromString(r.inputs.__provider).handler();
    assert.ok(provider.check, `${r.type} has no check`);
    const result = await provider.check({}, toEngineValues(r.inputs) as Record<string, unknown>);
    if (result.failures && result.failures.length > 0) failures[r.type] = result.failures;
  }
  return failures;
}

describe("the stack's inputs against the real providers' check", () => {
  let tmpDir: string;
  let dataFile: string;

  before(() => {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "workshop-check-"));
    dataFile = path.join(tmpDir, "interactions.csv");
    fs.writeFileSync(dataFile, interactionsCsv(1200, 40, "Order Completed"));
  });

  after(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

  const cases: [string, string, Record<string, string>][] = [
    ["target aws", "dev", { "aws:region": "us-east-1" }],
    ["target local", "local", { target: "local", recipe: "aws-hrnn", minProvisionedTPS: "2" }],
    [
      "automatic training and an event type",
      "prod",
      {
        "aws:region": "eu-west-1",
        performAutoTraining: "true",
        autoTrainingSchedule: "rate(1 day)",
        eventType: "Order Completed",
      },
    ],
  ];
  for (const [what, stack, config] of cases) {
    it(`passes every provider's check on ${what}, after up`, async () => {
      const engine = new RecordingEngine();
      await engine.install(stack, { ...config, dataFile });
      await promiseOf(buildWorkshopStack(readStackConfig()).campaignArn);
      await engine.settle();
      assert.ok(dynamicOnes(engine).length >= 7);
      assert.deepStrictEqual(await checkAll(engine), {});
    });

    it(`passes every provider's check on ${what}, in preview with unknown ARNs`, async () => {
      const engine = new RecordingEngine();
      await engine.install(stack, { ...config, dataFile }, true);
      buildWorkshopStack(readStackConfig());
      await engine.waitFor("pulumi-nodejs:dynamic/personalize:Campaign");
      await engine.settle();
      assert.deepStrictEqual(await checkAll(engine), {});
    });
  }

  it("would catch a bad input: the providers do reject what the stack must not send", async () => {
    const engine = new RecordingEngine();
    await engine.install("dev", { "aws:region": "us-east-1", dataFile });
    await promiseOf(buildWorkshopStack(readStackConfig()).campaignArn);
    await engine.settle();
    const campaign = engine.one("pulumi-nodejs:dynamic/personalize:Campaign");
    const provider = requireFromString(campaign.inputs.__provider).handler();
    const result = await provider.check!({}, { ...campaign.inputs, minProvisionedTPS: 0 });
    assert.strictEqual(result.failures?.[0]?.property, "minProvisionedTPS");
  });
});
