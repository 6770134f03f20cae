// The emulator against the official service models (emulator/api, generated from botocore):
// for every implemented operation of the three APIs, a valid request and one violation per
// constraint of its input, each with and without existing resources, sent raw; and every
// successful answer checked member by member against the operation's output shape.
import {
  CreateDatasetImportJobCommand,
  CreateSolutionCommand,
  CreateSolutionVersionCommand,
  DescribeDatasetImportJobCommand,
  DescribeSolutionCommand,
} from "@aws-sdk/client-personalize";
import { strict as assert } from "node:assert";
import { randomUUID } from "node:crypto";
import { PERSONALIZE } from "../../emulator/api/personalize";
import { PERSONALIZE_EVENTS } from "../../emulator/api/personalize-events";
import { PERSONALIZE_RUNTIME } from "../../emulator/api/personalize-runtime";
import type { ServiceModel } from "../../emulator/api/shapes";
import { outputProblems } from "../../emulator/api/validate";
import { INTERACTIONS_SCHEMA } from "../support/schemas";
import { settle, type Harness } from "../dataplane/stack";
import { control, send, signedFor, type Reply } from "./helpers";
import { CaseDeriver, PATTERN_SAMPLES, wholeMatch } from "./model-cases";
import { fresh, quiesce, startWorld, type World } from "./world";

type Body = Record<string, unknown>;
const RECIPE = "arn:aws:personalize:::recipe/aws-sims";
const FILTER = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")';

/**
 * What an implemented operation is asked and answers. `body` is a valid request against the
 * world; `existing` its answer (200, or the error a rule gives); `missing` the answer when the
 * resources it names do not exist (null: it names none).
 */
interface Valid {
  body(w: World): Body;
  /** A valid request that needs fresh state (made just before it is sent). */
  prepare?(h: Harness, w: World): Promise<Body>;
  existing?: string;
  missing?: string | null;
}

const NOT_FOUND = "ResourceNotFoundException";

