// Validation, error types, pagination and regions, as the real service answers them.
import {
  CreateDatasetCommand,
  CreateDatasetGroupCommand,
  CreateDatasetImportJobCommand,
  CreateFilterCommand,
  CreateSchemaCommand,
  CreateSolutionCommand,
  DescribeCampaignCommand,
  DescribeDatasetGroupCommand,
  DescribeRecipeCommand,
  ListDatasetGroupsCommand,
  ListRecipesCommand,
  ListSchemasCommand,
  ListSolutionVersionsCommand,
  PersonalizeClient,
  paginateListDatasetGroups,
} from "@aws-sdk/client-personalize";
import { strict as assert } from "node:assert";
import { ManualClock } from "../../emulator";
import { clientConfig } from "../support/emulator";
import {
  INTERACTIONS_SCHEMA,
  ITEMS_SCHEMA,
  eventually,
  harness,
  rejection,
  type Harness,
} from "./helpers";

describe("emulator validation and errors", function () {
  let h: Harness;
  let clock: ManualClock;
  let groupArn: string;
  before(async () => {
    clock = new ManualClock();
    h = await harness({ clock, durationScale: 1, accountId: "123456789012" });
    groupArn = (await h.personalize.send(new CreateDatasetGroupCommand({ name: "base" })))
      .datasetGroupArn!;
    clock.advance(60_000);
  });
  after(() => h.close());

  /** CreateDataset with only the required inputs. */
  const createDataset = (
    name: string,
    datasetGroupArn: string | undefined,
    schemaArn: string | undefined,
    datasetType: string,
  ) =>
    h.personalize.send(new CreateDatasetCommand({ name, datasetGroupArn, schemaArn, datasetType }));

  const expectError = async (promise: Promise<unknown>, name: string, message?: RegExp) => {
    const err = await rejection(promise);
    assert.equal(err.name, name, err.message);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    if (message) assert.match(err.message, message);
  };

  it("shapes ARNs with the account id and the region of the request's signature", async () => {
    assert.equal(groupArn, "arn:aws:personalize:us-east-1:123456789012:dataset-group/base");
    const eu = new PersonalizeClient(clientConfig(h.emulator.url, "eu-west-1"));
    const { datasetGroupArn } = await eu.send(new CreateDatasetGroupCommand({ name: "base" }));
    assert.equal(datasetGroupArn, "arn:aws:personalize:eu-west-1:123456789012:dataset-group/base");
    const euNames = (await eu.send(new ListDatasetGroupsCommand({}))).datasetGroups!.map(
      (g) => g.datasetGroupArn,
    );
    assert.deepEqual(euNames, [datasetGroupArn]);
    eu.destroy();
  });

  it("rejects bad names, patterns, enums, lengths and missing members with InvalidInputException, wrong types with SerializationException", async () => {
    const p = h.personalize;
    await expectError(
      p.send(new CreateDatasetGroupCommand({ name: "bad name!" })),
      "InvalidInputException",
      /'name'.*pattern/,
    );
    await expectError(
      p.send(new CreateDatasetGroupCommand({ name: "x".repeat(64) })),
      "InvalidInputException",
      /length less than or equal to 63/,
    );
    await expectError(
      p.send(new CreateDatasetGroupCommand({ name: "" })),
      "InvalidInputException",
      /'name'/,
    );
    await expectError(
      p.send(new CreateDatasetGroupCommand({ name: "d", domain: "BOOKS" as never })),
      "InvalidInputException",
      /enum value set: \[ECOMMERCE, VIDEO_ON_DEMAND\]/,
    );
    await expectError(
      p.send(new CreateDatasetGroupCommand({ name: 42 as never })),
      "SerializationException",
      /Value 42 at 'name' cannot be read: it is a number, and the member is a string/,
    );
    await expectError(
      p.send(
        new CreateDatasetGroupCommand({
          name: "many-bad-tags",
          tags: Array.from({ length: 12 }, (_, i) => ({ tagKey: `bad key ${i}!`, tagValue: "v" })),
        }),
      ),
      "InvalidInputException",
      /^12 validation errors detected: Value at 'tags.1.member.tagKey' failed to satisfy constraint: Member must satisfy regular expression pattern: .*; and 2 more$/,
    );
    await expectError(
      p.send(new CreateDatasetGroupCommand({} as never)),
      "InvalidInputException",
      /'name'.*must not be null/,
    );
    await expectError(
      p.send(
        new CreateDatasetGroupCommand({
          name: "keyless",
          roleArn: "arn:aws:iam::123456789012:role/r",
        }),
      ),
      "InvalidInputException",
      /roleArn is only valid together with kmsKeyArn/,
    );
    await expectError(
      p.send(new DescribeDatasetGroupCommand({ datasetGroupArn: "not-an-arn" })),
      "InvalidInputException",
      /datasetGroupArn/,
    );
    await expectError(
      p.send(new CreateSchemaCommand({ name: "no-schema" } as never)),
      "InvalidInputException",
      /'schema'/,
    );
    await expectError(
      p.send(
        new CreateDatasetImportJobCommand({
          jobName: "j",
          datasetArn: groupArn,
          dataSource: { dataLocation: "ftp://x/y" },
        }),
      ),
      "InvalidInputException",
      /dataSource.dataLocation/,
    );
    await expectError(
      p.send(
        new CreateFilterCommand({
          name: "f",
          datasetGroupArn: groupArn,
          filterExpression: "SELECT * FROM items",
        }),
      ),
      "InvalidInputException",
      /Could not create filter/,
    );
  });

  it("parses Avro at CreateSchema and checks fields against the dataset type at CreateDataset", async () => {
    const p = h.personalize;
    await expectError(
      p.send(new CreateSchemaCommand({ name: "broken", schema: "{not json" })),
      "InvalidInputException",
      /Invalid schema/,
    );
    const nested = JSON.parse(INTERACTIONS_SCHEMA);
    nested.fields.push({ name: "TAGS", type: { type: "array", items: "string" } });
    await expectError(
      p.send(new CreateSchemaCommand({ name: "nested", schema: JSON.stringify(nested) })),
      "InvalidInputException",
      /TAGS/,
    );
    const { schemaArn } = await p.send(
      new CreateSchemaCommand({ name: "items-schema", schema: ITEMS_SCHEMA }),
    );
    await expectError(
      createDataset("wrong", groupArn, schemaArn, "Interactions"),
      "InvalidInputException",
      /not valid for a INTERACTIONS dataset/,
    );
    await expectError(
      createDataset("wrong", groupArn, schemaArn, "Things"),
      "InvalidInputException",
      /Invalid datasetType "Things"/,
    );
  });

  it("requires a dataset's schema to belong to the dataset group's domain", async () => {
    const p = h.personalize;
    const { datasetGroupArn } = await p.send(
      new CreateDatasetGroupCommand({ name: "shop", domain: "ECOMMERCE" }),
    );
    clock.advance(60_000);
    const { schemaArn } = await p.send(
      new CreateSchemaCommand({ name: "custom-interactions", schema: INTERACTIONS_SCHEMA }),
    );
    await expectError(
      createDataset("shop-ds", datasetGroupArn, schemaArn, "Interactions"),
      "InvalidInputException",
      /domain none \(custom\) but dataset group .* has domain ECOMMERCE/,
    );
  });

  it("answers unknown ARNs with ResourceNotFoundException and taken names with ResourceAlreadyExistsException", async () => {
    const p = h.personalize;
    await expectError(
      p.send(
        new DescribeCampaignCommand({
          campaignArn: "arn:aws:personalize:us-east-1:123456789012:campaign/nope",
        }),
      ),
      "ResourceNotFoundException",
      /campaign\/nope/,
    );
    await expectError(
      p.send(new DescribeRecipeCommand({ recipeArn: "arn:aws:personalize:::recipe/aws-nope" })),
      "ResourceNotFoundException",
    );
    await expectError(
      p.send(
        new ListSolutionVersionsCommand({
          solutionArn: "arn:aws:personalize:us-east-1:123456789012:solution/nope",
        }),
      ),
      "ResourceNotFoundException",
    );
    await expectError(
      p.send(
        new CreateSolutionCommand({
          name: "s",
          datasetGroupArn: groupArn,
          recipeArn: "arn:aws:personalize:::recipe/aws-nope",
        }),
      ),
      "ResourceNotFoundException",
      /Recipe/,
    );
    await expectError(
      p.send(new CreateDatasetGroupCommand({ name: "base" })),
      "ResourceAlreadyExistsException",
      /dataset-group\/base/,
    );
    const { schemaArn } = await p.send(
      new CreateSchemaCommand({ name: "interactions", schema: INTERACTIONS_SCHEMA }),
    );
    await createDataset("first", groupArn, schemaArn, "INTERACTIONS");
    await expectError(
      createDataset("second", groupArn, schemaArn, "Interactions"),
      "ResourceAlreadyExistsException",
    );
    await expectError(
      p.send(new CreateSchemaCommand({ name: "interactions", schema: INTERACTIONS_SCHEMA })),
      "ResourceAlreadyExistsException",
    );
  });

  it("allows at most five pending import jobs (LimitExceededException), then accepts more once they finish", async () => {
    const p = h.personalize;
    clock.advance(60_000);
    const datasetArn = "arn:aws:personalize:us-east-1:123456789012:dataset/base/INTERACTIONS";
    const job = (i: number) =>
      p.send(
        new CreateDatasetImportJobCommand({
          jobName: `job-${i}`,
          datasetArn,
          dataSource: { dataLocation: `s3://b/${i}.csv` },
        }),
      );
    for (let i = 0; i < 5; i++) await job(i);
    await expectError(
      job(5),
      "LimitExceededException",
      /More than 5 resources with PENDING or IN_PROGRESS status/,
    );
    await expectError(job(0), "ResourceAlreadyExistsException");
    clock.advance(1_000);
    clock.advance(60_000);
    await eventually(
      () =>
        job(5).then(
          () => true,
          () => (clock.advance(1000), false),
        ),
      (ok) => ok,
      "sixth job accepted",
    );
  });

  it("pages List results with maxResults and nextToken, and rejects a forged token", async () => {
    const p = h.personalize;
    for (let i = 0; i < 7; i++) {
      clock.advance(1);
      await p.send(new CreateDatasetGroupCommand({ name: `page-${i}` }));
    }
    const first = await p.send(new ListDatasetGroupsCommand({ maxResults: 3 }));
    assert.equal(first.datasetGroups!.length, 3);
    assert.ok(first.nextToken);
    const seen: string[] = [];
    for await (const page of paginateListDatasetGroups({ client: p, pageSize: 3 }, {}))
      seen.push(...page.datasetGroups!.map((g) => g.name!));
    assert.equal(seen.length, new Set(seen).size, "no group twice");
    assert.deepEqual(
      seen.filter((n) => n.startsWith("page-")),
      ["page-6", "page-5", "page-4", "page-3", "page-2", "page-1", "page-0"],
    );
    await expectError(
      p.send(new ListDatasetGroupsCommand({ nextToken: "forged" })),
      "InvalidNextTokenException",
    );
    await expectError(
      p.send(new ListSchemasCommand({ nextToken: first.nextToken })),
      "InvalidNextTokenException",
    );
    await expectError(
      p.send(new ListDatasetGroupsCommand({ maxResults: 101 })),
      "InvalidInputException",
      /maxResults/,
    );
    const recipes = await p.send(new ListRecipesCommand({ maxResults: 100 }));
    const ids = recipes.recipes!.map((r) => r.recipeArn);
    for (const id of [
      "aws-hrnn",
      "aws-hrnn-metadata",
      "aws-hrnn-coldstart",
      "aws-user-personalization",
      "aws-sims",
      "aws-personalized-ranking",
    ])
      assert.ok(ids.includes(`arn:aws:personalize:::recipe/${id}`), id);
  });
});
