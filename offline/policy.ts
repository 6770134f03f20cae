/**
 * Runs a CrossGuard policy pack the way `pulumi preview --policy-pack DIR` does, for the offline
 * engine: the pack's own program, started as the CLI starts a Node.js pack, spoken to over
 * `pulumirpc.Analyzer` with the SDK's generated stubs.
 *
 * What the CLI does, and so what this does (pulumi/pulumi, sdk/go/common/resource/plugin/
 * analyzer_plugin.go, the Node.js language host's RunPlugin in
 * sdk/nodejs/cmd/pulumi-language-nodejs/main.go, and pkg/engine/update.go):
 * - reads `DIR/PulumiPolicy.yaml` (runtime `nodejs`);
 * - runs `node <@pulumi/pulumi/cmd/run-policy-pack> <engine address> DIR` with DIR as the working
 *   directory, the module resolved from DIR, and the stack in the environment
 *   (`PULUMI_NODEJS_PROJECT`, `_STACK`, `_ORGANIZATION`, `_DRY_RUN`, `PULUMI_CONFIG`);
 *   run-policy-pack loads the pack with ts-node, and `new PolicyPack(...)` binds its gRPC server
 *   to 127.0.0.1:0 and prints the port as the first line of stdout (@pulumi/policy server.js);
 * - Handshake (packs that predate it answer UNIMPLEMENTED), ConfigureStack, GetAnalyzerInfo;
 * - reconciles the policy config (schema defaults < the pack's initial config < the
 *   `--policy-pack-config` file, `"all"` first) and sends it with Configure;
 * - per resource, Analyze with its checked inputs, `__`-prefixed keys left out; at the end,
 *   AnalyzeStack with every resource's outputs, parent and dependencies;
 * - a mandatory violation makes the resource invalid (in an update, not in a preview), and the
 *   engine downgrades `remediate` to mandatory in what it reports.
 * Differences, all on the strict side: an unknown policy name or config property is an error here
 * (the CLI passes it along unused); the pack's engine address is a placeholder, which
 * run-policy-pack drops unread; Remediate is not called (this project's pack has no
 * remediations).
 */
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as yaml from "js-yaml";
import { startPlugin } from "./plugin-process";

// The SDK's generated stubs, as the CLI's Go stubs speak the same protocol; untyped CommonJS.
const analyzerpb: any = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerrpc: any = require("@pulumi/pulumi/proto/analyzer_grpc_pb");

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];
/** The proto enum's numbers (pulumirpc.EnforcementLevel). */
const LEVEL_NUMBER: Record<EnforcementLevel, number> = {
  advisory: analyzerpb.EnforcementLevel.ADVISORY,
  mandatory: analyzerpb.EnforcementLevel.MANDATORY,
  remediate: analyzerpb.EnforcementLevel.REMEDIATE,
  disabled: analyzerpb.EnforcementLevel.DISABLED,
};

function levelName(value: number): EnforcementLevel {
  const name = LEVELS.find((level) => LEVEL_NUMBER[level] === value);
  if (name === undefined) throw new Error(`the policy pack sent enforcement level ${value}`);
  return name;
}

/** run-policy-pack requires an engine address and drops it unread (cmd/run-policy-pack/index.js). */
const NO_ENGINE = "127.0.0.1:0";

/** The analyzer's limit: @pulumi/policy raises gRPC's 4 MB to 400 MB for large stacks. */
const MAX_MESSAGE = 400 * 1024 * 1024;

/** One policy's config: its enforcement level and properties (as in `--policy-pack-config`). */
export interface PolicyConfig {
  readonly enforcementLevel?: EnforcementLevel;
  readonly properties?: Record<string, unknown>;
}

/** A JSON-schema subset, as policies declare their config (`configSchema.properties`). */
export interface PropertySchema {
  readonly type?: string;
  readonly items?: PropertySchema;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly default?: unknown;
}

export interface PolicyInfo {
  readonly name: string;
  readonly description: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly configSchema?: {
    readonly properties: Record<string, PropertySchema>;
    readonly required: readonly string[];
  };
}

/** What GetAnalyzerInfo says about the pack. */
export interface PolicyPackInfo {
  readonly name: string;
  readonly version: string;
  readonly supportsConfig: boolean;
  readonly policies: readonly PolicyInfo[];
  readonly initialConfig: Record<string, PolicyConfig>;
}