const CONTROL_PLANE: Record<string, Valid> = {
  CreateDatasetGroup: { body: () => ({ name: fresh("group") }), missing: null },
  DescribeDatasetGroup: { body: (w) => ({ datasetGroupArn: w.groupArn }) },
  ListDatasetGroups: { body: () => ({}), missing: null },
  DeleteDatasetGroup: { body: (w) => ({ datasetGroupArn: w.spare.groupArn }) },
  CreateSchema: {
    body: () => ({ name: fresh("schema"), schema: INTERACTIONS_SCHEMA }),
    missing: null,
  },
  DescribeSchema: { body: (w) => ({ schemaArn: w.schemaArn }) },
  ListSchemas: { body: () => ({}), missing: null },
  DeleteSchema: { body: (w) => ({ schemaArn: w.spare.schemaArn }) },
  CreateDataset: {
    body: (w) => ({
      name: fresh("users"),
      schemaArn: w.usersSchemaArn,
      datasetGroupArn: w.groupArn,
      datasetType: "Users",
    }),
  },
  DescribeDataset: { body: (w) => ({ datasetArn: w.datasetArn }) },
  ListDatasets: { body: (w) => ({ datasetGroupArn: w.groupArn }), missing: "200" },
  UpdateDataset: {
    body: (w) => ({ datasetArn: w.itemsDatasetArn, schemaArn: w.widerItemsSchemaArn }),
  },
  DeleteDataset: { body: (w) => ({ datasetArn: w.spare.datasetArn }) },
  CreateDatasetImportJob: {
    body: (w) => ({
      jobName: fresh("job"),
      datasetArn: w.datasetArn,
      dataSource: { dataLocation: w.dataLocation },
    }),
  },
  DescribeDatasetImportJob: { body: (w) => ({ datasetImportJobArn: w.importJobArn }) },
  ListDatasetImportJobs: { body: (w) => ({ datasetArn: w.datasetArn }), missing: "200" },
  CreateSolution: {
    body: (w) => ({ name: fresh("solution"), datasetGroupArn: w.groupArn, recipeArn: RECIPE }),
  },
  DescribeSolution: { body: (w) => ({ solutionArn: w.solutionArn }) },
  ListSolutions: { body: (w) => ({ datasetGroupArn: w.groupArn }), missing: "200" },
  UpdateSolution: { body: (w) => ({ solutionArn: w.solutionArn, performAutoTraining: false }) },
  DeleteSolution: { body: (w) => ({ solutionArn: w.spare.solutionArn }) },
  CreateSolutionVersion: { body: (w) => ({ solutionArn: w.solutionArn }) },
  DescribeSolutionVersion: { body: (w) => ({ solutionVersionArn: w.versionArn }) },
  ListSolutionVersions: { body: (w) => ({ solutionArn: w.solutionArn }) },
  StopSolutionVersionCreation: {
    body: (w) => ({ solutionVersionArn: w.versionArn }),
    // A version created when no other work is in flight: the world's clock stands still, so
    // the Stop request's own lifecycle step moves it to CREATE IN_PROGRESS, where it can stop.
    prepare: async (h, w) => {
      await quiesce(h);
      const { solutionVersionArn } = await h.personalize.send(
        new CreateSolutionVersionCommand({ solutionArn: w.solutionArn }),
      );
      return { solutionVersionArn };
    },
  },
  GetSolutionMetrics: { body: (w) => ({ solutionVersionArn: w.versionArn }) },
  CreateCampaign: { body: (w) => ({ name: fresh("campaign"), solutionVersionArn: w.versionArn }) },
  DescribeCampaign: { body: (w) => ({ campaignArn: w.campaignArn }) },
  ListCampaigns: { body: (w) => ({ solutionArn: w.solutionArn }), missing: "200" },
  UpdateCampaign: { body: (w) => ({ campaignArn: w.campaignArn, minProvisionedTPS: 2 }) },
  DeleteCampaign: { body: (w) => ({ campaignArn: w.spare.campaignArn }) },
  CreateEventTracker: {
    body: (w) => ({ name: fresh("tracker"), datasetGroupArn: w.trackerlessGroupArn }),
  },
  DescribeEventTracker: { body: (w) => ({ eventTrackerArn: w.eventTrackerArn }) },
  ListEventTrackers: { body: (w) => ({ datasetGroupArn: w.groupArn }), missing: "200" },
  DeleteEventTracker: { body: (w) => ({ eventTrackerArn: w.spare.eventTrackerArn }) },
  CreateFilter: {
    body: (w) => ({ name: fresh("filter"), datasetGroupArn: w.groupArn, filterExpression: FILTER }),
  },
  DescribeFilter: { body: (w) => ({ filterArn: w.filterArn }) },
  ListFilters: { body: (w) => ({ datasetGroupArn: w.groupArn }), missing: "200" },
  DeleteFilter: { body: (w) => ({ filterArn: w.spare.filterArn }) },
  DescribeRecipe: { body: () => ({ recipeArn: RECIPE }) },
  ListRecipes: { body: () => ({}), missing: null },
  TagResource: {
    body: (w) => ({ resourceArn: w.groupArn, tags: [{ tagKey: "team", tagValue: "ml" }] }),
  },
  UntagResource: { body: (w) => ({ resourceArn: w.groupArn, tagKeys: ["team"] }) },
  ListTagsForResource: { body: (w) => ({ resourceArn: w.groupArn }) },
};

const RUNTIME: Record<string, Valid> = {
  GetRecommendations: { body: (w) => ({ campaignArn: w.campaignArn, userId: "user-1" }) },
  GetPersonalizedRanking: {
    body: (w) => ({
      campaignArn: w.rankingCampaignArn,
      userId: "user-1",
      inputList: ["shoes-1", "hats-2", "not-imported"],
    }),
  },
  // The emulator trains no PERSONALIZED_ACTIONS recipe, so no campaign can answer it.
  GetActionRecommendations: {
    body: (w) => ({ campaignArn: w.campaignArn, userId: "user-1" }),
    existing: "InvalidInputException",
  },
};

const EVENTS: Record<string, Valid> = {
  PutEvents: {
    body: (w) => ({
      trackingId: w.trackingId,
      sessionId: "session-1",
      userId: "user-1",
      eventList: [{ eventType: "click", sentAt: 1_780_000_000, itemId: "shoes-1" }],
    }),
    // An unknown trackingId: PutEvents models no ResourceNotFoundException.
    missing: "InvalidInputException",
  },
};

const SERVICES: [ServiceModel, Record<string, Valid>][] = [
  [PERSONALIZE, CONTROL_PLANE],
  [PERSONALIZE_RUNTIME, RUNTIME],
  [PERSONALIZE_EVENTS, EVENTS],
];

/** The request with every resource it names replaced by one that does not exist. */
function withoutResources(value: unknown, member = ""): unknown {
  if (typeof value === "string") {
    if (member === "trackingId") return randomUUID();
    return value.startsWith("arn:aws:personalize:") ? `${value}-missing` : value;
  }
  if (Array.isArray(value)) return value.map((v) => withoutResources(v));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutResources(v, k)]));
  return value;
}

