// The policy pack in policy/, run as the CLI runs it (offline/policy.ts: its own process, the
// analyzer protocol over gRPC), on the resources the real workshop stack produces: each policy
// passes the stack as configured and fails it when the config or a resource goes wrong.
import * as assert from "assert";
import * as path from "path";
import {
  AnalyzedResource,
  PolicyPackHandle,
  PolicyViolation,
  startPolicyPack,
} from "../../offline/policy";
import { POLICY } from "../../policy/policies";
import { PROJECT } from "../../stack/config";
import { DYNAMIC } from "../stack/mocks";
import { BuiltStack, buildStack, one, withProperties } from "./stack";

const PACK_DIR = path.resolve(__dirname, "../../policy");
const BUCKET = "aws:s3/bucket:Bucket";
const PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

/** `level policy resource-type`, sorted: what a user would read in the CLI's summary. */
function summary(violations: PolicyViolation[], resources: AnalyzedResource[]): string[] {
  const typeOf = (urn?: string) => resources.find((r) => r.urn === urn)?.type ?? "(stack)";
  return violations.map((v) => `${v.enforcementLevel} ${v.policyName} ${typeOf(v.urn)}`).sort();
}

describe("policy pack personalize-guardrails on the workshop stack", function () {
  // Starting the pack type-checks it with ts-node, as the CLI's run-policy-pack does.
  this.timeout(180000);
  let pack: PolicyPackHandle;

  before(async () => {
    pack = await startPolicyPack(PACK_DIR, { project: PROJECT, stack: "dev", dryRun: false });
  });

  after(async () => {
    await pack?.close();
  });

  beforeEach(() => pack.configure({}));

  async function resourceViolations(built: BuiltStack): Promise<PolicyViolation[]> {
    const found: PolicyViolation[] = [];
    for (const resource of built.inputs) found.push(...(await pack.analyze(resource)));
    return found;
  }

  async function everything(built: BuiltStack): Promise<string[]> {
    const found = [
      ...(await resourceViolations(built)),
      ...(await pack.analyzeStack(built.outputs)),
    ];
    return summary(found, built.inputs);
  }

  describe("the stack as configured", () => {
    it("dev on AWS passes every policy", async () => {
      assert.deepStrictEqual(await everything(await buildStack("dev", {})), []);
    });

    it("dev on AWS in preview: the unknown policy documents are reported as not checkable", async () => {
      const built = await buildStack("dev", {}, true);
      const stackViolations = await pack.analyzeStack(built.outputs);
      // The public access block is found through the engine's property dependencies even
      // though the bucket's id is unknown; the two policies that read a policy document say
      // they cannot run, as advisories, which is what the SDK does with unknown values.
      assert.deepStrictEqual(summary(stackViolations, built.inputs), [
        `advisory ${POLICY.roleReadOnly} (stack)`,
        `advisory ${POLICY.tlsOnly} (stack)`,
      ]);
      for (const v of stackViolations)
        assert.match(v.message, /can't run policy .* during preview/);
      assert.deepStrictEqual(summary(await resourceViolations(built), built.inputs), []);
    });

    it("the emulator's stack passes too, with the workshop's aws-hrnn", async () => {
      const built = await buildStack("dev", { target: "local", recipe: "aws-hrnn" });
      assert.deepStrictEqual(await everything(built), []);
    });
  });

  describe(POLICY.legacyRecipe, () => {
    it("stops aws-hrnn on AWS, as a mandatory violation on the solution", async () => {
      const built = await buildStack("dev", { recipe: "aws-hrnn" });
      const violations = await resourceViolations(built);
      assert.deepStrictEqual(summary(violations, built.inputs), [
        `mandatory ${POLICY.legacyRecipe} ${DYNAMIC("Solution")}`,
      ]);
      assert.match(
        violations[0].message,
        /solution "segment-workshop-solution" uses recipe aws-hrnn, which Amazon Personalize no longer accepts for new solutions: use aws-user-personalization/,
      );
    });

    it("also recognises the solution as a plain dynamic resource, by its properties", async () => {
      const built = await buildStack("dev", { recipe: "aws-hrnn-coldstart" });
      const plain = built.inputs.map((r) =>
        r.type.startsWith("pulumi-nodejs:dynamic/")
          ? { ...r, type: "pulumi-nodejs:dynamic:Resource" }
          : r,
      );
      assert.deepStrictEqual(
        summary(await resourceViolations({ ...built, inputs: plain }), plain),
        [`mandatory ${POLICY.legacyRecipe} pulumi-nodejs:dynamic:Resource`],
      );
    });
  });

  describe(POLICY.trainingOptIn, () => {
    it("flags automatic training without an opt-in, as advisory by default", async () => {
      const built = await buildStack("dev", { performAutoTraining: "true" });
      const violations = await resourceViolations(built);
      assert.deepStrictEqual(summary(violations, built.inputs), [
        `advisory ${POLICY.trainingOptIn} ${DYNAMIC("Solution")}`,
      ]);
      assert.match(violations[0].message, /performAutoTraining on \(set\)/);
      assert.match(
        violations[0].message,
        /"autoTrainingSolutions": \["segment-workshop-solution"\]/,
      );
    });

    it("becomes mandatory through the pack's config", async () => {
      await pack.configure({ [POLICY.trainingOptIn]: { enforcementLevel: "mandatory" } });
      const built = await buildStack("dev", { performAutoTraining: "true", performHPO: "true" });
      assert.deepStrictEqual(summary(await resourceViolations(built), built.inputs), [
        `mandatory ${POLICY.trainingOptIn} ${DYNAMIC("Solution")}`,
        `mandatory ${POLICY.trainingOptIn} ${DYNAMIC("Solution")}`,
      ]);
    });

    it("passes solutions listed as opted in", async () => {
      await pack.configure({
        [POLICY.trainingOptIn]: {
          enforcementLevel: "mandatory",
          properties: {
            autoTrainingSolutions: ["segment-workshop-solution"],
            hpoSolutions: ["segment-workshop-solution"],
          },
        },
      });
      const built = await buildStack("dev", { performAutoTraining: "true", performHPO: "true" });
      assert.deepStrictEqual(summary(await resourceViolations(built), built.inputs), []);
    });

    it("flags HPO on its own, and a solution that leaves automatic training to the service", async () => {
      const built = await buildStack("dev", { performHPO: "true" });
      const solution = one(built.inputs, DYNAMIC("Solution"));
      const { performAutoTraining: _unset, ...serviceDefault } = solution.properties;
      const violations = [
        ...(await pack.analyze(solution)),
        ...(await pack.analyze({ ...solution, properties: serviceDefault })),
      ];
      assert.deepStrictEqual(
        violations.map((v) => v.message.split("\n")[1].replace(/:.*/s, "")),
        [
          'solution "segment-workshop-solution" has performHPO on',
          `solution "segment-workshop-solution" has performAutoTraining on (the service's default)`,
          'solution "segment-workshop-solution" has performHPO on',
        ],
      );
    });
  });

  describe(POLICY.tpsCeiling, () => {
    it("stops a campaign above the default ceiling of 10", async () => {
      const built = await buildStack("dev", { minProvisionedTPS: "11" });
      const violations = await resourceViolations(built);
      assert.deepStrictEqual(summary(violations, built.inputs), [
        `mandatory ${POLICY.tpsCeiling} ${DYNAMIC("Campaign")}`,
      ]);
      assert.match(violations[0].message, /sets minProvisionedTPS 11, above the ceiling of 10/);
      const atCeiling = await buildStack("dev", { minProvisionedTPS: "10" });
      assert.deepStrictEqual(summary(await resourceViolations(atCeiling), atCeiling.inputs), []);
    });

    it("takes its ceiling from the pack's config", async () => {
      await pack.configure({ [POLICY.tpsCeiling]: { properties: { maxProvisionedTPS: 1 } } });
      const built = await buildStack("dev", { minProvisionedTPS: "2" });
      assert.deepStrictEqual(summary(await resourceViolations(built), built.inputs), [
        `mandatory ${POLICY.tpsCeiling} ${DYNAMIC("Campaign")}`,
      ]);
    });

    it("applies to a recommender, recognised by its properties", async () => {
      const recommender: AnalyzedResource = {
        urn: "urn:pulumi:dev::personalize-workshop::pulumi-nodejs:dynamic:Resource::recs",
        type: "pulumi-nodejs:dynamic:Resource",
        name: "recs",
        properties: {
          name: "segment-workshop-recommended-for-you",
          datasetGroupArn: "arn:aws:personalize:us-east-1:123456789012:dataset-group/g",
          recipeArn: "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
          recommenderConfig: { minRecommendationRequestsPerSecond: 50 },
          tags: { project: PROJECT, stack: "dev" },
        },
      };
      const violations = await pack.analyze(recommender);
      assert.deepStrictEqual(
        violations.map((v) => v.policyName),
        [POLICY.tpsCeiling],
      );
      assert.match(
        violations[0].message,
        /recommender "segment-workshop-recommended-for-you" sets recommenderConfig.minRecommendationRequestsPerSecond 50/,
      );
    });
  });

  describe(POLICY.stackTags, () => {
    it("flags a campaign tagged for another stack than the one deployed", async () => {
      // The pack runs for dev; these are the prod stack's resources.
      const built = await buildStack("prod", {});
      const violations = await resourceViolations(built);
      assert.deepStrictEqual(summary(violations, built.inputs), [
        `advisory ${POLICY.stackTags} ${DYNAMIC("Campaign")}`,
      ]);
      assert.match(violations[0].message, /has tag stack="prod", but this is stack "dev"/);
    });

    it("flags a required tag the campaign lacks, and passes once the stack sets it", async () => {
      await pack.configure({
        [POLICY.stackTags]: { properties: { requiredTags: ["project", "stack", "team"] } },
      });
      const untagged = await buildStack("dev", {});
      const violations = await resourceViolations(untagged);
      assert.deepStrictEqual(summary(violations, untagged.inputs), [
        `advisory ${POLICY.stackTags} ${DYNAMIC("Campaign")}`,
      ]);
      assert.match(violations[0].message, /lacks the tag team/);
      const tagged = await buildStack("dev", { tags: '{"team":"recs"}' });
      assert.deepStrictEqual(summary(await resourceViolations(tagged), tagged.inputs), []);
    });
  });

  describe("the data bucket and the role", () => {
    let built: BuiltStack;
    before(async () => {
      built = await buildStack("dev", {});
    });

    const stackSummary = async (outputs: AnalyzedResource[]) =>
      summary(await pack.analyzeStack(outputs), outputs);

    it(`${POLICY.publicAccessBlock}: a bucket without its block, or with one setting off`, async () => {
      const without = built.outputs.filter((r) => r.type !== PUBLIC_ACCESS_BLOCK);
      assert.deepStrictEqual(await stackSummary(without), [
        `mandatory ${POLICY.publicAccessBlock} ${BUCKET}`,
      ]);
      const partial = withProperties(built.outputs, PUBLIC_ACCESS_BLOCK, (p) => ({
        ...p,
        blockPublicPolicy: false,
      }));
      const violations = await pack.analyzeStack(partial);
      assert.match(violations[0].message, /public access block leaves blockPublicPolicy off/);
    });

    it(`${POLICY.tlsOnly}: a bucket policy without the deny on plain HTTP`, async () => {
      const open = withProperties(built.outputs, BUCKET_POLICY, (p) => {
        const document = JSON.parse(p.policy);
        document.Statement = document.Statement.filter(
          (s: { Sid: string }) => s.Sid !== "DenyInsecureTransport",
        );
        return { ...p, policy: JSON.stringify(document) };
      });
      assert.deepStrictEqual(await stackSummary(open), [`mandatory ${POLICY.tlsOnly} ${BUCKET}`]);
    });

    it(`${POLICY.roleReadOnly}: a role policy or inline policy granting a write`, async () => {
      const writes = withProperties(built.outputs, ROLE_POLICY, (p) => {
        const document = JSON.parse(p.policy);
        document.Statement[0].Action.push("s3:PutObject");
        return { ...p, policy: JSON.stringify(document) };
      });
      const violations = await pack.analyzeStack(writes);
      assert.deepStrictEqual(summary(violations, writes), [
        `mandatory ${POLICY.roleReadOnly} ${ROLE_POLICY}`,
      ]);
      assert.match(violations[0].message, /which Personalize assumes, s3:PutObject:/);

      const inline = withProperties(built.outputs, ROLE, (p) => ({
        ...p,
        inlinePolicies: [
          {
            name: "extra",
            policy: '{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}',
          },
        ],
      }));
      assert.deepStrictEqual(await stackSummary(inline), [
        `mandatory ${POLICY.roleReadOnly} ${ROLE}`,
      ]);
    });

    it(`${POLICY.roleReadOnly}: an action the pack's config allows passes`, async () => {
      await pack.configure({
        [POLICY.roleReadOnly]: { properties: { allowedActions: ["kms:Decrypt"] } },
      });
      const decrypts = withProperties(built.outputs, ROLE_POLICY, (p) => {
        const document = JSON.parse(p.policy);
        document.Statement[0].Action.push("kms:Decrypt");
        return { ...p, policy: JSON.stringify(document) };
      });
      assert.deepStrictEqual(await stackSummary(decrypts), []);
    });
  });
});
