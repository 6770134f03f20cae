import * as assert from "assert";
import * as path from "path";
import { readStack, readYaml as readYamlFile } from "../../offline/stack-config";
import { CONFIG_KEYS, PROJECT } from "../../stack/config";

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
    assert.deepStrictEqual(project.runtime, { name: "nodejs", options: { packagemanager: "npm" } });
  });

  it("types and describes exactly the keys the program reads", () => {
    assert.deepStrictEqual(Object.keys(project.config).sort(), [...CONFIG_KEYS].sort());
    for (const [key, schema] of Object.entries(project.config)) {
      assert.ok(["string", "integer", "boolean"].includes(schema.type), `${key}: ${schema.type}`);
      assert.ok(schema.description && schema.description.length > 10, `${key} has no description`);
      assert.strictEqual(
        typeof schema.default,
        schema.type === "integer" ? "number" : schema.type,
        key,
      );
    }
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
