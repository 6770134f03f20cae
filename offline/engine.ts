/**
 * A small deployment engine for tests and the offline demo: the program runs in this process
 * (program.ts, the language host's side), every dynamic resource goes through the SDK's own
 * dynamic-provider host over gRPC (host.ts, the process `pulumi up` starts), and the state is
 * kept as the engine keeps its checkpoint.
 *
 * It is NOT a Pulumi replacement. It models the engine's semantics that decide what a user
 * sees when things go wrong, from the engine's source (pkg/resource/deploy/step_generator.go,
 * step.go and sdk/go/common/resource/plugin/provider_plugin.go in pulumi/pulumi):
 *
 * - check with the old inputs (none for a new resource, and none again when the diff decides
 *   a replacement), then create, or diff against the old OUTPUTS -> same / update / replace;
 * - the host answers Configure with `supportsPreview=false`, so a previewed create or update
 *   returns the checked inputs as the outputs: every output-only property is unknown;
 * - a create or update that fails with `ErrorResourceInitFailed` (the provider threw an error
 *   carrying `id`) is recorded with those properties and its init errors, and the next `up`
 *   sends Update for it even when nothing changed;
 * - once a step fails, no new step starts; those in flight finish and are recorded;
 * - a pending operation is recorded before every create, update and delete call, so an
 *   interrupted run leaves a trace the next `up` warns about (pulumi/pulumi#9293);
 * - replacements honour `deleteBeforeReplace` (the provider's or the resource option) and
 *   delete first the dependents the change would replace (`calculateDependentReplacements`);
 * - aliases, including those a child inherits from its parent's, carry a resource's state to
 *   its new URN (`generateAliases`);
 * - refresh reads with the STORED provider code, destroy deletes with it, in reverse
 *   dependency order;
 * - `.get` reads a resource the stack does not manage;
 * - policy packs (`policyPacks`) run as `--policy-pack` runs them (step_generator.go
 *   `analyzeAll` and `AnalyzeResources`, deployment_executor.go): each pack started for the
 *   operation, Analyze for every registered resource with its checked inputs before its diff,
 *   AnalyzeStack with every resource's outputs once all steps succeeded. A mandatory violation
 *   makes the resource invalid in an `up` (it is not created or updated, and the update fails);
 *   a preview reports it, goes on, and fails at the end.
 *
 * Other custom resources (`aws.*`) get canned outputs (canned.ts). Differences from the real
 * engine: the program runs in this process; no `protect` or `retainOnDelete`; `ignoreChanges`
 * only for top-level properties; resource references in dynamic inputs are not translated
 * (pass `bucket.bucket`, never `bucket`).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import { dirname } from "path";
import * as pulumi from "@pulumi/pulumi";
import { cannedInvoke, cannedOutputs, randomHex } from "./canned";
import { HostError, inProcessHost, ProviderHost, startProviderHost } from "./host";
import {
  AnalyzedResource,
  PolicyConfig,
  PolicyPackHandle,
  PolicyViolation,
  startPolicyPack,
} from "./policy";
import {
  AliasSpec,
  Registration,
  RequestMeta,
  ROOT_STACK_TYPE,
  runProgram,
  urnOf,
  urnParts,
} from "./program";
import { messageOf, Props, sameJson, toEngineValues, UNKNOWN, wire } from "./wire";

const DYNAMIC_PREFIX = "pulumi-nodejs:dynamic";

/** The operation any engine in this process is running, if one is. */
let activeOperation: string | undefined;

/** What a step did. Pulumi's own step names, so the output reads like `pulumi up`'s. */
export type StepOp =
  "same" | "create" | "update" | "replace" | "delete" | "delete-replaced" | "refresh" | "read";

/** One resource step of an operation, as reported to `onEvent` and in `RunResult.steps`. */
export interface Step {
  urn: string;
  type: string;
  name: string;
  op: StepOp;
  /** Seconds the step took (provider calls included). */
  seconds: number;
  /** For refresh: what the read found. */
  refreshed?: "unchanged" | "changed" | "deleted";
  /** Set when the step failed: the provider's message, verbatim. */
  error?: string;
}

/** A progress event: every step reports `start`, then `done` or `failed`. */
export interface StepEvent extends Step {
  phase: "start" | "done" | "failed";
  /** True in preview: the step is planned, nothing was called but check and diff. */
  preview: boolean;
}

/** One resource in the engine's state. */
export interface ResourceState {
  urn: string;
  type: string;
  name: string;
  /** False for a component resource (no provider, no id). Absent in older state: custom. */
  custom?: boolean;
  /** URN of the parent resource (a component or the stack), if any. */
  parent?: string;
  id: string;
  /** Checked inputs, as the provider's check returned them (with `__provider`). */
  inputs: Props;
  /** Outputs as stored after create/update/read (with `__provider` for dynamic resources). */
  outputs: Props;
  /** URNs this resource depends on: through its inputs or `dependsOn`. */
  dependencies: string[];
  /** Input property -> URNs its value came from. */
  propertyDependencies: Record<string, string[]>;
  /** The `deleteBeforeReplace` resource option. */
  deleteBeforeReplace?: boolean;
  /**
   * The old half of a create-before-delete replacement, waiting to be deleted (Pulumi's
   * `delete: true`): the URN's current resource is the other entry.
   */
  delete?: boolean;
  /** The reasons the provider gave when the resource failed to initialise. */
  initErrors?: string[];
  /** Read with `.get`: not managed, never deleted. */
  external?: boolean;
}

