// The GitHub workflows cannot run here (no Actions runner, no Pulumi CLI, no AWS), so this
// reads them as GitHub does (YAML) and checks what makes them work on the first run: every
// action input is one the action declares, tests run before any deployment, the CLI version is
// pinned, stacks are created when missing, forks are handled, prod waits for an approval, and
// the program runs transpile-only where npm test has type-checked it.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

const ROOT = path.resolve(__dirname, "../..");
const WORKFLOWS = path.join(ROOT, ".github/workflows");

/**
 * The inputs pulumi/actions v7 declares, copied from its action.yml at tag v7.0.0:
 * https://github.com/pulumi/actions/blob/8e5e406f4007fca908480587cb9893c07090f58d/action.yml
 * None is required; the action only installs the CLI when `command` is missing.
 */
const PULUMI_ACTIONS_V7_INPUTS = [
  "command",
  "stack-name",
  "pulumi-version",
  "pulumi-version-file",
  "work-dir",
  "comment-on-pr",
  "comment-on-pr-number",
  "comment-on-summary",
  "github-token",
  "cloud-url",
  "secrets-provider",
  "parallel",
  "message",
  "config-map",
  "expect-no-changes",
  "diff",
  "replace",
  "exclude",
  "exclude-dependents",
  "target",
  "target-dependents",
  "policyPacks",
  "policyPackConfigs",
  "refresh",
  "upsert",
  "remove",
  "edit-pr-comment",
  "color",
  "exclude-protected",
  "plan",
  "suppress-outputs",
  "suppress-progress",
  "always-include-summary",
  "continue-on-error",
  "log-verbosity",
  "log-flow",
  "debug",
];