/** A resource as the engine hands it to an analyzer. */
export interface AnalyzedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /**
   * Inputs after the provider's check (for {@link PolicyPackHandle.analyze}) or outputs (for
   * {@link PolicyPackHandle.analyzeStack}), as the engine holds them: plain JSON, secrets and
   * assets in Pulumi's signature form, unknowns as the engine's sentinel strings.
   */
  readonly properties: Record<string, unknown>;
  readonly parent?: string;
  readonly protect?: boolean;
  /** URNs this resource depends on (AnalyzeStack). */
  readonly dependencies?: readonly string[];
  /** Property name -> URNs its value came from (AnalyzeStack). */
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

export interface PolicyViolation {
  readonly policyName: string;
  readonly policyPackName: string;
  readonly policyPackVersion: string;
  /** As the engine reports it: `remediate` becomes `mandatory`. */
  readonly enforcementLevel: EnforcementLevel;
  readonly description: string;
  readonly message: string;
  /**
   * The resource: always the analyzed one for {@link PolicyPackHandle.analyze}; for a stack
   * policy the one it named, or undefined, which the CLI reports against the stack itself.
   */
  readonly urn?: string;
}

/** The stack the pack runs for, as the CLI passes it (environment and ConfigureStack). */
export interface PolicyPackOptions {
  readonly project?: string;
  readonly stack?: string;
  readonly organization?: string;
  /** True for a preview: mandatory violations then do not stop anything. */
  readonly dryRun?: boolean;
  /** The stack's config, `project:key` -> value (secrets already decrypted, as the CLI's). */
  readonly stackConfig?: Readonly<Record<string, string>>;
  readonly stackTags?: Readonly<Record<string, string>>;
  /** The `--policy-pack-config` content: see {@link parsePolicyPackConfig}. */
  readonly config?: Readonly<Record<string, PolicyConfig>>;
  /** The node binary; default this process's. */
  readonly node?: string;
}

export interface PolicyPackHandle {
  readonly info: PolicyPackInfo;
  /** The pack's process, leader of its own process group. */
  readonly pid: number;
  /** The config in force, after reconciliation. */
  readonly config: Readonly<Record<string, PolicyConfig>>;
  /** Analyze: the pack's resource policies on one resource's checked inputs. */
  analyze(resource: AnalyzedResource): Promise<PolicyViolation[]>;
  /** AnalyzeStack: the pack's stack policies on every resource's outputs. */
  analyzeStack(resources: readonly AnalyzedResource[]): Promise<PolicyViolation[]>;
  /** Reconciles and sends another config, as a new `--policy-pack-config` would. */
  configure(config: Readonly<Record<string, PolicyConfig>>): Promise<void>;
  /** Closes the connection and kills the pack's process group. */
  close(): Promise<void>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function parseLevel(where: string, value: unknown): EnforcementLevel {
  if (typeof value === "string" && (LEVELS as readonly string[]).includes(value)) {
    return value as EnforcementLevel;
  }
  throw new Error(
    `${where}: ${JSON.stringify(value)} is not an enforcement level (${LEVELS.join(", ")})`,
  );
}

/**
 * Parses the `--policy-pack-config` file's JSON as the CLI does: each key a policy name (or
 * `"all"`), each value an enforcement level or an object of properties with an optional
 * `enforcementLevel`.
 */
export function parsePolicyPackConfig(json: unknown): Record<string, PolicyConfig> {
  if (!isRecord(json)) {
    throw new Error(`policy pack config must be a JSON object, got ${JSON.stringify(json)}`);
  }
  const result: Record<string, PolicyConfig> = {};
  for (const [name, value] of Object.entries(json)) {
    if (name === "environments") {
      throw new Error('policy pack config: "environments" (Pulumi ESC) needs the Pulumi CLI');
    }
    if (typeof value === "string") {
      result[name] = { enforcementLevel: parseLevel(`policy pack config "${name}"`, value) };
    } else if (isRecord(value)) {
      const { enforcementLevel, ...properties } = value;
      result[name] = {
        ...(enforcementLevel === undefined
          ? {}
          : { enforcementLevel: parseLevel(`policy pack config "${name}"`, enforcementLevel) }),
        ...(Object.keys(properties).length > 0 ? { properties } : {}),
      };
    } else {
      throw new Error(
        `policy pack config "${name}": ${JSON.stringify(value)} must be an enforcement level ` +
          `or an object of properties`,
      );
    }
  }
  return result;
}

function typeProblem(value: unknown, schema: PropertySchema): string | undefined {
  const type = schema.type;
  const ok =
    type === undefined ||
    (type === "integer" && Number.isInteger(value)) ||
    (type === "number" && typeof value === "number") ||
    (type === "array" && Array.isArray(value)) ||
    (type === "object" && isRecord(value)) ||
    (type === "null" && value === null) ||
    typeof value === type;
  if (!ok) return `must be of type ${type}`;
  if (schema.enum && !schema.enum.includes(value)) {
    return `must be one of ${JSON.stringify(schema.enum)}`;
  }
  if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) {
    return `must be at least ${schema.minimum}`;
  }
  if (typeof value === "number" && schema.maximum !== undefined && value > schema.maximum) {
    return `must be at most ${schema.maximum}`;
  }
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries()) {
      const problem = typeProblem(item, schema.items);
      if (problem) return `[${i}] ${problem}`;
    }
  }
  return undefined;
}