/** A provider call that was under way when the state was last written. */
export interface PendingOperation {
  urn: string;
  type: string;
  name: string;
  op: "creating" | "updating" | "deleting";
  id?: string;
}

export interface EngineState {
  /** The stack outputs of the last `up` (preview does not change them). */
  outputs: Props;
  /** In dependency order: every resource comes after those it depends on. */
  resources: ResourceState[];
  /** Calls started and not seen to end: the run that made them was interrupted. */
  pendingOperations?: PendingOperation[];
  /**
   * What the engine's user keeps with the state (npm start: where its emulator ran), set with
   * {@link OfflineEngine.note}. The engine stores it and never reads it.
   */
  notes?: Record<string, unknown>;
}

export interface RunResult {
  operation: "preview" | "up" | "refresh" | "destroy";
  /** Stack outputs (preview: with unknown values as undefined; refresh/destroy: the stored ones). */
  outputs: Props;
  steps: Step[];
  /** Warnings the engine gave, as the CLI prints them. */
  warnings: string[];
  /** What the policy packs reported (preview and up), in the order they answered. */
  policyViolations: PolicyViolation[];
  seconds: number;
}

/** A policy pack to run, as `--policy-pack DIR [--policy-pack-config FILE]` gives it. */
export interface PolicyPackSpec {
  /** The pack's directory (with its PulumiPolicy.yaml). */
  dir: string;
  /** The `--policy-pack-config` file's content, parsed (offline/policy.ts parsePolicyPackConfig). */
  config?: Record<string, PolicyConfig>;
}

export interface OfflineEngineOptions {
  /**
   * The program: the absolute path of its main module (required afresh for every run, as the
   * language host requires it) or a function returning the stack outputs.
   */
  program: string | (() => unknown);
  /** The project name; `new pulumi.Config()` reads keys in this namespace. */
  project: string;
  stack: string;
  /** Stack config with namespaced keys (`project:key`, `aws:region`), string values. */
  config?: Record<string, string>;
  /**
   * Files and folders whose modules are dropped from `require.cache` before each run, so the
   * program builds its resources again. Default: the program file and the `stack/` and
   * `providers/` folders next to it.
   */
  reload?: string[];
  /** Keep the state in this JSON file too (read at start when it exists, written per step). */
  stateFile?: string;
  /**
   * Where dynamic resources run: `process` (default), the SDK's dynamic-provider host as a
   * child process over gRPC, as under the CLI; `in-process`, a fast path for unit tests.
   */
  host?: "process" | "in-process";
  /** The host's working directory (where its providers `require` from); default: the program's folder. */
  cwd?: string;
  onEvent?: (event: StepEvent) => void;
  /** Warnings and the provider host's own output. */
  onLog?: (line: string) => void;
  /**
   * Policy packs for preview and up, each started afresh per operation as the CLI starts its
   * analyzers (with the stack's name, config and the operation's dry-run flag).
   */
  policyPacks?: PolicyPackSpec[];
  /** Each policy violation as a pack reports it, before the step it concerns goes on. */
  onPolicyViolation?: (violation: PolicyViolation) => void;
}

/** What one operation tracks while it runs. */
interface Run {
  operation: RunResult["operation"];
  preview: boolean;
  host?: Promise<ProviderHost>;
  steps: Step[];
  failures: Error[];
  warnings: string[];
  /** Steps still running; a failed run waits for them before it reports. */
  inflight: Set<Promise<unknown>>;
  /** Registered in this run. */
  registered: Set<string>;
  /** New URN -> the old URN whose state it took over through an alias. */
  aliased: Map<string, string>;
  /** Dependents deleted ahead of a delete-before-replace, recreated when they register. */
  pendingReplacement: Map<string, ResourceState>;
  /** Set by {@link OfflineEngine.cancel}: no new step starts. */
  cancelled: boolean;
  /**
   * The operation's policy packs, starting while the program runs (a pack's start, which
   * type-checks it, takes as long as the program's); the first Analyze waits for them.
   */
  packs: Promise<PolicyPackHandle[]>;
  violations: PolicyViolation[];
  /**
   * Mandatory violations that fail the operation without stopping it: in a preview (all of
   * them, reported at the end), and AnalyzeStack's.
   */
  policyFailures: Error[];
  /** What AnalyzeStack gets: every resource registered in this run, with its outputs. */
  news: Map<string, AnalyzedResource>;
}

export class OfflineEngine {
  /** Stack config, namespaced keys. Change it between operations like `pulumi config set`. */
  config: Record<string, string>;
  private state: EngineState = { outputs: {}, resources: [] };
  private run?: Run;

  constructor(private readonly options: OfflineEngineOptions) {
    this.config = { ...(options.config ?? {}) };
    if (options.stateFile && existsSync(options.stateFile)) {
      const text = readFileSync(options.stateFile, "utf8");
      try {
        this.state = JSON.parse(text) as EngineState;
      } catch (err) {
        throw new Error(
          `state file ${options.stateFile} is not valid JSON (${messageOf(err)}); delete it to start empty`,
          { cause: err },
        );
      }
      if (!Array.isArray(this.state.resources)) {
        throw new Error(`state file ${options.stateFile} has no "resources" array`);
      }
    }
  }

  /** A copy of the current state. */
  getState(): EngineState {
    return JSON.parse(JSON.stringify(this.state)) as EngineState;
  }

