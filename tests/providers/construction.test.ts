import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { DatasetGroup } from "../../providers";

// Exported by runtime/debuggable.js, marked internal (not in its .d.ts).
const {
  leakedPromises,
}: {
  leakedPromises(): [Set<Promise<unknown>>, string];
} = require("@pulumi/pulumi/runtime/debuggable");

/**
 * The stack traces the SDK kept with the promises made since the last call that are still
 * pending: its promise-leak candidates, which it reports at exit.
 */
const pendingTraces = () =>
  [...leakedPromises()[0]].map((p) => (p as { _debugStackTrace?: string })._debugStackTrace);

/**
 * Constructing a resource: the SDK keeps a stack trace with the promise of each of its Outputs
 * (runtime/debuggable.ts), read only for PULUMI_DEBUG_PROMISE_LEAKS' report, and ts-node's
 * source-map-support maps every frame of each; providers/resource.ts has them made with no
 * frames otherwise.
 */
describe("providers: constructing a resource", () => {
  const limit = Error.stackTraceLimit;
  before(() =>
    pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: () => ({}),
      },
      "construction",
      "test",
      true,
    ),
  );
  afterEach(() => {
    delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    assert.equal(Error.stackTraceLimit, limit, "Error.stackTraceLimit as it was");
  });

  it("stores no stack with its outputs' promises unless PULUMI_DEBUG_PROMISE_LEAKS asks", () => {
    pendingTraces();
    new DatasetGroup("quiet", { name: "quiet" });
    const quiet = pendingTraces();
    // Four per Output (value, known, secret, dependencies), for arn, status and each input.
    assert.ok(quiet.length >= 4 * 3, `${quiet.length} promises`);
    assert.deepEqual(new Set(quiet), new Set(["Error"]));

    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
    new DatasetGroup("debugged", { name: "debugged" });
    const debugged = pendingTraces();
    assert.equal(debugged.length, quiet.length);
    for (const trace of debugged) assert.match(trace ?? "", /\n +at .*construction\.test\.ts/);
  });

  it("throws construction errors with the program's frames", () => {
    assert.throws(
      () => new DatasetGroup("", { name: "unnamed" }),
      (err: Error) => {
        assert.match(err.message, /Missing resource name/);
        assert.match(err.stack ?? "", /\n +at .*construction\.test\.ts/);
        return true;
      },
    );
  });
});
