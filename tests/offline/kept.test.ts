// What `npm start --keep` leaves, through real processes: another npm start tears it down
// (--destroy), and a state file whose emulator is gone (an embedded one after Ctrl-C, a
// stopped `npm run emulator`) is explained, with what to do, instead of failing on ECONNREFUSED.
import { strict as assert } from "assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import { join } from "path";
import { PersonalizeClient } from "@aws-sdk/client-personalize";
import { S3Client } from "@aws-sdk/client-s3";
import { createDataPlane } from "../../emulator/data";
import { RUN_NOTE, RunNote } from "../../offline/kept-stack";
import { clientConfig, startTestEmulator } from "../support/emulator";
import { leftovers } from "../../offline/leftovers";
import { npmStart, reportOf, startNpmStart } from "./npm-start";

/** SDK clients for an emulator some other process runs. */
function clientsAt(endpoint: string) {
  const config = clientConfig(endpoint);
  return {
    personalize: new PersonalizeClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
  };
}

/** A port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** A state file as a kept run leaves it: one resource at `endpoint`, noted by that run. */
function keptState(file: string, endpoint: string, emulator: RunNote["emulator"]): void {
  const note: RunNote = { emulator, endpoint, pid: 999999999, started: "2026-11-30T00:00:00.000Z" };
  writeFileSync(
    file,
    JSON.stringify({
      outputs: {},
      resources: [
        {
          urn: "urn:pulumi:local::personalize-workshop::pulumi-nodejs:dynamic/personalize:DatasetGroup::g",
          type: "pulumi-nodejs:dynamic/personalize:DatasetGroup",
          name: "g",
          id: "arn:aws:personalize:us-east-1:000000000000:dataset-group/g",
          inputs: { endpoint },
          outputs: { endpoint },
          dependencies: [],
          propertyDependencies: {},
        },
      ],
      notes: { [RUN_NOTE]: note },
    }),
  );
}

describe("npm start --keep, then --destroy, or Ctrl-C and the next run", function () {
  this.timeout(300_000);
  let dir: string;
  let state: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "kept-"));
    state = join(dir, "state.json");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("--destroy from another npm start empties the emulator a --keep run still serves", async () => {
    const kept = startNpmStart(["--keep", "--state", state, "--duration-scale", "0", "--json"]);
    try {
      await kept.printed(/^\{.*\}$/m);
      const report = reportOf(kept.stdout());
      assert.equal(report.ok, true, report.error);
      const clients = clientsAt(report.endpoint!);
      assert.notDeepEqual(await leftovers(clients), []);
      await kept.printed(/keeps serving at .* until Ctrl-C/, "stderr");

      const destroy = await npmStart(["--destroy", "--state", state, "--json"]);
      assert.equal(destroy.code, 0, destroy.stderr);
      assert.equal(reportOf(destroy.stdout).destroyed, true);
      assert.deepEqual(await leftovers(clients), []);
      assert.ok(!existsSync(state), "--destroy removes the state file");

      kept.child.kill("SIGINT");
      assert.equal(await kept.exited, 130);
      assert.match(kept.stderr(), /Stopping the emulator/);
    } finally {
      kept.child.kill("SIGKILL");
    }
  });

  it("Ctrl-C during a --keep run: the next run says what happened and what to do, and --destroy clears it", async () => {
    const kept = startNpmStart(["--keep", "--state", state, "--duration-scale", "0.1"]);
    try {
      // The first Ctrl-C as the pipeline deploys (or, on a fast machine, once it serves).
      await kept.printed(/creating personalize:Solution/);
      kept.child.kill("SIGINT");
      assert.notEqual(await kept.exited, 0);
    } finally {
      kept.child.kill("SIGKILL");
    }
    assert.ok(
      JSON.parse(readFileSync(state, "utf8")).resources.length > 0,
      "the state lists what was deployed",
    );

    const next = await npmStart(["--state", state, "--json"]);
    assert.equal(next.code, 1, next.stderr);
    const error = reportOf(next.stdout).error ?? "";
    assert.match(
      error,
      /^stack "local" has \d+ resources (and \d+ interrupted calls? )?in the state file /,
    );
    assert.match(
      error,
      /deployed by an npm start --keep \(pid \d+, started \S+\) to the emulator it embedded at http:\/\/127\.0\.0\.1:\d+/,
    );
    assert.match(
      error,
      /That run has ended \(Ctrl-C, or it was stopped\), and its emulator with it: nothing answers there \(connect ECONNREFUSED 127\.0\.0\.1:\d+\), and those resources no longer exist/,
    );
    assert.ok(
      error.endsWith(`To start afresh, clear the state: npm start -- --destroy --state ${state}`),
      error,
    );
    assert.doesNotMatch(next.stderr, /Embedded Personalize emulator at/, "nothing started");

    const cleared = await npmStart(["--destroy", "--state", state]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /Nothing is left to delete: removed the state file/);
    assert.ok(!existsSync(state));
  });

  it("a state file whose --endpoint emulator stopped: what to start again, or what to delete", async () => {
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    keptState(state, endpoint, "given");
    for (const args of [["--endpoint", endpoint], ["--destroy"]]) {
      const { code, stdout, stderr } = await npmStart([...args, "--state", state, "--json"]);
      assert.equal(code, 1, stderr);
      assert.equal(
        reportOf(stdout).error,
        `stack "local" has 1 resource in the state file ${state}, deployed to ${endpoint}, and ` +
          `nothing answers there (connect ECONNREFUSED 127.0.0.1:${port}).\n` +
          `If that emulator was stopped, start it again at that address (npm run emulator -- ` +
          `--port ${port} --data-dir DIR, with the data dir it had) and run this again. If it ran ` +
          `without --data-dir, its resources went with it: delete ${state} to start afresh.`,
      );
      assert.doesNotMatch(stderr, /ECONNREFUSED.*\n\s+at /, "no stack trace");
    }
    assert.ok(existsSync(state), "a state whose resources may still exist is never dropped");
  });

  it("a stack kept on a running emulator is not deployed a second time elsewhere", async () => {
    const env = await startTestEmulator({ dataPlane: createDataPlane });
    try {
      keptState(state, env.emulator.url, "given");
      const { code, stdout, stderr } = await npmStart(["--state", state, "--json"]);
      assert.equal(code, 1, stderr);
      assert.equal(
        reportOf(stdout).error,
        `stack "local" has 1 resource in the state file ${state} at ${env.emulator.url}: this run ` +
          `would deploy a second copy elsewhere.\n` +
          `To deploy to it again: npm start -- --endpoint ${env.emulator.url} --state ${state}; ` +
          `to tear it down: npm start -- --destroy --state ${state}`,
      );
    } finally {
      await env.close();
    }
  });
});