  /**
   * The stored custom resources, optionally only those of one type (token or its last
   * segment). Components are part of the state but not listed here.
   */
  resources(type?: string): ResourceState[] {
    // Filtered before the copy: only the matching resources (outputs, provider code) are cloned.
    const matching = this.state.resources.filter(
      (r) => isCustom(r) && (type === undefined || r.type === type || r.type.endsWith(`:${type}`)),
    );
    return JSON.parse(JSON.stringify(matching)) as ResourceState[];
  }

  /** Stores `value` under `key` in the state's {@link EngineState.notes} (and its file). */
  note(key: string, value: unknown): void {
    this.state.notes = { ...this.state.notes, [key]: value };
    this.save();
  }

  /** Runs the program and reports what `up` would do; calls only check and diff. */
  preview(): Promise<RunResult> {
    return this.operate("preview", async (run) => {
      const outputs = await this.runProgram(run);
      for (const r of this.leftovers(run)) this.plan(run, r, leftoverOp(r));
      await this.analyzeStack(run, outputs);
      return outputs;
    });
  }

  /** Runs the program and makes the state (and the service) match it. */
  up(): Promise<RunResult> {
    return this.operate("up", async (run) => {
      const pending = this.state.pendingOperations ?? [];
      if (pending.length > 0) {
        // pulumi/pulumi#9293: warn and go on; the provider meets what the interrupted calls
        // left (a resource that exists, a job still running) and must cope with it.
        this.warn(
          run,
          `Attempting to deploy or update resources with ${pending.length} pending operations from a previous deployment: ` +
            pending.map((p) => `${p.op} ${p.type} '${p.name}'`).join(", ") +
            ". These resources are in an unknown state because the previous deployment was interrupted.",
        );
        delete this.state.pendingOperations;
        this.save();
      }
      const outputs = await this.runProgram(run);
      // A resource that never registered because a step it needed failed is not "removed";
      // like the engine, delete nothing after a failed program.
      if (run.failures.length > 0) throw failureOf(run.operation, run.failures);
      // Both kinds of leftovers go in one reverse-dependency walk, as the engine's do.
      await this.deleteInOrder(run, this.leftovers(run), leftoverOp);
      this.state.outputs = outputs;
      this.save();
      // After the stack outputs are final, as deployment_executor.go does it: a mandatory
      // stack policy fails the update, but what was deployed stays.
      await this.analyzeStack(run, outputs);
      return outputs;
    });
  }

  /** Reads every dynamic resource back with its stored provider; gone ones leave the state. */
  refresh(): Promise<RunResult> {
    return this.operate("refresh", async (run) => {
      await Promise.all(
        this.state.resources.filter((r) => isDynamic(r)).map((r) => this.refreshOne(run, r)),
      );
      return this.state.outputs;
    });
  }

  /** Deletes everything in reverse dependency order with the stored providers. */
  destroy(): Promise<RunResult> {
    return this.operate("destroy", async (run) => {
      await this.deleteInOrder(run, [...this.state.resources], () => "delete");
      this.state.outputs = {};
      this.save();
      return {};
    });
  }

  /**
   * The user's first Ctrl-C: no new step starts, the provider host gets Cancel (the SDK's
   * host ignores it), steps in flight run to their end. The operation then fails.
   */
  async cancel(): Promise<void> {
    const run = this.run;
    if (!run || run.cancelled) return;
    run.cancelled = true;
    run.failures.push(new Error("the operation was cancelled"));
    const host = await run.host?.catch(() => undefined);
    await host?.cancel().catch(() => undefined);
  }

