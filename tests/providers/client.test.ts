import assert from "node:assert/strict";
import { S3 } from "@aws-sdk/client-s3";
import type { LocalS3, LocalS3Config } from "../../providers";
import { isLoopback, listAll, paceFor, personalizeApi, s3Api } from "../../providers";
import { clearCredentials, startTestEmulator } from "./helpers";

describe("providers: clients", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  for (const [endpoint, loopback] of [
    ["http://127.0.0.1:4599", true],
    ["http://localhost:4599/prefix", true],
    ["http://[::1]:4599", true],
    ["https://personalize.us-east-1.amazonaws.com", false],
    ["http://10.0.0.5:4599", false],
    ["not a url", false],
    [undefined, false],
  ] as const) {
    it(`${String(endpoint)} is ${loopback ? "" : "not "}the local emulator`, () => {
      assert.equal(isLoopback(endpoint), loopback);
      // Polls start fast against the emulator, slow against AWS.
      assert.deepEqual(
        paceFor(endpoint),
        loopback
          ? { initialMs: 50, factor: 1.5, capMs: 2000 }
          : { initialMs: 5000, factor: 1.5, capMs: 20000 },
      );
    });
  }

  it("gives the local kinds the SDK's own S3 client, which fits the calls they make", () => {
    // s3Api types the client by the calls of providers/s3.ts (LocalS3) instead of importing the
    // SDK's declarations: this assignment is where `tsc` holds the SDK's client to that shape.
    const sdkClient: new (config: LocalS3Config) => LocalS3 = S3;
    const client = s3Api({ region: "us-east-1", endpoint: "http://127.0.0.1:4599" });
    assert.ok(client instanceof sdkClient);
    (client as S3).destroy();
  });

  it("falls back to dummy credentials for the emulator when the environment has none", async () => {
    clearCredentials();
    for (const client of [
      personalizeApi({ region: "us-east-1", endpoint: "http://127.0.0.1:4599" }),
      s3Api({ region: "us-east-1", endpoint: "http://127.0.0.1:4599" }) as S3,
    ]) {
      const credentials = await client.config.credentials();
      assert.equal(credentials.accessKeyId, "emulator");
      client.destroy();
    }
  });

  it("uses the environment's credentials whenever there are some, even for the emulator", async () => {
    process.env.AWS_ACCESS_KEY_ID = "AKIDFROMENV";
    process.env.AWS_SECRET_ACCESS_KEY = "secret";
    const client = personalizeApi({ region: "us-east-1", endpoint: "http://127.0.0.1:4599" });
    assert.equal((await client.config.credentials()).accessKeyId, "AKIDFROMENV");
    client.destroy();
  });

  it("never invents credentials for AWS itself", async () => {
    clearCredentials();
    process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/credentials";
    process.env.AWS_CONFIG_FILE = "/nonexistent/config";
    process.env.AWS_EC2_METADATA_DISABLED = "true";
    const client = personalizeApi({ region: "us-east-1" });
    await assert.rejects(client.config.credentials());
    client.destroy();
  });

  it("lists every page of a paginated call, one request a page", async () => {
    const running = await startTestEmulator({ durationScale: 0 });
    try {
      const api = personalizeApi({ region: "us-east-1", endpoint: running.emulator.url });
      const names = ["a", "b", "c"].map((n) => `pages-${n}`);
      for (const name of names) await api.createDatasetGroup({ name });
      const tokens: (string | undefined)[] = [];
      const groups = await listAll(
        (token) => {
          tokens.push(token.nextToken);
          return api.listDatasetGroups({ maxResults: 1, ...token });
        },
        (page) => page.datasetGroups,
      );
      assert.deepEqual(groups.map((g) => g.name).sort(), names);
      // A first call without a token, then one per page the service said was left.
      assert.equal(tokens.length, 3);
      assert.equal(tokens[0], undefined);
      assert.ok(tokens.slice(1).every((t) => typeof t === "string" && t !== ""));
      api.destroy();
    } finally {
      await running.close();
    }
  });
});
