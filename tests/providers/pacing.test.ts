import assert from "node:assert/strict";
import { paceFor, statusPace, Transition } from "../../providers";

const AWS = undefined;
const EMULATOR = "http://127.0.0.1:4599";

describe("providers: pacing", () => {
  for (const [kind, transition, endpoint, expected] of [
    // A training: first asked after 2 minutes, then every minute.
    [
      "SolutionVersion",
      "create",
      AWS,
      { firstMs: 120_000, initialMs: 60_000, factor: 1.5, capMs: 60_000 },
    ],
    // The emulator: a hundredth of every figure.
    [
      "SolutionVersion",
      "create",
      EMULATOR,
      { firstMs: 1200, initialMs: 600, factor: 1.5, capMs: 600 },
    ],
    [
      "DatasetImportJob",
      "create",
      AWS,
      { firstMs: 60_000, initialMs: 30_000, factor: 1.5, capMs: 60_000 },
    ],
    // A campaign: first asked after a minute, then every 30 s.
    ["Campaign", "update", AWS, { firstMs: 60_000, initialMs: 30_000, factor: 1.5, capMs: 30_000 }],
    // A dataset group: after 20 s, 30 s, 45 s, then every 30 s.
    [
      "DatasetGroup",
      "create",
      AWS,
      { firstMs: 20_000, initialMs: 10_000, factor: 1.5, capMs: 30_000 },
    ],
    // A gap never starts below the call pace's (5 s on AWS, 50 ms on the emulator).
    ["Dataset", "delete", AWS, { firstMs: 5000, initialMs: 5000, factor: 1.5, capMs: 20_000 }],
    ["Dataset", "delete", EMULATOR, { firstMs: 50, initialMs: 50, factor: 1.5, capMs: 200 }],
    // A schema has no status: described at once.
    ["Schema", "create", AWS, { firstMs: 0, initialMs: 5000, factor: 1.5, capMs: 5000 }],
  ] as const) {
    it(`${kind} ${transition} against ${endpoint ?? "AWS"}`, () => {
      assert.deepEqual(statusPace(kind, transition, endpoint), expected);
    });
  }

  it("a wait with no entry (an import job has no update) polls as a retried call does", () => {
    for (const endpoint of [AWS, EMULATOR]) {
      for (const [kind, transition] of [
        ["DatasetImportJob", "update"],
        ["Bucket", "create"],
      ] as [string, Transition][])
        assert.deepEqual(statusPace(kind, transition, endpoint), paceFor(endpoint));
    }
  });
});