/**
 * The config the CLI would send with Configure: every policy with its declared level and schema
 * defaults, then the pack's initial config, then `config` (`"all"` before single policies).
 * Unknown policies and properties, and values the schema refuses, are errors naming them.
 */
export function reconcilePolicyConfig(
  info: Pick<PolicyPackInfo, "name" | "policies" | "initialConfig">,
  config: Readonly<Record<string, PolicyConfig>> = {},
): Record<string, PolicyConfig> {
  const result: Record<
    string,
    { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }
  > = {};
  for (const policy of info.policies) {
    const properties: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
      if (schema.default !== undefined) properties[key] = schema.default;
    }
    result[policy.name] = { enforcementLevel: policy.enforcementLevel, properties };
  }
  const names = info.policies.map((p) => p.name);
  for (const layer of [info.initialConfig, config]) {
    const all = layer.all?.enforcementLevel;
    if (all !== undefined) for (const name of names) result[name].enforcementLevel = all;
    for (const [name, given] of Object.entries(layer)) {
      if (name === "all") continue;
      if (!(name in result)) {
        throw new Error(
          `policy pack ${info.name} has no policy ${JSON.stringify(name)} (it has ${names.join(", ")})`,
        );
      }
      if (given.enforcementLevel !== undefined) {
        result[name].enforcementLevel = given.enforcementLevel;
      }
      Object.assign(result[name].properties, given.properties ?? {});
    }
  }
  const problems: string[] = [];
  for (const policy of info.policies) {
    const schema = policy.configSchema;
    const properties = result[policy.name].properties;
    for (const [key, value] of Object.entries(properties)) {
      const propertySchema = schema?.properties[key];
      if (propertySchema === undefined) {
        problems.push(`${policy.name}: ${key} is not a property of this policy`);
        continue;
      }
      const problem = typeProblem(value, propertySchema);
      if (problem) problems.push(`${policy.name}: ${key} ${problem}, got ${JSON.stringify(value)}`);
    }
    for (const key of schema?.required ?? []) {
      if (!(key in properties)) problems.push(`${policy.name}: ${key} is required`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`policy pack ${info.name}: invalid config:\n  ${problems.join("\n  ")}`);
  }
  return result;
}

/** Struct.toJavaScript, or {} for a field the pack left unset. */
function plain(struct: Struct | undefined): Record<string, unknown> {
  return struct ? (struct.toJavaScript() as Record<string, unknown>) : {};
}

function readInfo(reply: any): PolicyPackInfo {
  const initialConfig: Record<string, PolicyConfig> = {};
  reply.getInitialconfigMap().forEach((value: any, key: string) => {
    initialConfig[key] = {
      enforcementLevel: levelName(value.getEnforcementlevel()),
      properties: plain(value.getProperties()),
    };
  });
  return {
    name: reply.getName(),
    version: reply.getVersion(),
    supportsConfig: reply.getSupportsconfig(),
    initialConfig,
    policies: reply.getPoliciesList().map((p: any) => {
      const schema = p.getConfigschema();
      return {
        name: p.getName(),
        description: p.getDescription(),
        enforcementLevel: levelName(p.getEnforcementlevel()),
        ...(schema
          ? {
              configSchema: {
                properties: plain(schema.getProperties()) as Record<string, PropertySchema>,
                required: schema.getRequiredList(),
              },
            }
          : {}),
      };
    }),
  };
}

