import { strict as assert } from "assert";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { loadStackConfig, readStack } from "../../offline/stack-config";

describe("offline stack config (Pulumi.yaml + Pulumi.<stack>.yaml)", () => {
  let dir: string;
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "stack-config-"));
    write(
      "Pulumi.yaml",
      [
        "name: demo",
        "runtime: nodejs",
        "main: app.ts",
        "config:",
        "  size:",
        "    type: integer",
        "    default: 3",
        "  mode:",
        "    type: string",
        "  flag: true",
        "  aws:region: eu-west-1",
      ].join("\n"),
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("takes project defaults, then the stack file's values, as namespaced strings", () => {
    write(
      "Pulumi.local.yaml",
      [
        "config:",
        "  demo:size: 5",
        "  aws:region: us-east-1",
        "  demo:tags:",
        "    team: recs",
      ].join("\n"),
    );
    const files = loadStackConfig(dir, "local");
    assert.equal(files.project, "demo");
    assert.equal(files.main, "app.ts");
    assert.deepEqual(files.config, {
      "demo:size": "5",
      "demo:flag": "true",
      "aws:region": "us-east-1",
      "demo:tags": '{"team":"recs"}',
    });
  });

  it("refuses a secure value, naming the key", () => {
    write("Pulumi.local.yaml", ["config:", "  demo:token:", "    secure: AAABAK3x"].join("\n"));
    assert.throws(
      () => loadStackConfig(dir, "local"),
      /config "demo:token" is a secret \(secure:\)/,
    );
  });

  it("names the missing stack file", () => {
    assert.throws(() => loadStackConfig(dir, "prod"), /no stack file Pulumi\.prod\.yaml/);
  });

  it("reads the project's own local stack, and parses it as the program does", () => {
    const files = readStack(join(__dirname, "../.."), "local");
    assert.equal(files.config[`${files.project}:target`], "local");
    assert.equal(files.parsed.target, "local");
    assert.equal(files.parsed.endpoint, "http://127.0.0.1:4599");
    assert.equal(files.parsed.dataFile, "data/interactions.csv", "Pulumi.yaml's default");
    assert.equal(files.parsed.names.campaign, "segment-workshop-campaign");
  });

  it("refuses a stack whose config the program would refuse, naming the key and value", () => {
    write("Pulumi.yaml", "name: personalize-workshop\nruntime: nodejs\n");
    write(
      "Pulumi.local.yaml",
      "config:\n  personalize-workshop:target: local\n  personalize-workshop:minProvisionedTPS: 0\n",
    );
    assert.throws(
      () => readStack(dir, "local"),
      /personalize-workshop:minProvisionedTPS must be a whole number of at least 1, got "0"/,
    );
  });
});
