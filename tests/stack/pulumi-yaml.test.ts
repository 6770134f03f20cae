import * as assert from "assert";
import * as path from "path";
import {
  configGetter,
  loadStackConfig,
  readStack,
  readYaml as readYamlFile,
} from "../../offline/stack-config";
import {
  CONFIG_KEYS,
  parseStackConfig,
  PROJECT,
  QUALITY_GATE_CONFIG_DEFAULTS,
} from "../../stack/config";

const ROOT = path.resolve(__dirname, "../..");

interface ProjectFile {
  name: string;
  main: string;
  runtime: { name: string; options: { packagemanager: string } };
  config: Record<string, { type: string; default?: unknown; description?: string }>;
}

function readYaml<T>(file: string): T {
  return readYamlFile(path.join(ROOT, file)) as T;
}

describe("Pulumi.yaml and the stack files", () => {
  const project = readYaml<ProjectFile>("Pulumi.yaml");

  it("declares the project, runtime and entry point", () => {
    assert.strictEqual(project.name, PROJECT);
    assert.strictEqual(project.main, "index.ts");
    assert.deepStrictEqual(project.runtime, {
      name: "nodejs",
      // tsconfig: the host compiles with tsconfig.program.json (tests/program/).
      options: { packagemanager: "npm", tsconfig: "tsconfig.program.json" },
    });
  });

  it("types and describes exactly the keys the program reads", () => {
    assert.deepStrictEqual(Object.keys(project.config).sort(), [...CONFIG_KEYS].sort());
    for (const [key, schema] of Object.entries(project.config)) {
      // The CLI takes `object` config since v3.187 (pulumi/pulumi#20132; this project pins 3.248).
      assert.ok(
        ["string", "integer", "boolean", "object"].includes(schema.type),
        `${key}: ${schema.type}`,
      );
      assert.ok(schema.description && schema.description.length > 10, `${key} has no description`);
      assert.strictEqual(
        typeof schema.default,
        schema.type === "integer" ? "number" : schema.type,
        key,
      );
    }
  });

  it("declares the quality gate's defaults as the program has them", () => {
    assert.deepStrictEqual(project.config.qualityGate.default, QUALITY_GATE_CONFIG_DEFAULTS);
    // As the engine hands an object to the program: JSON text.
    const files = loadStackConfig(ROOT, "local");
    const parsed = parseStackConfig(configGetter(files), "local");
    assert.deepStrictEqual(parsed.qualityGate, QUALITY_GATE_CONFIG_DEFAULTS);
  });

  const expected: Record<string, { target: string; campaign: string; bucket?: string }> = {
    dev: { target: "aws", campaign: "segment-workshop-campaign" },
    prod: { target: "aws", campaign: "segment-workshop-prod-campaign" },
    local: {
      target: "local",
      campaign: "segment-workshop-campaign",
      bucket: "segment-workshop-local-data",
    },
  };
  for (const [stack, want] of Object.entries(expected)) {
    it(`Pulumi.${stack}.yaml sets only known keys and parses to its stack's names`, () => {
      const file = readYaml<{ config: Record<string, unknown> }>(`Pulumi.${stack}.yaml`);
      for (const key of Object.keys(file.config)) {
        const [namespace, name] = key.split(":");
        assert.ok(
          (namespace === PROJECT && (CONFIG_KEYS as readonly string[]).includes(name)) ||
            key === "aws:region",
          `unknown key ${key}`,
        );
      }
      // The stack file over Pulumi.yaml's defaults, as `pulumi.Config` sees them.
      const cfg = readStack(ROOT, stack).parsed;
      assert.strictEqual(cfg.target, want.target);
      assert.strictEqual(cfg.names.campaign, want.campaign);
      assert.strictEqual(cfg.names.bucket, want.bucket);
      assert.deepStrictEqual(cfg.warnings, []);
    });
  }
});
