// The front door no request can break: framing, nesting, host names, regions, bugs.
import {
  CreateDatasetGroupCommand,
  DescribeDatasetGroupCommand,
  ListDatasetGroupsCommand,
  ListSolutionsCommand,
  PersonalizeClient,
} from "@aws-sdk/client-personalize";
import { GetRecommendationsCommand } from "@aws-sdk/client-personalize-runtime";
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { placeholderDataPlane, startEmulator } from "../../emulator";
import type { ServiceError } from "../../emulator/errors";
import { decodeAwsChunked } from "../../emulator/s3-protocol";
import { clientConfig } from "../support/emulator";
import {
  clientsFor,
  control,
  eventually,
  harness,
  rejection,
  send,
  signedFor,
  spawnCli,
} from "./helpers";

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

describe("emulator front door", function () {
  describe("aws-chunked framing", () => {
    const cases: [string, string, string | RegExp][] = [
      ["one chunk", "3\r\nabc\r\n0\r\n\r\n", "abc"],
      [
        "signed chunks and trailers",
        "3;chunk-signature=ab\r\nabc\r\n2\r\nde\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n",
        "abcde",
      ],
      ["a negative size", "-ff\r\nabc\r\n0\r\n\r\n", /invalid chunk size "-ff"/],
      ["a size that is not hex", "zz\r\nabc\r\n0\r\n\r\n", /invalid chunk size "zz"/],
      ["a size past the end", "ffffffffffffffff\r\nab", /shorter than its chunk sizes say/],
      ["a chunk without its CRLF", "3\r\nabcX\r\n0\r\n\r\n", /not followed by CRLF/],
      ["no header at all", "", /ends inside a chunk header/],
      ["an endless header", "1".repeat(5000), /ends inside a chunk header/],
    ];
    for (const [what, framed, expected] of cases)
      it(`decodes or refuses ${what}`, () => {
        if (typeof expected === "string")
          assert.equal(decodeAwsChunked(Buffer.from(framed)).toString(), expected);
        else
          assert.throws(
            () => decodeAwsChunked(Buffer.from(framed)),
            (err: ServiceError) => err.status === 400 && expected.test(err.message),
          );
      });
  });

  describe("a running emulator process (npm run emulator)", function () {
    let dir: string;
    let server: ReturnType<typeof spawnCli>;
    let url: string;
    let groupArn: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "emulator-front-door-"));
      server = spawnCli([
        "--port",
        "0",
        "--duration-scale",
        "0",
        "--data-dir",
        join(dir, "state"),
        "--allow-host",
        "emulator.test",
        "--placeholder-data-plane",
        "--quiet",
      ]);
      url = await server.url;
      const reply = await control(url, "CreateDatasetGroup", '{"name":"front-door"}');
      groupArn = JSON.parse(reply.body).datasetGroupArn;
    });
    after(async () => {
      server.child.kill("SIGKILL");
      await server.exited;
      rmSync(dir, { recursive: true, force: true });
    });

    it("answers an aws-chunked PUT with a negative chunk size 400, and keeps serving", async () => {
      await send(url, "PUT", "/chunky", { authorization: signedFor("s3") });
      const reply = await send(
        url,
        "PUT",
        "/chunky/key",
        { authorization: signedFor("s3"), "content-encoding": "aws-chunked" },
        "-ff\r\nabc\r\n0\r\n\r\n",
      );
      assert.equal(reply.status, 400, reply.body);
      assert.match(reply.body, /<Code>InvalidRequest<\/Code>.*invalid chunk size/);
      const list = await send(url, "GET", "/", { authorization: signedFor("s3") });
      assert.match(list.body, /<Name>chunky<\/Name>/);
    });

    it("refuses JSON nested 10,000 deep with 400, and stores deep unknown members of a valid request not at all", async () => {
      const deep = await control(url, "CreateSolution", `{"name":${nested(10_000)}}`);
      assert.equal(deep.status, 400, deep.body);
      assert.match(JSON.parse(deep.body).message, /nests JSON more than 32 levels deep/);
      await eventually(
        async () =>
          JSON.parse(
            (
              await control(
                url,
                "DescribeDatasetGroup",
                JSON.stringify({ datasetGroupArn: groupArn }),
              )
            ).body,
          ).datasetGroup.status,
        (status) => status === "ACTIVE",
        "group ACTIVE",
      );
      let junk: unknown = "bottom";
      for (let i = 0; i < 30; i++) junk = { junk };
      const created = await control(
        url,
        "CreateSolution",
        JSON.stringify({
          name: "deep",
          datasetGroupArn: groupArn,
          recipeArn: "arn:aws:personalize:::recipe/aws-sims",
          solutionConfig: { eventValueThreshold: "1", junk },
          junk,
        }),
      );
      assert.equal(created.status, 200, created.body);
      const { solutionArn } = JSON.parse(created.body);
      const described = JSON.parse(
        (await control(url, "DescribeSolution", JSON.stringify({ solutionArn }))).body,
      );
      assert.deepEqual(described.solution.solutionConfig, { eventValueThreshold: "1" });
    });

    it("refuses requests addressed to other host names (DNS rebinding); serves IP addresses, localhost and --allow-host names", async () => {
      const port = new URL(url).port;
      const list = (host: string) =>
        send(url, "POST", "/", {
          host,
          "x-amz-target": "AmazonPersonalize.ListDatasetGroups",
          authorization: signedFor("personalize"),
        });
      for (const host of ["attacker.example", `attacker.example:${port}`, "127.0.0.1.nip.io"]) {
        const reply = await list(host);
        assert.equal(reply.status, 403, host);
        assert.equal(JSON.parse(reply.body).__type, "AccessDeniedException");
        assert.match(JSON.parse(reply.body).message, /DNS-rebinding protection.*--allow-host/);
      }
      const s3 = await send(url, "GET", "/", { host: "attacker.example" });
      assert.equal(s3.status, 403);
      assert.match(s3.body, /<Code>AccessDenied<\/Code>/);
      for (const host of [
        `127.0.0.1:${port}`,
        `localhost:${port}`,
        `LOCALHOST:${port}`,
        `api.localhost:${port}`,
        `[::1]:${port}`,
        `emulator.test:${port}`,
      ])
        assert.equal((await list(host)).status, 200, host);
    });

    it("keeps its state through all of it, on disk too", async () => {
      server.child.kill("SIGTERM");
      assert.equal(await server.exited, 0, server.stderr());
      const restarted = clientsFor(await startEmulator({ dataDir: join(dir, "state") }));
      try {
        const { solutions } = await restarted.personalize.send(new ListSolutionsCommand({}));
        assert.deepEqual(
          solutions!.map((s) => s.name),
          ["deep"],
        );
      } finally {
        await restarted.close();
      }
    });
  });

  it("answers an emulator bug with 500 and the request id only; the details go to the log", async () => {
    const logged: string[] = [];
    const h = await harness({
      log: (line) => logged.push(line),
      dataPlane: (deps) => ({
        ...placeholderDataPlane(deps),
        handle: async () => {
          throw new TypeError("Cannot read properties of undefined (reading 'itemIds')");
        },
      }),
    });
    try {
      const reply = await send(
        h.emulator.url,
        "POST",
        "/recommendations",
        { "content-type": "application/json" },
        JSON.stringify({ campaignArn: "arn:aws:personalize:us-east-1:000000000000:campaign/c" }),
      );
      assert.equal(reply.status, 500);
      const body = JSON.parse(reply.body) as { __type: string; message: string };
      assert.equal(body.__type, "InternalFailure");
      assert.match(body.message, new RegExp(String(reply.headers["x-amzn-requestid"])));
      assert.doesNotMatch(reply.body, /TypeError|itemIds|\.ts|\/work|at /);
      assert.equal(logged.length, 1);
      assert.match(logged[0], /TypeError: Cannot read properties .*itemIds/);
      assert.match(logged[0], /front-door\.test\.ts/);
    } finally {
      await h.close();
    }
  });

  it("scopes resources to the signing region, on the runtime too, and refuses regions no partition has", async () => {
    const h = await harness();
    const eu = new PersonalizeClient(clientConfig(h.emulator.url, "eu-west-1"));
    try {
      const { datasetGroupArn } = await h.personalize.send(
        new CreateDatasetGroupCommand({ name: "regional" }),
      );
      const err = await rejection(eu.send(new DescribeDatasetGroupCommand({ datasetGroupArn })));
      assert.equal(err.name, "ResourceNotFoundException");
      assert.deepEqual((await eu.send(new ListDatasetGroupsCommand({}))).datasetGroups, []);
      const euRuntime = clientsFor(h.emulator, "eu-west-1").runtime;
      const runtime = await rejection(
        euRuntime.send(
          new GetRecommendationsCommand({
            campaignArn: "arn:aws:personalize:us-east-1:000000000000:campaign/c",
          }),
        ),
      );
      assert.equal(runtime.name, "ResourceNotFoundException");
      assert.equal(runtime.$metadata?.httpStatusCode, 404);
      euRuntime.destroy();
      for (const region of ["..", "local", "US-EAST-1", "us-east-1.example", ""]) {
        const reply = await control(h.emulator.url, "ListDatasetGroups", "{}", region);
        assert.equal(reply.status, 403, region);
        assert.match(
          JSON.parse(reply.body).message,
          /Credential should be scoped to a valid region/,
        );
      }
      for (const region of ["us-gov-west-1", "cn-north-1", "us-isob-east-1", "eusc-de-east-1"])
        assert.equal(
          (await control(h.emulator.url, "ListDatasetGroups", "{}", region)).status,
          200,
          region,
        );
    } finally {
      eu.destroy();
      await h.close();
    }
  });

  it("warns when it listens beyond loopback", async () => {
    const logged: string[] = [];
    const emulator = await startEmulator({ host: "0.0.0.0", port: 0, log: (l) => logged.push(l) });
    await emulator.close();
    assert.equal(logged.length, 1);
    assert.match(logged[0], /listens on 0\.0\.0\.0, not only on loopback.*no authentication/);
    const quiet: string[] = [];
    await (await startEmulator({ host: "127.0.0.1", port: 0, log: (l) => quiet.push(l) })).close();
    assert.deepEqual(quiet, []);
  });
});