async function call(h: Harness, model: ServiceModel, op: string, body: Body): Promise<Reply> {
  const text = JSON.stringify(body);
  const http = model.operations[op].http;
  if (!http) return control(h.emulator.url, op, text);
  return send(
    h.emulator.url,
    http.method,
    http.uri,
    { authorization: signedFor("personalize"), "content-type": "application/json" },
    text,
  );
}

const VALIDATION = /^\d+ validation errors? detected: /;

/**
 * Why `reply` is not the model's answer, or undefined when it is. `expected` is `200` or an
 * error code; with `path`, the error must be the validation error naming that path.
 */
function mismatch(
  model: ServiceModel,
  op: string,
  reply: Reply,
  expected: string,
  path?: string,
): string | undefined {
  const shown = `${reply.status} ${reply.body.slice(0, 300)}`;
  if (expected === "200") return reply.status === 200 ? undefined : `expected 200, got ${shown}`;
  const status = model.operations[op].errors[expected] ?? 400;
  if (path === undefined && model.operations[op].errors[expected] === undefined)
    throw new Error(`the test expects ${expected}, which ${op} does not model`);
  let error: { __type?: string; message?: string };
  try {
    error = JSON.parse(reply.body) as typeof error;
  } catch {
    return `expected ${status} ${expected}, got ${shown}`;
  }
  if (reply.status !== status || error.__type !== expected)
    return `expected ${status} ${expected}, got ${shown}`;
  const message = error.message ?? "";
  if (path !== undefined)
    return VALIDATION.test(message) && message.includes(`at '${path}'`)
      ? undefined
      : `expected a validation error at '${path}', got ${shown}`;
  return VALIDATION.test(message) ? `a valid request was refused: ${shown}` : undefined;
}

interface Planned {
  model: ServiceModel;
  op: string;
  valid: Valid;
  violations: ReturnType<CaseDeriver["cases"]>;
  variants: ("existing" | "missing")[];
}

const PLAN: Planned[] = SERVICES.flatMap(([model, valid]) => {
  const deriver = new CaseDeriver(model);
  return Object.entries(valid).map(([op, v]) => ({
    model,
    op,
    valid: v,
    violations: deriver.cases(op),
    variants: v.missing === null ? ["existing"] : ["existing", "missing"],
  }));
});
const CASES = PLAN.reduce((n, p) => n + p.variants.length * (p.violations.length + 1), 0);