/** MarshalProperties with SkipInternalKeys: `__provider` and the like never reach analyzers. */
function withoutInternalKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutInternalKeys);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (!key.startsWith("__") && inner !== undefined) out[key] = withoutInternalKeys(inner);
  }
  return out;
}

function toStruct(properties: Record<string, unknown>): Struct {
  return Struct.fromJavaScript(withoutInternalKeys(properties) as any);
}

/**
 * Fills what an AnalyzeRequest and an AnalyzeStack resource share; the options are always set,
 * since @pulumi/policy refuses a request without them as coming from an old CLI.
 */
function describeResource(message: any, resource: AnalyzedResource): any {
  const options = new analyzerpb.AnalyzerResourceOptions();
  options.setProtect(resource.protect ?? false);
  options.setParent(resource.parent ?? "");
  options.setCustomtimeouts(new analyzerpb.AnalyzerResourceOptions.CustomTimeouts());
  message.setUrn(resource.urn);
  message.setType(resource.type);
  message.setName(resource.name);
  message.setProperties(toStruct(resource.properties));
  message.setOptions(options);
  return message;
}

const analyzeRequest = (resource: AnalyzedResource): any =>
  describeResource(new analyzerpb.AnalyzeRequest(), resource);

function stackResource(resource: AnalyzedResource): any {
  const message = describeResource(new analyzerpb.AnalyzerResource(), resource);
  message.setParent(resource.parent ?? "");
  message.setDependenciesList([...(resource.dependencies ?? [])]);
  const byProperty = message.getPropertydependenciesMap();
  for (const [key, urns] of Object.entries(resource.propertyDependencies ?? {})) {
    if (urns.length === 0) continue;
    const deps = new analyzerpb.AnalyzerPropertyDependencies();
    deps.setUrnsList([...urns]);
    byProperty.set(key, deps);
  }
  return message;
}

/** `analyzed`: Analyze's resource, to which the engine attributes every violation it gets. */
function violations(reply: any, analyzed: string | undefined): PolicyViolation[] {
  return reply.getDiagnosticsList().map((d: any) => {
    const level = levelName(d.getEnforcementlevel());
    const urn: string = analyzed ?? d.getUrn();
    return {
      policyName: d.getPolicyname(),
      policyPackName: d.getPolicypackname(),
      policyPackVersion: d.getPolicypackversion(),
      enforcementLevel: level === "remediate" ? "mandatory" : level,
      description: d.getDescription(),
      message: d.getMessage(),
      ...(urn ? { urn } : {}),
    };
  });
}

