// offline/policy.ts: a policy pack started as the CLI starts one and spoken to over the analyzer
// protocol. The policies themselves are tested in tests/policy/.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  parsePolicyPackConfig,
  PolicyInfo,
  PolicyPackHandle,
  reconcilePolicyConfig,
  startPolicyPack,
} from "../../offline/policy";
import { POLICY } from "../../policy/policies";
import { PROJECT } from "../../stack/config";
import { buildStack, one } from "../policy/stack";
import { DYNAMIC } from "../stack/mocks";

const PACK_DIR = path.resolve(__dirname, "../../policy");
const FIXTURES = path.join(__dirname, "fixtures");

/** Whether a process is gone: no such pid, or a zombie (dead, not yet reaped by its parent). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return true;
    throw err;
  }
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
}

/**
 * Waits until the process is gone. SIGKILL is delivered asynchronously, so a process may live
 * on for a moment after kill() returns; the bound only keeps a broken kill from hanging.
 */
async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 1000; i++) {
    if (gone(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return gone(pid);
}

describe("offline policy packs: the policy config the CLI would send", () => {
  const policies: PolicyInfo[] = [
    { name: "a", description: "", enforcementLevel: "advisory" },
    {
      name: "b",
      description: "",
      enforcementLevel: "mandatory",
      configSchema: {
        properties: {
          max: { type: "integer", minimum: 1, default: 10 },
          names: { type: "array", items: { type: "string" }, default: [] },
        },
        required: [],
      },
    },
  ];
  const info = { name: "pack", policies, initialConfig: {} };

  it("parses the --policy-pack-config file's forms", () => {
    assert.deepStrictEqual(
      parsePolicyPackConfig({
        all: "mandatory",
        a: "disabled",
        b: { enforcementLevel: "advisory", max: 3 },
        c: { names: ["x"] },
      }),
      {
        all: { enforcementLevel: "mandatory" },
        a: { enforcementLevel: "disabled" },
        b: { enforcementLevel: "advisory", properties: { max: 3 } },
        c: { properties: { names: ["x"] } },
      },
    );
  });

  const refused: [string, unknown, string][] = [
    [
      "a level that is none",
      { a: "strict" },
      'policy pack config "a": "strict" is not an enforcement level (advisory, mandatory, remediate, disabled)',
    ],
    [
      "a level of the wrong type",
      { a: { enforcementLevel: 1 } },
      'policy pack config "a": 1 is not an enforcement level (advisory, mandatory, remediate, disabled)',
    ],
    [
      "a value that is neither",
      { a: 3 },
      'policy pack config "a": 3 must be an enforcement level or an object of properties',
    ],
    ["a list", [], "policy pack config must be a JSON object, got []"],
    [
      "ESC environments",
      { environments: ["e"] },
      'policy pack config: "environments" (Pulumi ESC) needs the Pulumi CLI',
    ],
  ];
  for (const [what, json, message] of refused) {
    it(`refuses ${what}, naming it`, () => {
      assert.throws(() => parsePolicyPackConfig(json), { message });
    });
  }

  it("fills each policy's level and schema defaults, then 'all', then single policies", () => {
    assert.deepStrictEqual(reconcilePolicyConfig(info), {
      a: { enforcementLevel: "advisory", properties: {} },
      b: { enforcementLevel: "mandatory", properties: { max: 10, names: [] } },
    });
    assert.deepStrictEqual(
      reconcilePolicyConfig(info, {
        all: { enforcementLevel: "disabled" },
        b: { enforcementLevel: "advisory", properties: { max: 2 } },
      }),
      {
        a: { enforcementLevel: "disabled", properties: {} },
        b: { enforcementLevel: "advisory", properties: { max: 2, names: [] } },
      },
    );
  });

  it("applies the pack's initial config under the given one", () => {
    const withInitial = { ...info, initialConfig: { b: { properties: { max: 5 } } } };
    assert.deepStrictEqual(reconcilePolicyConfig(withInitial).b.properties, { max: 5, names: [] });
    assert.deepStrictEqual(
      reconcilePolicyConfig(withInitial, { b: { properties: { max: 6 } } }).b.properties,
      { max: 6, names: [] },
    );
  });

  it("names an unknown policy, an unknown property and every value the schema refuses", () => {
    assert.throws(() => reconcilePolicyConfig(info, { c: { enforcementLevel: "mandatory" } }), {
      message: 'policy pack pack has no policy "c" (it has a, b)',
    });
    assert.throws(
      () =>
        reconcilePolicyConfig(info, {
          a: { properties: { max: 1 } },
          b: { properties: { max: 0.5, names: ["x", 2] } },
        }),
      {
        message:
          "policy pack pack: invalid config:\n" +
          "  a: max is not a property of this policy\n" +
          "  b: max must be of type integer, got 0.5\n" +
          '  b: names [1] must be of type string, got ["x",2]',
      },
    );
    assert.throws(() => reconcilePolicyConfig(info, { b: { properties: { max: 0 } } }), {
      message: "policy pack pack: invalid config:\n  b: max must be at least 1, got 0",
    });
  });
});

describe("offline policy packs: starting and stopping the pack", function () {
  this.timeout(180000);

  it("names a directory that is not a policy pack", async () => {
    await assert.rejects(startPolicyPack(FIXTURES), {
      message: `${FIXTURES} is not a policy pack: it has no PulumiPolicy.yaml`,
    });
  });

  it("refuses a runtime other than nodejs", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-pack-"));
    try {
      fs.writeFileSync(path.join(dir, "PulumiPolicy.yaml"), "runtime: python\n");
      await assert.rejects(startPolicyPack(dir), {
        message: `${path.join(dir, "PulumiPolicy.yaml")}: runtime "python" is not supported here, only nodejs`,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a pack that fails to load, with what it printed", async () => {
    await assert.rejects(startPolicyPack(path.join(FIXTURES, "crashing-pack")), (err: Error) => {
      assert.match(err.message, /crashing-pack exited with code \d+ before printing its gRPC port/);
      assert.match(err.message, /the policies could not be loaded: boom/);
      return true;
    });
  });

  it("kills the pack's whole process group when its start fails", async () => {
    const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "policy-pack-")), "pid");
    process.env.BAD_PORT_PACK_CHILD_PID_FILE = pidFile;
    try {
      await assert.rejects(startPolicyPack(path.join(FIXTURES, "bad-port-pack")), {
        message: `policy pack ${path.join(FIXTURES, "bad-port-pack")} printed "listening on a port of my choosing" where its gRPC port was expected`,
      });
      const grandchild = Number(fs.readFileSync(pidFile, "utf8"));
      assert.ok(await waitGone(grandchild), `the pack's child ${grandchild} is still running`);
    } finally {
      delete process.env.BAD_PORT_PACK_CHILD_PID_FILE;
      fs.rmSync(path.dirname(pidFile), { recursive: true, force: true });
    }
  });

  describe("the project's pack on the workshop stack", () => {
    let pack: PolicyPackHandle;

    before(async () => {
      pack = await startPolicyPack(PACK_DIR, { project: PROJECT, stack: "dev" });
    });

    after(async () => {
      await pack?.close();
    });

    it("describes the pack: name, version, each policy and its level", () => {
      assert.strictEqual(pack.info.name, "personalize-guardrails");
      assert.strictEqual(pack.info.version, "0.1.0");
      assert.deepStrictEqual(
        pack.info.policies.map((p) => `${p.name} ${p.enforcementLevel}`),
        [
          `${POLICY.legacyRecipe} mandatory`,
          `${POLICY.trainingOptIn} advisory`,
          `${POLICY.tpsCeiling} mandatory`,
          `${POLICY.stackTags} advisory`,
          `${POLICY.publicAccessBlock} mandatory`,
          `${POLICY.tlsOnly} mandatory`,
          `${POLICY.roleReadOnly} mandatory`,
        ],
      );
    });

    it("reports the mandatory violation of recipe aws-hrnn on target aws, for the solution", async () => {
      const built = await buildStack("dev", { target: "aws", recipe: "aws-hrnn" });
      const solution = one(built.inputs, DYNAMIC("Solution"));
      const violations = await pack.analyze(solution);
      assert.deepStrictEqual(
        violations.map(({ policyName, policyPackName, enforcementLevel, urn }) => ({
          policyName,
          policyPackName,
          enforcementLevel,
          urn,
        })),
        [
          {
            policyName: POLICY.legacyRecipe,
            policyPackName: "personalize-guardrails",
            enforcementLevel: "mandatory",
            urn: solution.urn,
          },
        ],
      );
      assert.match(violations[0].message, /uses recipe aws-hrnn/);
    });

    it("refuses a config the pack's schema refuses, and keeps the one in force", async () => {
      await assert.rejects(
        pack.configure({ [POLICY.tpsCeiling]: { properties: { maxProvisionedTPS: "ten" } } }),
        /personalize-provisioned-tps-ceiling: maxProvisionedTPS must be of type integer, got "ten"/,
      );
      assert.deepStrictEqual(pack.config[POLICY.tpsCeiling].properties, { maxProvisionedTPS: 10 });
    });

    it("close() kills the pack", async () => {
      const pid = pack.pid;
      await pack.close();
      assert.ok(gone(pid), `the pack ${pid} is still running after close()`);
      await pack.close();
    });
  });
});