describe(`emulator against the service models: ${CASES} generated cases`, function () {
  let h: Harness;
  let w: World;
  let matched = 0;
  before(async () => ({ h, w } = await startWorld()));
  after(async () => {
    console.log(`      service-model cases matched: ${matched} of ${CASES}`);
    await h?.close();
  });

  it("covers every operation the emulator serves, and no other answers but UnknownOperationException", async () => {
    for (const [model, valid] of SERVICES)
      for (const op of Object.keys(model.operations)) {
        if (valid[op]) continue;
        const reply = await call(h, model, op, {});
        const expected = model.protocol === "json" ? 400 : 404;
        assert.equal(reply.status, expected, `${op}: ${reply.body}`);
        assert.equal(JSON.parse(reply.body).__type, "UnknownOperationException", op);
        assert.match(JSON.parse(reply.body).message, /not supported by this emulator/, op);
      }
  });

  it("samples that satisfy their patterns", () => {
    for (const [shape, sample] of Object.entries(PATTERN_SAMPLES)) {
      const pattern = [PERSONALIZE, PERSONALIZE_RUNTIME, PERSONALIZE_EVENTS]
        .map((m) => m.shapes[shape])
        .find((s) => s?.type === "string" && s.pattern)!;
      assert.ok(pattern, `${shape} is a patterned string of a model`);
      assert.match(sample, wholeMatch((pattern as { pattern: string }).pattern), shape);
    }
  });

  /** Each List operation, its items' member, and the Describe of one item by its ARN member. */
  const LISTED: [string, string, string, string][] = [
    ["ListDatasetGroups", "datasetGroups", "DescribeDatasetGroup", "datasetGroupArn"],
    ["ListSchemas", "schemas", "DescribeSchema", "schemaArn"],
    ["ListDatasets", "datasets", "DescribeDataset", "datasetArn"],
    [
      "ListDatasetImportJobs",
      "datasetImportJobs",
      "DescribeDatasetImportJob",
      "datasetImportJobArn",
    ],
    ["ListSolutions", "solutions", "DescribeSolution", "solutionArn"],
    ["ListSolutionVersions", "solutionVersions", "DescribeSolutionVersion", "solutionVersionArn"],
    ["ListCampaigns", "campaigns", "DescribeCampaign", "campaignArn"],
    ["ListEventTrackers", "eventTrackers", "DescribeEventTracker", "eventTrackerArn"],
    ["ListFilters", "Filters", "DescribeFilter", "filterArn"],
    ["ListRecipes", "recipes", "DescribeRecipe", "recipeArn"],
  ];

  /** Calls a control-plane operation and checks its answer against the output shape. */
  async function shaped(op: string, body: Body, problems: string[]): Promise<Body> {
    const reply = await call(h, PERSONALIZE, op, body);
    assert.equal(reply.status, 200, `${op} ${JSON.stringify(body)}: ${reply.body}`);
    const answer = JSON.parse(reply.body) as Body;
    for (const problem of outputProblems(PERSONALIZE, op, answer))
      problems.push(`${op} ${JSON.stringify(body)}: ${problem}`);
    return answer;
  }

  for (const { model, op, valid, violations, variants } of PLAN)
    it(`${model.service} ${op}: ${violations.length} violations and a valid request, ${variants.join(" and ")}`, async () => {
      const problems: string[] = [];
      const base = { existing: valid.body(w), missing: withoutResources(valid.body(w)) as Body };
      const record = (what: string, problem: string | undefined) => {
        if (problem === undefined) matched++;
        else problems.push(`${what}: ${problem}`);
      };
      for (const violation of violations)
        for (const variant of variants) {
          const reply = await call(h, model, op, violation.apply(base[variant]));
          record(
            `${variant} ${violation.what}`,
            mismatch(model, op, reply, "InvalidInputException", violation.path),
          );
        }
      if (variants.includes("missing")) {
        const reply = await call(h, model, op, base.missing);
        record("valid, missing", mismatch(model, op, reply, valid.missing ?? NOT_FOUND));
      }
      const request = valid.prepare ? await valid.prepare(h, w) : base.existing;
      const reply = await call(h, model, op, request);
      record("valid, existing", mismatch(model, op, reply, valid.existing ?? "200"));
      if (reply.status === 200) {
        const body = reply.body === "" ? undefined : JSON.parse(reply.body);
        for (const problem of outputProblems(model, op, body))
          problems.push(`response shape: ${problem}`);
      }
      assert.deepEqual(problems, []);
    });

  it("answers every List page and every Describe in the model's output shapes, in every state reached", async () => {
    const p = h.personalize;
    // States the operations above did not leave: a failed import, a trained AutoML solution.
    const { datasetImportJobArn } = await p.send(
      new CreateDatasetImportJobCommand({
        jobName: fresh("failing"),
        datasetArn: w.datasetArn,
        dataSource: { dataLocation: "s3://model-world/no-such-file.csv" },
      }),
    );
    const failed = await settle(
      async () =>
        (await p.send(new DescribeDatasetImportJobCommand({ datasetImportJobArn })))
          .datasetImportJob!,
    );
    assert.equal(failed.status, "CREATE FAILED");
    const { solutionArn } = await p.send(
      new CreateSolutionCommand({
        name: fresh("automl"),
        datasetGroupArn: w.groupArn,
        performAutoML: true,
      }),
    );
    await settle(
      async () => (await p.send(new DescribeSolutionCommand({ solutionArn }))).solution!,
    );
    const problems: string[] = [];
    const seen = new Set<string>();
    let checked = 0;
    for (const [list, items, describe, arnMember] of LISTED) {
      let nextToken: string | undefined;
      do {
        const page = await shaped(list, { maxResults: 3, nextToken }, problems);
        nextToken = page.nextToken as string | undefined;
        for (const item of page[items] as Body[]) {
          const arn = item[arnMember] as string;
          const described = await shaped(describe, { [arnMember]: arn }, problems);
          for (const member of Object.keys(Object.values(described)[0] as Body)) seen.add(member);
          if (list !== "ListSchemas" && list !== "ListRecipes")
            await shaped("ListTagsForResource", { resourceArn: arn }, problems);
          if (describe === "DescribeSolutionVersion" && item.status === "ACTIVE")
            await shaped("GetSolutionMetrics", { solutionVersionArn: arn }, problems);
          checked++;
        }
      } while (nextToken);
    }
    assert.deepEqual(problems, []);
    for (const member of [
      "latestDatasetUpdate",
      "latestSolutionUpdate",
      "latestCampaignUpdate",
      "latestSolutionVersion",
      "failureReason",
      "trainingHours",
      "autoMLResult",
    ])
      assert.ok(seen.has(member), `some Describe shows ${member}`);
    assert.ok(checked > 40, `${checked} resources described`);
  });
});