/** Reads `DIR/PulumiPolicy.yaml`; only Node.js packs run here. */
function checkPackDir(dir: string): void {
  const file = path.join(dir, "PulumiPolicy.yaml");
  let project: unknown;
  try {
    project = yaml.load(fs.readFileSync(file, "utf8"));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === "ENOENT"
        ? `${dir} is not a policy pack: it has no PulumiPolicy.yaml`
        : `${file} cannot be read: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const runtime = isRecord(project) ? project.runtime : undefined;
  const name = isRecord(runtime) ? runtime.name : runtime;
  if (name !== "nodejs") {
    throw new Error(`${file}: runtime ${JSON.stringify(name)} is not supported here, only nodejs`);
  }
}

/**
 * Starts the policy pack in `dir` as the CLI does and configures it; the caller must `close()`
 * it. Fails, with what the pack printed, if it does not start.
 */
export async function startPolicyPack(
  dir: string,
  options: PolicyPackOptions = {},
): Promise<PolicyPackHandle> {
  const packDir = path.resolve(dir);
  checkPackDir(packDir);
  let runPolicyPack: string;
  try {
    // The language host resolves it from the pack's directory, so the pack's own SDK runs it.
    runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  } catch (err) {
    throw new Error(
      `policy pack ${dir}: @pulumi/pulumi cannot be found from it; run npm ci (or npm install ` +
        `in ${dir})`,
      { cause: err },
    );
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  const setEnv = (suffix: string, value: string | undefined) => {
    if (value === undefined || value === "") return;
    env[`PULUMI_NODEJS_${suffix}`] = value;
    env[`PULUMI_${suffix}`] = value;
  };
  setEnv("ORGANIZATION", options.organization);
  setEnv("PROJECT", options.project);
  setEnv("STACK", options.stack);
  setEnv("DRY_RUN", String(options.dryRun ?? false));
  if (options.stackConfig && Object.keys(options.stackConfig).length > 0) {
    env.PULUMI_CONFIG = JSON.stringify(options.stackConfig);
  }

  const plugin = await startPlugin({
    name: `policy pack ${dir}`,
    command: options.node ?? process.execPath,
    args: [runPolicyPack, NO_ENGINE, packDir],
    cwd: packDir,
    env,
  });
  const client = new analyzerrpc.AnalyzerClient(
    `127.0.0.1:${plugin.port}`,
    grpc.credentials.createInsecure(),
    { "grpc.max_receive_message_length": MAX_MESSAGE },
  );
  // Empty must be the class the stubs were generated against (an instanceof check), so it is
  // taken from them rather than from this project's google-protobuf.
  const Empty = analyzerrpc.AnalyzerService.getAnalyzerInfo.requestType;

  const call = <T>(method: string, request: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      client[method](request, (err: grpc.ServiceError | null, reply: T) => {
        if (!err) return resolve(reply);
        const stopped = plugin.exitReason();
        const printed = plugin.output().trim();
        reject(
          new Error(
            `policy pack ${dir}: ${method} failed: ${err.details || err.message}` +
              (stopped ? ` (the pack ${stopped})` : "") +
              (printed ? `; it printed:\n${printed}` : ""),
            { cause: err },
          ),
        );
      });
    });
  const close = async () => {
    client.close();
    await plugin.kill();
  };

  try {
    const handshake = new analyzerpb.AnalyzerHandshakeRequest();
    handshake.setEngineAddress(NO_ENGINE);
    handshake.setRootDirectory(packDir);
    handshake.setProgramDirectory(packDir);
    await call("handshake", handshake).catch((err: Error & { cause?: grpc.ServiceError }) => {
      if (err.cause?.code !== grpc.status.UNIMPLEMENTED) throw err;
    });

    const stack = new analyzerpb.AnalyzerStackConfigureRequest();
    stack.setStack(options.stack ?? "");
    stack.setProject(options.project ?? "");
    stack.setOrganization(options.organization ?? "");
    stack.setDryRun(options.dryRun ?? false);
    for (const [key, value] of Object.entries(options.stackConfig ?? {})) {
      stack.getConfigMap().set(key, value);
    }
    for (const [key, value] of Object.entries(options.stackTags ?? {})) {
      stack.getTagsMap().set(key, value);
    }
    await call("configureStack", stack).catch((err: Error & { cause?: grpc.ServiceError }) => {
      if (err.cause?.code !== grpc.status.UNIMPLEMENTED) throw err;
    });

    const info = readInfo(await call("getAnalyzerInfo", new Empty()));
    let inForce: Record<string, PolicyConfig> = {};
    const configure = async (config: Readonly<Record<string, PolicyConfig>>) => {
      if (!info.supportsConfig) {
        if (Object.keys(config).length > 0) {
          throw new Error(`policy pack ${info.name} at ${dir} does not support config`);
        }
        return;
      }
      const reconciled = reconcilePolicyConfig(info, config);
      const request = new analyzerpb.ConfigureAnalyzerRequest();
      for (const [name, policy] of Object.entries(reconciled)) {
        const message = new analyzerpb.PolicyConfig();
        message.setEnforcementlevel(LEVEL_NUMBER[policy.enforcementLevel ?? "advisory"]);
        message.setProperties(Struct.fromJavaScript((policy.properties ?? {}) as any));
        request.getPolicyconfigMap().set(name, message);
      }
      await call("configure", request);
      inForce = reconciled;
    };
    await configure(options.config ?? {});

    return {
      info,
      pid: plugin.pid,
      get config() {
        return inForce;
      },
      analyze: async (resource) =>
        violations(await call("analyze", analyzeRequest(resource)), resource.urn),
      analyzeStack: async (resources) => {
        const request = new analyzerpb.AnalyzeStackRequest();
        request.setResourcesList(resources.map(stackResource));
        return violations(await call("analyzeStack", request), undefined);
      },
      configure,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