interface Step {
  uses?: string;
  run?: string;
  name?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

interface Job {
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  steps: Step[];
}

interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

function load(file: string): Workflow {
  return yaml.load(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;
}

const isPulumi = (step: Step) => step.uses?.startsWith("pulumi/actions@") ?? false;
const runsTests = (step: Step) => /(^|\n)\s*npm test\s*($|\n)/.test(step.run ?? "");
const needsOf = (job: Job) => (job.needs === undefined ? [] : [job.needs].flat());
const pulumiStep = (job: Job) => {
  const steps = job.steps.filter(isPulumi);
  assert.strictEqual(steps.length, 1, "one pulumi/actions step");
  return steps[0];
};
const environmentOf = (job: Job) =>
  typeof job.environment === "string" ? job.environment : job.environment?.name;

/** Whether `npm test` has passed before `job` deploys: in an earlier step or a needed job. */
function testedBefore(workflow: Workflow, name: string, seen = new Set<string>()): boolean {
  if (seen.has(name)) return false;
  seen.add(name);
  const job = workflow.jobs[name];
  const first = job.steps.findIndex(isPulumi);
  const before = first < 0 ? job.steps : job.steps.slice(0, first);
  return before.some(runsTests) || needsOf(job).some((n) => testedBefore(workflow, n, seen));
}

const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const sdkVersion: string = packageJson.dependencies["@pulumi/pulumi"];
const testScript: string = packageJson.scripts.test;

describe("GitHub workflows", () => {
  it("are the preview and up workflows", () => {
    assert.deepStrictEqual(files.sort(), ["preview.yml", "up.yml"]);
  });

  for (const file of files) {
    describe(file, () => {
      const workflow = load(file);
      const pulumiJobs = Object.entries(workflow.jobs).filter(([, job]) =>
        job.steps.some(isPulumi),
      );

      it("passes pulumi/actions only the inputs its v7 action.yml declares", () => {
        assert.ok(pulumiJobs.length > 0);
        for (const [name, job] of pulumiJobs) {
          const step = pulumiStep(job);
          assert.strictEqual(
            step.uses,
            "pulumi/actions@v7",
            `${name}: the version the list is from`,
          );
          const unknown = Object.keys(step.with ?? {}).filter(
            (input) => !PULUMI_ACTIONS_V7_INPUTS.includes(input),
          );
          assert.deepStrictEqual(unknown, [], `${name}: inputs pulumi/actions does not declare`);
        }
      });

      it("passes local actions only the inputs they declare", () => {
        for (const [name, job] of Object.entries(workflow.jobs)) {
          for (const step of job.steps.filter((s) => s.uses?.startsWith("./"))) {
            const action = yaml.load(
              fs.readFileSync(path.join(ROOT, step.uses!, "action.yml"), "utf8"),
            ) as { inputs: Record<string, unknown> };
            for (const input of Object.keys(step.with ?? {})) {
              assert.ok(input in action.inputs, `${name}: ${step.uses} has no input ${input}`);
            }
          }
        }
      });

      it("pins the Pulumi CLI to the SDK's version, creates a missing stack, runs the pack", () => {
        for (const [name, job] of pulumiJobs) {
          const inputs = pulumiStep(job).with ?? {};
          assert.strictEqual(String(inputs["pulumi-version"]), sdkVersion, name);
          assert.match(sdkVersion, /^\d+\.\d+\.\d+$/, "an exact version, not a range");
          assert.strictEqual(inputs.upsert, true, `${name}: upsert`);
          assert.strictEqual(inputs.policyPacks, "policy", `${name}: the policy pack`);
          assert.match(
            String(inputs["stack-name"]),
            /^\$\{\{ vars\.PULUMI_ORG \}\}\/personalize-workshop\/(dev|prod)$/,
            name,
          );
          assert.strictEqual(
            pulumiStep(job).env?.PULUMI_ACCESS_TOKEN,
            "${{ secrets.PULUMI_ACCESS_TOKEN }}",
            name,
          );
        }
      });

      it("runs npm test before anything deploys or previews", () => {
        for (const [name] of pulumiJobs) {
          assert.ok(testedBefore(workflow, name), `${name} may run before npm test passed`);
        }
        for (const [name, job] of Object.entries(workflow.jobs)) {
          if (job.steps.some((s) => /npm start/.test(s.run ?? ""))) {
            assert.ok(testedBefore(workflow, name), `${name} deploys before npm test passed`);
          }
        }
      });

      it("runs the program transpile-only, npm test having type-checked it with tsc", () => {
        // README, "Type-checking": a type error must fail the test job, not pass unchecked.
        assert.match(testScript, /^tsc --noEmit -p \. &&/, "npm test starts with tsc");
        for (const [name, job] of pulumiJobs) {
          assert.strictEqual(pulumiStep(job).env?.PULUMI_NODEJS_TRANSPILE_ONLY, "true", name);
          assert.ok(testedBefore(workflow, name), `${name} may run before npm test passed`);
        }
      });

      it("checks the deploy settings, then asks for credentials, in every job that deploys", () => {
        for (const [name, job] of pulumiJobs) {
          const at = (match: (s: Step) => boolean) => job.steps.findIndex(match);
          const check = at((s) => s.uses === "./.github/actions/deploy-settings");
          const credentials = at((s) => s.uses?.startsWith("aws-actions/") ?? false);
          assert.ok(check >= 0 && check < credentials, `${name}: settings checked first`);
          assert.ok(credentials < at(isPulumi), `${name}: credentials before pulumi`);
          assert.strictEqual(job.permissions?.["id-token"], "write", `${name}: OIDC`);
        }
      });
    });
  }

  describe("preview.yml", () => {
    const workflow = load("preview.yml");
    const SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository";
    const FORK = "github.event.pull_request.head.repo.full_name != github.repository";

    it("previews dev on pull requests and comments the result", () => {
      assert.ok("pull_request" in workflow.on);
      assert.ok(!("pull_request_target" in workflow.on), "never run a fork's code with secrets");
      const inputs = pulumiStep(workflow.jobs.preview).with ?? {};
      assert.strictEqual(inputs.command, "preview");
      assert.strictEqual(inputs["stack-name"], "${{ vars.PULUMI_ORG }}/personalize-workshop/dev");
      assert.strictEqual(inputs["comment-on-pr"], true);
      assert.strictEqual(workflow.jobs.preview.permissions?.["pull-requests"], "write");
    });

    it("previews only same-repository pull requests; a fork's runs without credentials", () => {
      assert.strictEqual(workflow.jobs.preview.if, SAME_REPO);
      const fork = workflow.jobs.fork;
      assert.strictEqual(fork.if, FORK);
      assert.ok(!fork.steps.some(isPulumi), "no pulumi step in the fork's job");
      assert.ok(
        !fork.steps.some((s) => s.uses?.startsWith("aws-actions/")),
        "no credentials in the fork's job",
      );
      assert.strictEqual(fork.permissions, undefined, "the workflow's read-only permissions");
      assert.deepStrictEqual(workflow.permissions, { contents: "read" });
    });

    it("tells a fork's author why there is no preview, and deploys to the emulator instead", () => {
      const steps = workflow.jobs.fork.steps;
      const explain = steps.find((s) => /GITHUB_STEP_SUMMARY/.test(s.run ?? ""));
      assert.ok(explain, "a step writes the job summary");
      assert.match(explain.run!, /comes from a fork/);
      assert.match(explain.run!, /no secrets and no OIDC token/);
      assert.match(explain.run!, /pulumi preview\\` of the dev stack is skipped/);
      assert.ok(
        steps.some((s) => /^npm start\b/.test(s.run ?? "")),
        "npm start on the emulator",
      );
    });
  });

  describe("up.yml", () => {
    const workflow = load("up.yml");

    it("deploys dev on every push to main", () => {
      assert.deepStrictEqual(workflow.on.push, { branches: ["main"] });
      const inputs = pulumiStep(workflow.jobs.dev).with ?? {};
      assert.strictEqual(inputs.command, "up");
      assert.strictEqual(inputs["stack-name"], "${{ vars.PULUMI_ORG }}/personalize-workshop/dev");
    });

    it("deploys prod after dev, behind the prod environment's approval", () => {
      const prod = workflow.jobs.prod;
      assert.strictEqual(environmentOf(prod), "prod");
      assert.deepStrictEqual(needsOf(prod), ["dev"]);
      const inputs = pulumiStep(prod).with ?? {};
      assert.strictEqual(inputs.command, "up");
      assert.strictEqual(inputs["stack-name"], "${{ vars.PULUMI_ORG }}/personalize-workshop/prod");
      for (const [name, job] of Object.entries(workflow.jobs)) {
        if (name !== "prod" && job.steps.some(isPulumi)) {
          assert.ok(!String(pulumiStep(job).with?.["stack-name"]).endsWith("/prod"), name);
        }
      }
    });
  });
});
