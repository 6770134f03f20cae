import { strict as assert } from "assert";
import { startApiRecorder } from "../../offline/api-recorder";
import { RecordServer, startRecordServer } from "./fixtures/record-server";

describe("offline API recorder", () => {
  let server: RecordServer;
  beforeEach(async () => {
    server = await startRecordServer();
  });
  afterEach(() => server.close());

  it("forwards requests untouched and classifies each call", async () => {
    const recorder = await startApiRecorder(server.url);
    try {
      const sign = (service: string) =>
        `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;
      const created = await fetch(`${recorder.url}/records`, {
        method: "POST",
        headers: {
          "x-amz-target": "AmazonPersonalize.CreateDatasetGroup",
          authorization: sign("personalize"),
        },
        body: JSON.stringify({ name: "through-proxy", value: "1" }),
      });
      assert.equal(created.status, 201);
      const { id } = (await created.json()) as { id: string };
      const read = await fetch(`${recorder.url}/records/${id}`, {
        headers: { authorization: sign("s3") },
      });
      assert.equal(((await read.json()) as { name: string }).name, "through-proxy");
      const missing = await fetch(`${recorder.url}/records/nope`, {
        method: "DELETE",
        headers: { authorization: sign("s3") },
      });
      assert.equal(missing.status, 404);
      assert.deepEqual(
        recorder.calls.map((c) => [c.service, c.operation, c.write, c.status]),
        [
          ["personalize", "CreateDatasetGroup", true, 201],
          ["s3", `GET /records/${id}`, false, 200],
          ["s3", "DELETE /records/nope", true, 404],
        ],
      );
      assert.equal(recorder.writes().length, 2);
      assert.deepEqual(server.calls, ["POST through-proxy", "GET through-proxy", "DELETE nope"]);
    } finally {
      await recorder.close();
    }
  });

  it("reports the status a Describe answer carries", async () => {
    const reports: unknown[] = [];
    const recorder = await startApiRecorder(server.url, { onStatus: (r) => reports.push(r) });
    try {
      // A stored record echoes its body back, so it can play a DescribeCampaign answer.
      const campaign = { campaignArn: "arn:aws:personalize:us-east-1:1:campaign/c", name: "c" };
      const stored = async (status: string) => {
        const res = await fetch(`${server.url}/records`, {
          method: "POST",
          body: JSON.stringify({ name: "c", campaign: { ...campaign, status } }),
        });
        return ((await res.json()) as { id: string }).id;
      };
      const describe = (id: string) =>
        fetch(`${recorder.url}/records/${id}`, {
          headers: { "x-amz-target": "AmazonPersonalize.DescribeCampaign" },
        }).then((r) => r.json());
      const pending = await describe(await stored("CREATE PENDING"));
      assert.equal((pending as any).campaign.status, "CREATE PENDING", "the answer passes through");
      await describe(await stored("ACTIVE"));
      assert.deepEqual(reports, [
        { kind: "campaign", arn: campaign.campaignArn, name: "c", status: "CREATE PENDING" },
        { kind: "campaign", arn: campaign.campaignArn, name: "c", status: "ACTIVE" },
      ]);
    } finally {
      await recorder.close();
    }
  });

  it("answers 502 naming the target when it cannot reach it", async () => {
    const recorder = await startApiRecorder("http://127.0.0.1:9");
    try {
      const res = await fetch(`${recorder.url}/x`);
      assert.equal(res.status, 502);
      assert.match(await res.text(), /cannot reach http:\/\/127\.0\.0\.1:9/);
    } finally {
      await recorder.close();
    }
  });
});
