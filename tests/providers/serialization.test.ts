import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { bundleOf, packed } from "../../providers/packed";
import { Kind, PROVIDERS, requireFromString, VALID } from "./helpers";

/**
 * Packs each provider and serializes it exactly as a resource class and `dynamic.Resource` do,
 * and loads it back as the dynamic-provider host does.
 */
describe("providers: packed as the dynamic-provider host loads them", () => {
  for (const [kind, provider] of Object.entries(PROVIDERS)) {
    // Valid inputs, so the loaded copy's check must pass.
    const inputs = VALID[kind as Kind];
    it(`${kind}: packs, loads with require-from-string and checks`, async () => {
      const loader = packed(provider);
      const serialized = await pulumi.runtime.serializeFunction(() => loader, {
        allowSecrets: true,
      });
      assert.equal(serialized.containsSecrets, false, "the provider must not capture secrets");
      // Only the SDK's `() => loader` captures a variable: each capture costs the serializer
      // inspector calls in every program run (providers/packed.ts, `Loader`).
      const captures = [
        ...serialized.text.matchAll(/with\(\{ (.*)this: undefined, arguments: undefined \}\)/g),
      ]
        .map(([, captured]) => captured)
        .filter((captured) => captured !== "");
      assert.deepEqual(captures, ["loader: __loader, "]);
      // The project's modules only: packages are required from node_modules, never copied.
      const modules = Object.keys(bundleOf(loader).modules);
      assert.deepEqual(
        modules.filter(
          (id) => id.includes("node_modules") || !/^(providers|rules|schemas)\//.test(id),
        ),
        [],
      );
      assert.ok(modules.includes("providers/lifecycle.ts"), modules.join(", "));
      const loaded = requireFromString(serialized.text)[serialized.exportName as "handler"]();
      assert.notEqual(loaded, provider, "a fresh copy, not the same object");
      const result = await loaded.check!({}, inputs);
      assert.deepEqual(result.failures, []);
      const original = await provider.check!({}, inputs);
      // Random job names aside, the loaded copy decides exactly as the original.
      const { physicalJobName: _a, ...loadedInputs } = result.inputs as Record<string, unknown>;
      const { physicalJobName: _b, ...originalInputs } = original.inputs as Record<string, unknown>;
      assert.deepEqual(loadedInputs, originalInputs);
      const checked = result.inputs as Record<string, unknown>;
      // The stored outputs: inputs plus the ARN (an import job keeps its prefix under jobNamePrefix).
      const outputs =
        kind === "DatasetImportJob"
          ? {
              ...checked,
              jobNamePrefix: checked.jobName,
              jobName: checked.physicalJobName,
              arn: "x",
            }
          : { ...checked, arn: "x" };
      const diff = await loaded.diff!("id", outputs, checked);
      assert.equal(diff.changes, false);
    });
  }
});