  /**
   * The second Ctrl-C: the provider host's process group is killed at once, as the CLI kills
   * its plugins; calls in flight end with an error and stay recorded as pending operations.
   */
  async kill(): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.cancelled = true;
    const host = await run.host?.catch(() => undefined);
    await host?.close(0);
  }

  private async operate(
    operation: RunResult["operation"],
    body: (run: Run) => Promise<Props>,
  ): Promise<RunResult> {
    if (this.run) {
      throw new Error(`cannot start ${operation}: ${this.run.operation} is still running`);
    }
    // The process's rejection handlers and parts of the SDK's runtime are process-wide.
    if (activeOperation) {
      throw new Error(
        `cannot start ${operation}: another engine's ${activeOperation} is running in this process; run one operation at a time`,
      );
    }
    const run: Run = {
      operation,
      preview: operation === "preview",
      steps: [],
      failures: [],
      warnings: [],
      inflight: new Set(),
      registered: new Set(),
      aliased: new Map(),
      pendingReplacement: new Map(),
      cancelled: false,
      packs: Promise.resolve([]),
      violations: [],
      policyFailures: [],
      news: new Map(),
    };
    this.run = run;
    activeOperation = operation;
    const started = Date.now();
    try {
      if (operation === "preview" || operation === "up") {
        run.packs = this.startPacks(run);
        run.packs.catch(() => undefined);
      }
      // The host takes a second or more to start (a Node process loading the SDK): it starts
      // beside the program, which meanwhile serializes its providers, instead of after the
      // first resource is ready. A failure to start shows where the host is first used.
      if (run.preview || operation === "up" || this.state.resources.some(isDynamic))
        this.host(run).catch(() => undefined);
      // A pack that cannot start fails every registration alike: its error is the one to show.
      const outputs = await body(run).catch(async (err: unknown) => {
        throw await run.packs.then(
          () => err,
          (packError: unknown) => packError,
        );
      });
      const failures = [...run.failures, ...run.policyFailures];
      if (failures.length > 0) throw failureOf(operation, failures);
      return {
        operation,
        outputs,
        steps: run.steps,
        warnings: run.warnings,
        policyViolations: run.violations,
        seconds: (Date.now() - started) / 1000,
      };
    } finally {
      const host = await run.host?.catch(() => undefined);
      const packs = await run.packs.catch(() => []);
      await Promise.all([host?.close(), ...packs.map((pack) => pack.close())]);
      this.run = undefined;
      activeOperation = undefined;
    }
  }

  /**
   * Starts the operation's policy packs as the CLI does. If one fails, those that started are
   * closed and the operation fails with its error.
   */
  private async startPacks(run: Run): Promise<PolicyPackHandle[]> {
    const started = await Promise.allSettled(
      (this.options.policyPacks ?? []).map((spec) =>
        startPolicyPack(spec.dir, {
          project: this.options.project,
          stack: this.options.stack,
          dryRun: run.preview,
          stackConfig: this.config,
          ...(spec.config ? { config: spec.config } : {}),
        }),
      ),
    );
    const packs = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const failed = started.find((s) => s.status === "rejected") as
      PromiseRejectedResult | undefined;
    if (failed) {
      await Promise.all(packs.map((pack) => pack.close()));
      throw failed.reason;
    }
    return packs;
  }

  /**
   * Analyze: every pack on one resource's checked inputs, before its diff. A mandatory
   * violation (a `remediate` one included) makes the resource invalid in an up: this throws
   * and no step runs for it. A preview records the failure for its end and goes on.
   */
  private async analyze(run: Run, reg: Registration, inputs: Props): Promise<void> {
    const packs = await run.packs;
    if (packs.length === 0) return;
    const resource: AnalyzedResource = {
      urn: reg.urn,
      type: reg.type,
      name: reg.name,
      properties: inputs,
      ...parentOf(reg.meta),
    };
    const found = (await Promise.all(packs.map((pack) => pack.analyze(resource)))).flat();
    const mandatory = found.filter((v) => v.enforcementLevel === "mandatory");
    for (const violation of found) this.violation(run, violation);
    if (mandatory.length === 0) return;
    const error = new Error(
      `resource is invalid: ${mandatory.map((v) => `mandatory policy ${v.policyName}: ${finding(v)}`).join("; ")}`,
    );
    if (!run.preview) throw error;
    run.policyFailures.push(new Error(`${reg.type} '${reg.name}': ${error.message}`));
  }

  /**
   * AnalyzeStack, once every step succeeded: each pack on the outputs of every resource of
   * this run with their dependencies. A mandatory violation fails the operation.
   */
  private async analyzeStack(run: Run, outputs: Props): Promise<void> {
    const packs = await run.packs;
    if (packs.length === 0 || run.failures.length > 0) return;
    const root = [...run.news.values()].find((r) => r.type === ROOT_STACK_TYPE);
    const resources = [...run.news.values()].map((r) =>
      r === root ? { ...r, properties: toEngineValues(outputs) as Props } : r,
    );
    const found = (await Promise.all(packs.map((pack) => pack.analyzeStack(resources)))).flat();
    for (const violation of found) {
      this.violation(run, violation);
      if (violation.enforcementLevel !== "mandatory") continue;
      const where = violation.urn
        ? `${urnType(violation.urn)} '${urnName(violation.urn)}'`
        : "the stack";
      run.policyFailures.push(
        new Error(`${where}: mandatory policy ${violation.policyName}: ${finding(violation)}`),
      );
    }
  }

  private violation(run: Run, violation: PolicyViolation): void {
    run.violations.push(violation);
    try {
      this.options.onPolicyViolation?.(violation);
    } catch {
      // As for progress events: reporting never changes what the deployment does.
    }
  }

  /** The provider host of this run, started on first use and configured with the stack config. */
  private host(run: Run): Promise<ProviderHost> {
    run.host ??= (async () => {
      const host =
        this.options.host === "in-process"
          ? inProcessHost(this.options.project)
          : await startProviderHost({
              cwd: this.options.cwd ?? this.programDir(),
              onLog: (line) => this.options.onLog?.(line),
              env: { PULUMI_NODEJS_PROJECT: this.options.project },
            });
      await host.configure(this.config);
      return host;
    })();
    return run.host;
  }

  private programDir(): string {
    const { program } = this.options;
    return typeof program === "string" ? dirname(program) : process.cwd();
  }

  private async runProgram(run: Run): Promise<Props> {
    try {
      return await runProgram({
        program: this.options.program,
        project: this.options.project,
        stack: this.options.stack,
        preview: run.preview,
        config: this.config,
        ...(this.options.reload ? { reload: this.options.reload } : {}),
        register: (reg) => this.register(run, reg),
        invoke: (args) => cannedInvoke(args, this.config["aws:region"]),
        drain: () => Promise.allSettled([...run.inflight]),
      });
    } catch (err) {
      throw run.failures.length > 0 ? failureOf(run.operation, run.failures) : err;
    }
  }

  /** One registration from the program: the step it needs, tracked until it ends. */
  private register(run: Run, reg: Registration): Promise<pulumi.runtime.MockResourceResult> {
    if (run.registered.has(reg.urn)) {
      return Promise.reject(new Error(`duplicate resource URN '${reg.urn}'`));
    }
    run.registered.add(reg.urn);
    // step_executor.go: after a failed step (or a cancel) the engine starts no new step.
    if (run.failures.length > 0 && !run.preview) {
      return Promise.reject(
        new Error(`${reg.type} '${reg.name}': not started, an earlier step failed`),
      );
    }
    const step = !reg.custom
      ? this.componentStep(run, reg)
      : reg.id
        ? this.readStep(run, reg)
        : reg.type.startsWith(DYNAMIC_PREFIX)
          ? this.dynamicStep(run, reg)
          : this.cannedStep(run, reg);
    const recorded = step.then((result) => {
      run.news.set(reg.urn, this.analyzed(reg, result.state ?? {}));
      return result;
    });
    const tracked = recorded.catch((err: unknown) => {
      // Errors before a timed step (check, diff) are the run's too.
      if (!run.failures.some((f) => f === err)) {
        const error = new Error(`${reg.type} '${reg.name}': ${messageOf(err)}`);
        run.failures.push(error);
        throw error;
      }
      throw err;
    });
    run.inflight.add(tracked);
    return tracked.finally(() => run.inflight.delete(tracked));
  }

  /**
   * The resource's old state: under its URN, or under one of its aliases (step_generator.go
   * `generateAliases`: each alias spec collapsed to a URN, plus the aliases its parent's old
   * URN implies for it).
   */
  private oldFor(run: Run, reg: Registration): ResourceState | undefined {
    const current = run.pendingReplacement.get(reg.urn) ?? this.find(reg.urn);
    if (current) return current;
    for (const alias of this.aliasesOf(run, reg)) {
      const old = this.find(alias);
      if (old && !run.registered.has(alias)) {
        run.aliased.set(reg.urn, alias);
        return old;
      }
    }
    return undefined;
  }

  private aliasesOf(run: Run, reg: Registration): string[] {
    const aliases = new Set(reg.meta.aliases.map((a) => this.collapseAlias(run, reg, a)));
    const parentAlias = reg.meta.parent ? run.aliased.get(reg.meta.parent) : undefined;
    if (parentAlias) {
      // `inheritedChildAlias`: a child named `<parent name>-x` was `<old parent name>-x`.
      const inherited = (type: string, name: string) => {
        const parentName = urnName(reg.meta.parent);
        const old = name.startsWith(parentName)
          ? urnName(parentAlias) + name.slice(parentName.length)
          : name;
        return this.urn(old, type, parentAlias);
      };
      aliases.add(inherited(reg.type, reg.name));
      for (const alias of reg.meta.aliases) {
        const collapsed = this.collapseAlias(run, reg, alias);
        aliases.add(inherited(urnType(collapsed), urnName(collapsed)));
      }
    }
    return [...aliases];
  }

  /** `collapseAliasToUrn`: an alias spec completed from the resource's own name, type, parent. */
  private collapseAlias(run: Run, reg: Registration, alias: AliasSpec): string {
    if (alias.urn) return alias.urn;
    let parent = alias.parentUrn ?? reg.meta.parent;
    // A parent that came through an alias had the old URN: so did this resource's parent.
    if (alias.parentUrn) parent = run.aliased.get(alias.parentUrn) ?? parent;
    if (alias.noParent || (parent && urnType(parent) === ROOT_STACK_TYPE)) parent = "";
    return this.urn(
      alias.name ?? reg.name,
      alias.type ?? reg.type,
      parent,
      alias.project,
      alias.stack,
    );
  }

  private urn(
    name: string,
    type: string,
    parent: string,
    project?: string,
    stack?: string,
  ): string {
    return urnOf(stack ?? this.options.stack, project ?? this.options.project, type, name, parent);
  }

  /** Component resources: recorded (so aliases and deletes work as the engine's), no provider. */
  private async componentStep(
    run: Run,
    reg: Registration,
  ): Promise<pulumi.runtime.MockResourceResult> {
    await this.analyze(run, reg, toEngineValues(reg.inputs) as Props);
    if (reg.type === ROOT_STACK_TYPE) return { id: undefined, state: {} };
    const old = this.oldFor(run, reg);
    this.plan(run, reg, old ? "same" : "create");
    if (!run.preview) {
      this.put(old, {
        urn: reg.urn,
        type: reg.type,
        name: reg.name,
        custom: false,
        ...parentOf(reg.meta),
        id: "",
        inputs: {},
        outputs: {},
        dependencies: reg.meta.dependencies,
        propertyDependencies: reg.meta.propertyDependencies,
      });
    }
    return { id: undefined, state: {} };
  }

  /** `.get`: the provider's Read with the given id; the resource is recorded but not managed. */
  private async readStep(run: Run, reg: Registration): Promise<pulumi.runtime.MockResourceResult> {
    if (!reg.type.startsWith(DYNAMIC_PREFIX)) {
      const canned = cannedOutputs(reg.type, reg.id!, this.config["aws:region"]);
      return { id: reg.id, state: { ...canned, ...reg.inputs } };
    }
    const inputs = this.wire(reg, "inputs", toEngineValues(reg.inputs) as Props);
    const host = await this.host(run);
    const read = await this.timed(run, reg, "read", () => host.read(reg.urn, reg.id!, inputs, {}));
    if (!read.id) {
      throw this.stepError(run, reg, "read", `resource '${reg.id}' does not exist`);
    }
    if (!run.preview) {
      this.put(this.find(reg.urn), {
        ...this.record(reg, read.id, read.inputs ?? inputs, read.properties),
        external: true,
      });
    }
    return { id: read.id, state: read.properties };
  }

  /** check -> create, or check -> diff -> same / update / replace, for a dynamic resource. */
  private async dynamicStep(
    run: Run,
    reg: Registration,
  ): Promise<pulumi.runtime.MockResourceResult> {
    const pending = run.pendingReplacement.get(reg.urn);
    const old = this.oldFor(run, reg);
    const news = this.wire(reg, "inputs", toEngineValues(reg.inputs) as Props);
    if (old) {
      // The engine resets ignored properties to their old values before check.
      for (const key of reg.meta.ignoreChanges) {
        if (key in old.inputs) news[key] = old.inputs[key];
        else delete news[key];
      }
    }
    const host = await this.host(run);
    const checkFor = async (olds: Props, op: StepOp) => {
      const checked = await host.check(reg.urn, olds, news);
      if (checked.failures.length > 0) {
        const reasons = checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ");
        throw this.stepError(run, reg, op, `check failed: ${reasons}`);
      }
      return checked.inputs;
    };

    if (!old || pending) {
      const op: StepOp = pending ? "replace" : "create";
      const checked = await checkFor(pending ? {} : (old?.inputs ?? {}), op);
      await this.analyze(run, reg, checked);
      return this.createStep(run, reg, op, checked);
    }

    const checked = await checkFor(old.inputs, "update");
    await this.analyze(run, reg, checked);
    const diff = await host.diff(reg.urn, old.id, old.outputs, checked, old.inputs);
    // DIFF_UNKNOWN: the engine compares the inputs itself, and a change is an update.
    const changed =
      diff.changes === "unknown" ? !sameJson(old.inputs, checked) : diff.changes === "some";
    const replace = changed && diff.changes !== "unknown" && diff.replaces.length > 0;
    if (!changed && !(old.initErrors ?? []).length) {
      this.plan(run, reg, "same");
      if (!run.preview)
        this.put(old, { ...old, ...this.record(reg, old.id, checked, old.outputs) });
      return { id: old.id, state: old.outputs };
    }
    if (!replace) return this.updateStep(run, reg, old, checked);

    // A replacement is checked again from scratch: no olds (step_generator.go).
    const fresh = await checkFor({}, "replace");
    const deleteFirst = diff.deleteBeforeReplace || reg.meta.deleteBeforeReplace;
    if (deleteFirst) {
      for (const d of await this.dependentReplacements(run, old)) {
        run.pendingReplacement.set(d.urn, d);
      }
    }
    if (run.preview) {
      this.plan(run, reg, "replace");
      return { id: undefined, state: fresh };
    }
    if (deleteFirst) {
      const dependents = [...run.pendingReplacement.values()].filter((d) => d.urn !== reg.urn);
      await this.deleteInOrder(run, [...dependents, old], () => "delete-replaced");
      run.pendingReplacement.set(reg.urn, old);
    } else {
      old.delete = true;
      this.save();
    }
    return this.createStep(run, reg, "replace", fresh);
  }

  private async createStep(
    run: Run,
    reg: Registration,
    op: StepOp,
    checked: Props,
  ): Promise<pulumi.runtime.MockResourceResult> {
    if (run.preview) {
      // provider_plugin.go: no provider preview, so the checked inputs stand for the outputs.
      this.plan(run, reg, op);
      return { id: undefined, state: checked };
    }
    const host = await this.host(run);
    const created = await this.timed(run, reg, op, () =>
      this.pending({ urn: reg.urn, type: reg.type, name: reg.name, op: "creating" }, () =>
        this.keepingInitFailure(reg, checked, this.current(run, reg.urn), () =>
          host.create(reg.urn, checked),
        ),
      ),
    );
    if (!created.id) {
      throw this.stepError(run, reg, op, "plugin returned empty resource.ID from create");
    }
    run.pendingReplacement.delete(reg.urn);
    this.put(this.current(run, reg.urn), this.record(reg, created.id, checked, created.properties));
    return { id: created.id, state: created.properties };
  }

  private async updateStep(
    run: Run,
    reg: Registration,
    old: ResourceState,
    checked: Props,
  ): Promise<pulumi.runtime.MockResourceResult> {
    if (run.preview) {
      this.plan(run, reg, "update");
      return { id: old.id, state: checked };
    }
    const host = await this.host(run);
    const updated = await this.timed(run, reg, "update", () =>
      this.pending(
        { urn: reg.urn, type: reg.type, name: reg.name, op: "updating", id: old.id },
        () =>
          this.keepingInitFailure(reg, checked, old, () =>
            host.update(reg.urn, old.id, old.outputs, checked, old.inputs),
          ),
      ),
    );
    this.put(old, this.record(reg, old.id, checked, updated.properties));
    return { id: old.id, state: updated.properties };
  }

  /**
   * A create or update that failed with an init failure (the provider threw an error carrying
   * the resource's id): the resource exists, so the engine records it in place of `target`,
   * with the properties the provider gave and its init errors, then fails the step.
   */
  private async keepingInitFailure<T>(
    reg: Registration,
    checked: Props,
    target: ResourceState | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await call();
    } catch (err) {
      const failure = (err as HostError).initFailure;
      if (failure) {
        this.put(target, {
          ...this.record(reg, failure.id, checked, failure.properties),
          initErrors: failure.reasons,
        });
      }
      throw err;
    }
  }

  /**
   * Before deleting `root` ahead of its replacement, the engine deletes the dependents that
   * the change would replace too: for each resource whose inputs came from one being
   * replaced, it asks the provider's diff with those inputs unknown (step_generator.go,
   * calculateDependentReplacements). Returned in dependency order.
   */
  private async dependentReplacements(run: Run, root: ResourceState): Promise<ResourceState[]> {
    const replacing = new Set([root.urn]);
    const found: ResourceState[] = [];
    const host = await this.host(run);
    for (const r of this.state.resources) {
      // An old half awaiting deletion is no current resource to recreate.
      if (r.urn === root.urn || r.delete || !isDynamic(r)) continue;
      const inputs: Props = { ...r.inputs };
      let touched = false;
      for (const [key, urns] of Object.entries(r.propertyDependencies)) {
        if (urns.some((u) => replacing.has(u)) && key in inputs) {
          inputs[key] = UNKNOWN;
          touched = true;
        }
      }
      if (!touched) continue;
      const diff = await host.diff(r.urn, r.id, r.outputs, inputs, r.inputs);
      if (diff.replaces.length > 0) {
        replacing.add(r.urn);
        found.push(r);
      }
    }
    return found;
  }

  /** A non-dynamic custom resource: canned outputs, stable between runs. */
  private async cannedStep(
    run: Run,
    reg: Registration,
  ): Promise<pulumi.runtime.MockResourceResult> {
    const old = this.oldFor(run, reg);
    const inputs = toEngineValues(reg.inputs) as Props;
    await this.analyze(run, reg, inputs);
    const op: StepOp = !old ? "create" : sameJson(old.inputs, inputs) ? "same" : "update";
    const id = old?.id ?? `${reg.name}-${randomHex(7)}`;
    const canned = cannedOutputs(reg.type, id, this.config["aws:region"]);
    this.plan(run, reg, op);
    if (!run.preview) this.put(old, this.record(reg, id, inputs, { ...canned, ...inputs }));
    // The inputs as the SDK sent them: unknown stays unknown in preview, secret stays secret.
    return { id, state: { ...canned, ...reg.inputs } };
  }

  private async refreshOne(run: Run, r: ResourceState): Promise<void> {
    const step: Step = { urn: r.urn, type: r.type, name: r.name, op: "refresh", seconds: 0 };
    this.report(run, step, "start");
    const started = Date.now();
    try {
      const host = await this.host(run);
      const result = await host.read(r.urn, r.id, r.outputs, r.inputs);
      step.seconds = (Date.now() - started) / 1000;
      if (!result.id) {
        step.refreshed = "deleted";
        this.state.resources = this.state.resources.filter((x) => x !== r);
      } else {
        const inputs = result.inputs ?? r.inputs;
        step.refreshed =
          sameJson(result.properties, r.outputs) && sameJson(inputs, r.inputs) && result.id === r.id
            ? "unchanged"
            : "changed";
        // In place of this very entry: an old half keeps its place and its `delete` mark. A
        // read that succeeds clears the init errors, as the engine's refresh step does.
        const { initErrors: _cleared, ...kept } = r;
        const next = { ...kept, id: result.id, outputs: result.properties, inputs };
        this.state.resources = this.state.resources.map((x) => (x === r ? next : x));
      }
      this.save();
      this.report(run, step, "done");
    } catch (err) {
      step.seconds = (Date.now() - started) / 1000;
      step.error = messageOf(err);
      run.failures.push(new Error(`${r.type} '${r.name}': refresh: ${step.error}`));
      this.report(run, step, "failed");
    }
  }

  /**
   * Deletes `targets` in parallel where the dependency graph allows: each waits for the
   * targets that depend on it. A failed delete keeps the resource (and those it depends on)
   * in the state, as the engine does.
   */
  private async deleteInOrder(
    run: Run,
    targets: ResourceState[],
    opOf: (r: ResourceState) => StepOp,
  ): Promise<void> {
    const dependentsOf = (r: ResourceState) =>
      targets.filter(
        (d) =>
          d !== r &&
          (d.dependencies.includes(r.urn) ||
            d.parent === r.urn ||
            Object.values(d.propertyDependencies).some((u) => u.includes(r.urn))),
      );
    const done = new Map<ResourceState, Promise<void>>();
    const remove = (r: ResourceState): Promise<void> => {
      let p = done.get(r);
      if (!p) {
        p = (async () => {
          await Promise.all(dependentsOf(r).map(remove));
          if (run.cancelled)
            throw new Error(`${r.type} '${r.name}': not deleted, the operation was cancelled`);
          await this.timed(run, r, opOf(r), () => this.deleteOne(run, r));
          this.state.resources = this.state.resources.filter(
            (x) => x !== r && !(x.urn === r.urn && x.id === r.id),
          );
          this.save();
        })();
        done.set(r, p);
      }
      return p;
    };
    // Every target, even two of one URN (a resource and its old half).
    const results = await Promise.allSettled(targets.map(remove));
    const failed = results.find((x) => x.status === "rejected") as
      PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
  }

  private async deleteOne(run: Run, r: ResourceState): Promise<void> {
    if (!isDynamic(r) || r.external) return;
    const host = await this.host(run);
    await this.pending({ urn: r.urn, type: r.type, name: r.name, op: "deleting", id: r.id }, () =>
      host.delete(r.urn, r.id, r.outputs, r.inputs),
    );
  }

  /** Records a pending operation around a provider call, as the engine's checkpoint does. */
  private async pending<T>(op: PendingOperation, call: () => Promise<T>): Promise<T> {
    const list = (this.state.pendingOperations ??= []);
    list.push(op);
    this.save();
    try {
      return await call();
    } finally {
      const left = (this.state.pendingOperations ?? []).filter((p) => p !== op);
      if (left.length > 0) this.state.pendingOperations = left;
      else delete this.state.pendingOperations;
      this.save();
    }
  }

  /** Runs one step, reporting start and done/failed, and records a failure for the run. */
  private async timed<T>(
    run: Run,
    r: { urn: string; type: string; name: string },
    op: StepOp,
    work: () => Promise<T>,
  ): Promise<T> {
    const step: Step = { urn: r.urn, type: r.type, name: r.name, op, seconds: 0 };
    this.report(run, step, "start");
    const started = Date.now();
    try {
      const result = await work();
      step.seconds = (Date.now() - started) / 1000;
      this.report(run, step, "done");
      return result;
    } catch (err) {
      step.seconds = (Date.now() - started) / 1000;
      step.error = messageOf(err);
      const error = new Error(`${r.type} '${r.name}': ${op}: ${step.error}`);
      run.failures.push(error);
      this.report(run, step, "failed");
      throw error;
    }
  }

  private stepError(
    run: Run,
    r: { urn: string; type: string; name: string },
    op: StepOp,
    message: string,
  ): Error {
    const step: Step = { urn: r.urn, type: r.type, name: r.name, op, seconds: 0, error: message };
    const error = new Error(`${r.type} '${r.name}': ${message}`);
    run.failures.push(error);
    this.report(run, step, "failed");
    return error;
  }

  /** Records a step that calls nothing (same, planned steps, canned resources). */
  private plan(run: Run, r: { urn: string; type: string; name: string }, op: StepOp): void {
    const step: Step = { urn: r.urn, type: r.type, name: r.name, op, seconds: 0 };
    this.report(run, step, "start");
    this.report(run, step, "done");
  }

  private report(run: Run, step: Step, phase: StepEvent["phase"]): void {
    if (phase !== "start") run.steps.push({ ...step });
    try {
      this.options.onEvent?.({ ...step, phase, preview: run.preview });
    } catch {
      // Reporting progress must never change what the deployment does (a closed stdout,
      // a throwing callback): the step's outcome is in `steps` either way.
    }
  }

  private warn(run: Run, message: string): void {
    run.warnings.push(message);
    this.options.onLog?.(`warning: ${message}`);
  }

  /** The values cross the wire here as between the engine and the host; errors name the resource. */
  private wire(r: { type: string; name: string }, what: string, value: Props): Props {
    try {
      return wire(value);
    } catch (err) {
      throw new Error(
        `${r.type} '${r.name}': the ${what} cannot cross the provider boundary (${messageOf(err)}); a value is undefined, a function, a Buffer or a BigInt`,
        { cause: err },
      );
    }
  }

  /** A resource of this run as AnalyzeStack sees it: its outputs, parent and dependencies. */
  private analyzed(reg: Registration, outputs: Record<string, unknown>): AnalyzedResource {
    return {
      urn: reg.urn,
      type: reg.type,
      name: reg.name,
      properties: toEngineValues(outputs) as Props,
      ...parentOf(reg.meta),
      dependencies: reg.meta.dependencies,
      propertyDependencies: reg.meta.propertyDependencies,
    };
  }

  private record(reg: Registration, id: string, inputs: Props, outputs: Props): ResourceState {
    return {
      urn: reg.urn,
      type: reg.type,
      name: reg.name,
      ...parentOf(reg.meta),
      id,
      inputs,
      outputs,
      dependencies: reg.meta.dependencies,
      propertyDependencies: reg.meta.propertyDependencies,
      ...(reg.meta.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
    };
  }

  /** The URN's current resource (not an old half waiting to be deleted). */
  private find(urn: string): ResourceState | undefined {
    return this.state.resources.find((r) => r.urn === urn && !r.delete);
  }

  /** What stands for the URN now: its current entry, or the one an alias led to. */
  private current(run: Run, urn: string): ResourceState | undefined {
    const alias = run.aliased.get(urn);
    return this.find(urn) ?? (alias ? this.find(alias) : undefined);
  }

  /** Stores `next` in place of `old` (an old entry, or the URN's current one), or at the end. */
  private put(old: ResourceState | undefined, next: ResourceState): void {
    const target = old && !old.delete ? old : this.find(next.urn);
    const i = target ? this.state.resources.indexOf(target) : -1;
    if (i >= 0) this.state.resources[i] = next;
    else this.state.resources.push(next);
    this.save();
  }

  /** What `up` deletes at the end: resources the program no longer declares, old halves. */
  private leftovers(run: Run): ResourceState[] {
    const taken = new Set(run.aliased.values());
    return this.state.resources.filter(
      (r) => r.delete || (!run.registered.has(r.urn) && !taken.has(r.urn)),
    );
  }

  private save(): void {
    const file = this.options.stateFile;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(this.state, null, 2));
    renameSync(`${file}.tmp`, file);
  }
}

function leftoverOp(r: ResourceState): StepOp {
  return r.delete ? "delete-replaced" : "delete";
}

function isCustom(r: ResourceState): boolean {
  return r.custom !== false;
}

function isDynamic(r: { type: string }): boolean {
  return r.type.startsWith(DYNAMIC_PREFIX);
}

function parentOf(meta: RequestMeta): { parent?: string } {
  return meta.parent ? { parent: meta.parent } : {};
}

const urnName = (urn: string) => urnParts(urn).name;
const urnType = (urn: string) => urnParts(urn).type;

/**
 * What a violation found, without the policy's description that @pulumi/policy puts on the
 * message's first line.
 */
function finding(v: PolicyViolation): string {
  return v.message.startsWith(`${v.description}\n`)
    ? v.message.slice(v.description.length + 1)
    : v.message;
}

function failureOf(operation: string, failures: Error[]): Error {
  const error = new Error(`${operation} failed: ${failures.map((f) => f.message).join("; ")}`);
  (error as Error & { failures: Error[] }).failures = failures;
  return error;
}
