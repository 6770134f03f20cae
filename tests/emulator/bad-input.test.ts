// Bad input over raw HTTP: always a 4xx with a clear message, and the server keeps its state.
import {
  CreateDatasetGroupCommand,
  DescribeDatasetGroupCommand,
} from "@aws-sdk/client-personalize";
import { strict as assert } from "node:assert";
import { control, harness, send, signedFor, type Harness, type Reply } from "./helpers";

describe("emulator bad input", function () {
  let h: Harness;
  let groupArn: string;
  before(async () => {
    h = await harness({ maxBodyBytes: 4096, maxObjectBytes: 8192 });
    groupArn = (await h.personalize.send(new CreateDatasetGroupCommand({ name: "survivor" })))
      .datasetGroupArn!;
  });
  after(async () => {
    // Whatever came before, the server is up and still has its state.
    const group = (
      await h.personalize.send(new DescribeDatasetGroupCommand({ datasetGroupArn: groupArn }))
    ).datasetGroup!;
    assert.equal(group.name, "survivor");
    await h.close();
  });

  const cases: [string, () => Promise<Reply>, number, string, RegExp][] = [
    [
      "malformed JSON",
      () => control(h.emulator.url, "AmazonPersonalize.CreateDatasetGroup", "{name: oops"),
      400,
      "SerializationException",
      /not valid JSON/,
    ],
    [
      "a JSON array body",
      () => control(h.emulator.url, "AmazonPersonalize.CreateDatasetGroup", "[1,2]"),
      400,
      "SerializationException",
      /must be a JSON object/,
    ],
    [
      "a wrong member type",
      () => control(h.emulator.url, "AmazonPersonalize.CreateDatasetGroup", '{"name":{"a":1}}'),
      400,
      "SerializationException",
      /'name'.*is a structure.*string/,
    ],
    [
      "a wrong nested type",
      () =>
        control(h.emulator.url, "AmazonPersonalize.CreateDatasetGroup", '{"name":"x","tags":"t"}'),
      400,
      "SerializationException",
      /'tags'.*list/,
    ],
    [
      "an unknown operation",
      () => control(h.emulator.url, "AmazonPersonalize.CreateEverything", "{}"),
      400,
      "UnknownOperationException",
      /CreateEverything/,
    ],
    [
      "another service's target",
      () => control(h.emulator.url, "DynamoDB_20120810.ListTables", "{}"),
      400,
      "UnknownOperationException",
      /not a Personalize operation/,
    ],
    [
      "an oversized control-plane body",
      () =>
        control(
          h.emulator.url,
          "AmazonPersonalize.CreateSchema",
          JSON.stringify({ name: "big", schema: "x".repeat(10_000) }),
        ),
      413,
      "RequestEntityTooLargeException",
      /larger than 4096 bytes/,
    ],
    [
      "an unknown signed Personalize path",
      () =>
        send(h.emulator.url, "GET", "/no/such/path", { authorization: signedFor("personalize") }),
      404,
      "UnknownOperationException",
      /X-Amz-Target/,
    ],
    [
      "a runtime call without a data plane",
      () =>
        send(
          h.emulator.url,
          "POST",
          "/recommendations",
          { "content-type": "application/json" },
          '{"campaignArn":"arn:aws:personalize:us-east-1:000000000000:campaign/c","userId":"1"}',
        ),
      400,
      "InvalidInputException",
      /data plane is not enabled/,
    ],
  ];
  for (const [what, call, status, code, message] of cases) {
    it(`answers ${what} with ${status} ${code}`, async () => {
      const reply = await call();
      assert.equal(reply.status, status, reply.body);
      const body = JSON.parse(reply.body) as { __type: string; message: string };
      assert.equal(body.__type, code);
      assert.match(body.message, message);
      assert.ok(reply.headers["x-amzn-requestid"]);
    });
  }

  const s3Cases: [string, () => Promise<Reply>, number, string][] = [
    [
      "an unknown bucket path",
      () => send(h.emulator.url, "GET", "/no-such-bucket/some/key", {}),
      404,
      "NoSuchBucket",
    ],
    [
      "an unsupported subresource",
      () => send(h.emulator.url, "GET", "/any-bucket?acl", { authorization: signedFor("s3") }),
      400,
      "NotImplemented",
    ],
    [
      "broken percent-encoding",
      () => send(h.emulator.url, "GET", "/bucket/%E0%A4%A", {}),
      400,
      "InvalidURI",
    ],
    [
      "an unsupported method",
      () => send(h.emulator.url, "PATCH", "/", { authorization: signedFor("s3") }),
      405,
      "MethodNotAllowed",
    ],
    [
      "an oversized object",
      () =>
        send(
          h.emulator.url,
          "PUT",
          "/any-bucket/big.bin",
          { authorization: signedFor("s3") },
          Buffer.alloc(20_000),
        ),
      400,
      "EntityTooLarge",
    ],
  ];
  for (const [what, call, status, code] of s3Cases) {
    it(`answers S3 requests with ${what} with ${status} ${code} in S3's XML`, async () => {
      const reply = await call();
      assert.equal(reply.status, status, reply.body);
      assert.match(reply.body, new RegExp(`<Error><Code>${code}</Code><Message>[^<]+</Message>`));
    });
  }
});
