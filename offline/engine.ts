/**
 * A small deployment engine over Pulumi's mock runtime, for tests and the offline demo.
 *
 * It is NOT a Pulumi replacement. It runs a Pulumi program in this process under
 * `pulumi.runtime.setMocks` and, for dynamic resources (`pulumi-nodejs:dynamic/...`), does
 * what the real engine and the dynamic-provider host do (pulumi-dynamic-providers.md 1.2,
 * 1.7 and 3.4):
 *
 * - inputs are converted as the engine sends them: secrets unwrapped, unknowns as the
 *   sentinel string `pulumi.runtime.unknownValue`, and every value crosses a
 *   `google.protobuf.Struct` round trip, so `undefined` fails and `Date` becomes `{}` here
 *   exactly as it would there;
 * - `__provider` is loaded as the host loads it (`require-from-string`, `.handler()`, cached by
 *   text for one operation) and `configure` is called once with the stack config;
 * - check -> create, or check -> diff (against the old OUTPUTS) -> replace (honouring
 *   deleteBeforeReplace, from the provider or the resource option, including the dependents
 *   the engine deletes first) / update (returned outs replace all outputs) / same (old outputs
 *   kept, including the old `__provider`); preview calls only check and diff;
 * - refresh calls `read(id, storedOutputs)` with the STORED provider, and destroy deletes in
 *   reverse dependency order with the stored provider, as `pulumi destroy` does; resources the
 *   program no longer declares, and the old halves of create-before-delete replacements, are
 *   deleted at the end of `up`. An old half stays in the state marked `delete` when the `up`
 *   fails first, and the next `up` deletes it, as the engine does with its pending deletes.
 *
 * Other custom resources (`aws.*` and the like) get canned outputs (their inputs plus `id`,
 * `arn`, `name`, `bucket`), kept stable between runs. Component resources are not recorded.
 *
 * Dependencies come from the SDK itself: the register request carries the URNs each input
 * depends on (and `dependsOn`), and the parent. Differences from the real engine: one process
 * (the same `require.cache` and `process.env`), no duplicate-URN check, no `protect` or
 * `retainOnDelete`, `ignoreChanges` only for top-level properties, resource references in
 * dynamic inputs are not translated (pass `bucket.bucket`, never `bucket`), and `.get`/import
 * of dynamic resources fails as it does in Pulumi.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import { dirname, resolve, sep } from "path";
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

// These are the pieces of the SDK the language host and the dynamic-provider host use
// themselves; they are internal, so they are required untyped rather than imported.
const requireFromString: (code: string) => {
  handler(): dynamic.ResourceProvider;
} = require("require-from-string");
const runtimeState: {
  withLocalStorage<T>(fn: () => Promise<T>): Promise<T>;
  getStore(): any;
} = require("@pulumi/pulumi/runtime/state");
const runtimeSettings: {
  waitForRPCs(): Promise<void>;
} = require("@pulumi/pulumi/runtime/settings");
const DynamicConfig: new (
  raw: Record<string, string>,
  project: string,
) => { get(k: string): string | undefined; require(k: string): string } =
  require("@pulumi/pulumi/cmd/dynamic-provider/config").Config;

const DYNAMIC_PREFIX = "pulumi-nodejs:dynamic";

/** The operation any engine in this process is running, if one is. */
let activeOperation: string | undefined;
const PROVIDER_KEY = "__provider";

/** What a step did. Pulumi's own step names, so the output reads like `pulumi up`'s. */
export type StepOp =
  "same" | "create" | "update" | "replace" | "delete" | "delete-replaced" | "refresh";

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

/** One custom resource in the engine's state. */
export interface ResourceState {
  urn: string;
  type: string;
  name: string;
  /** URN of the parent resource (a component or the stack), if any. */
  parent?: string;
  id: string;
  /** Checked inputs, as the provider's check returned them (with `__provider`). */
  inputs: Record<string, unknown>;
  /** Outputs as stored after create/update/read (with `__provider` for dynamic resources). */
  outputs: Record<string, unknown>;
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
}

export interface EngineState {
  /** The stack outputs of the last `up` (preview does not change them). */
  outputs: Record<string, unknown>;
  /** In dependency order: every resource comes after those it depends on. */
  resources: ResourceState[];
}

export interface RunResult {
  operation: "preview" | "up" | "refresh" | "destroy";
  /** Stack outputs (preview: with unknown values as undefined; refresh/destroy: the stored ones). */
  outputs: Record<string, unknown>;
  steps: Step[];
  seconds: number;
}

export interface OfflineEngineOptions {
  /**
   * The program: the absolute path of its main module (required afresh for every run, as
   * the language host requires it) or a function returning the stack outputs.
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
  onEvent?: (event: StepEvent) => void;
}

/** What one operation tracks while it runs. */
interface Run {
  operation: RunResult["operation"];
  preview: boolean;
  providers: Map<string, Promise<dynamic.ResourceProvider>>;
  steps: Step[];
  failures: Error[];
  /** Steps still running; a failed run waits for them before it reports. */
  inflight: Set<Promise<unknown>>;
  /** Registered in this run (custom resources only). */
  registered: Set<string>;
  /** Dependents deleted ahead of a delete-before-replace, recreated when they register. */
  pendingReplacement: Map<string, ResourceState>;
}

/** The parts of a register request `newResource` does not receive. */
interface RequestMeta {
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
}

export class OfflineEngine {
  /** Stack config, namespaced keys. Change it between operations like `pulumi config set`. */
  config: Record<string, string>;
  private state: EngineState = { outputs: {}, resources: [] };
  private run?: Run;
  private pendingMeta?: RequestMeta;

  constructor(private readonly options: OfflineEngineOptions) {
    this.config = { ...(options.config ?? {}) };
    if (options.stateFile && existsSync(options.stateFile)) {
      const text = readFileSync(options.stateFile, "utf8");
      try {
        this.state = JSON.parse(text) as EngineState;
      } catch (err) {
        throw new Error(
          `state file ${options.stateFile} is not valid JSON (${(err as Error).message}); delete it to start empty`,
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

  /** The stored resources, optionally only those of one type (token or its last segment). */
  resources(type?: string): ResourceState[] {
    // Filtered before the copy: only the matching resources (outputs, provider code) are cloned.
    const matching = this.state.resources.filter(
      (r) => type === undefined || r.type === type || r.type.endsWith(`:${type}`),
    );
    return JSON.parse(JSON.stringify(matching)) as ResourceState[];
  }

  /** Runs the program and reports what `up` would do; calls only check and diff. */
  preview(): Promise<RunResult> {
    return this.operate("preview", async (run) => {
      const outputs = await this.runProgram(run);
      for (const r of this.leftovers(run)) this.plan(run, r, leftoverOp(r));
      return outputs;
    });
  }

  /** Runs the program and makes the state (and the service) match it. */
  up(): Promise<RunResult> {
    return this.operate("up", async (run) => {
      const outputs = await this.runProgram(run);
      // A resource that never registered because a step it needed failed is not "removed";
      // like the engine, delete nothing after a failed program.
      if (run.failures.length > 0) throw failureOf(run.operation, run.failures);
      // Both kinds of leftovers go in one reverse-dependency walk, as the engine's do.
      await this.deleteInOrder(run, this.leftovers(run), leftoverOp);
      this.state.outputs = outputs;
      this.save();
      return outputs;
    });
  }

  /** Reads every dynamic resource back with its stored provider; gone ones leave the state. */
  refresh(): Promise<RunResult> {
    return this.operate("refresh", async (run) => {
      await Promise.all(this.state.resources.filter(isDynamic).map((r) => this.refreshOne(run, r)));
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

  private async operate(
    operation: RunResult["operation"],
    body: (run: Run) => Promise<Record<string, unknown>>,
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
      providers: new Map(),
      steps: [],
      failures: [],
      inflight: new Set(),
      registered: new Set(),
      pendingReplacement: new Map(),
    };
    this.run = run;
    activeOperation = operation;
    const started = Date.now();
    try {
      const outputs = await body(run);
      if (run.failures.length > 0) throw failureOf(operation, run.failures);
      return { operation, outputs, steps: run.steps, seconds: (Date.now() - started) / 1000 };
    } finally {
      this.run = undefined;
      activeOperation = undefined;
    }
  }

  /**
   * Runs the program once, as the language host does: a fresh runtime store, the mock monitor,
   * the stack config, the program's modules loaded anew inside a `pulumi:pulumi:Stack`.
   */
  private runProgram(run: Run): Promise<Record<string, unknown>> {
    return runtimeState.withLocalStorage(async () => {
      await pulumi.runtime.setMocks(
        {
          newResource: (args) => this.newResource(args),
          call: (args) => this.call(args),
        },
        this.options.project,
        this.options.stack,
        run.preview,
      );
      const monitor = runtimeState.getStore().settings.monitor;
      this.captureRequestMeta(monitor);
      pulumi.runtime.setAllConfig(this.config);
      this.dropProgramModules();

      // An error the SDK cannot hand back to anyone (a closure that fails to serialize, a
      // provider error nobody awaits) surfaces as an unhandled rejection. The language host
      // collects those and fails the run; so does this engine, instead of hanging.
      let fail!: (err: unknown) => void;
      const fatal = new Promise<never>((_, reject) => (fail = reject));
      fatal.catch(() => undefined);
      const onFatal = (err: unknown) => fail(err);
      const saved = process.listeners("unhandledRejection");
      const savedExceptions = process.listeners("uncaughtException");
      process.removeAllListeners("unhandledRejection");
      process.removeAllListeners("uncaughtException");
      process.on("unhandledRejection", onFatal);
      process.on("uncaughtException", onFatal);
      try {
        const outputs = await Promise.race([
          pulumi.runtime.runInPulumiStack(async () => this.loadProgram()),
          fatal,
        ]);
        await Promise.race([runtimeSettings.waitForRPCs(), fatal]);
        return (outputs ?? {}) as Record<string, unknown>;
      } catch (err) {
        await Promise.allSettled([...run.inflight]);
        throw run.failures.length > 0 ? failureOf(run.operation, run.failures) : err;
      } finally {
        // Let rejections of this run's promises be reported to this run's handler.
        await new Promise((r) => setImmediate(r));
        process.removeListener("unhandledRejection", onFatal);
        process.removeListener("uncaughtException", onFatal);
        for (const l of saved) process.on("unhandledRejection", l as (...a: unknown[]) => void);
        for (const l of savedExceptions) process.on("uncaughtException", l);
      }
    });
  }

  private loadProgram(): unknown {
    const { program } = this.options;
    if (typeof program === "function") return program();
    const exported = require(program);
    return exported instanceof Function ? exported() : exported;
  }

  private dropProgramModules(): void {
    const { program } = this.options;
    if (typeof program !== "string") return;
    const roots = (
      this.options.reload ?? [
        program,
        resolve(dirname(program), "stack"),
        resolve(dirname(program), "providers"),
      ]
    ).map((p) => resolve(p));
    for (const key of Object.keys(require.cache)) {
      if (roots.some((root) => key === root || key.startsWith(root + sep))) {
        delete require.cache[key];
      }
    }
  }

  /**
   * `newResource` receives neither the parent nor the dependencies; the register request
   * does. The mock monitor calls `newResource` synchronously from `registerResource`, so the
   * request's metadata is parked here for that one call.
   */
  private captureRequestMeta(monitor: any): void {
    for (const method of ["registerResource", "readResource"]) {
      const original = monitor[method].bind(monitor);
      monitor[method] = (req: any, callback: unknown) => {
        this.pendingMeta = requestMeta(req);
        try {
          return original(req, callback);
        } finally {
          this.pendingMeta = undefined;
        }
      };
    }
  }

  private newResource(
    args: pulumi.runtime.MockResourceArgs,
  ): Promise<pulumi.runtime.MockResourceResult> {
    const meta = this.pendingMeta ?? emptyMeta();
    const run = this.run;
    if (!run) throw new Error(`resource ${args.type} '${args.name}' registered outside a run`);
    const monitor = runtimeState.getStore().settings.monitor;
    const urn: string = monitor.newUrn(meta.parent, args.type, args.name);
    if (!args.custom) return Promise.resolve({ id: undefined, state: {} });
    if (run.registered.has(urn)) {
      return Promise.reject(new Error(`duplicate resource URN '${urn}'`));
    }
    run.registered.add(urn);
    const step = args.type.startsWith(DYNAMIC_PREFIX)
      ? this.dynamicStep(run, urn, args, meta)
      : this.cannedStep(run, urn, args, meta);
    const tracked = step.catch((err: unknown) => {
      // Errors before a timed step (loading the provider, check, diff) are the run's too.
      if (!run.failures.some((f) => f === err)) {
        const error = new Error(`${args.type} '${args.name}': ${messageOf(err)}`);
        run.failures.push(error);
        throw error;
      }
      throw err;
    });
    run.inflight.add(tracked);
    return tracked.finally(() => run.inflight.delete(tracked));
  }

  private call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const region = this.config["aws:region"] ?? "us-east-1";
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return {
          accountId: "000000000000",
          arn: "arn:aws:iam::000000000000:user/offline",
          userId: "offline",
          id: "000000000000",
        };
      case "aws:index/getRegion:getRegion":
        return { name: region, region, id: region, endpoint: `${region}.amazonaws.com` };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
      default:
        return { ...args.inputs };
    }
  }

  /** check -> create, or check -> diff -> same / update / replace, for a dynamic resource. */
  private async dynamicStep(
    run: Run,
    urn: string,
    args: pulumi.runtime.MockResourceArgs,
    meta: RequestMeta,
  ): Promise<pulumi.runtime.MockResourceResult> {
    if (args.id) {
      throw new Error(
        `${args.type} '${args.name}': reading or importing a dynamic resource by id ('${args.id}') is not supported; Pulumi fails here too ("code must be a string")`,
      );
    }
    const pending = run.pendingReplacement.get(urn);
    const old = pending ?? this.find(urn);
    const news = this.wire(args, "inputs", toEngineValues(args.inputs)) as Record<string, unknown>;
    if (old) {
      for (const key of meta.ignoreChanges) {
        if (key in old.inputs) news[key] = old.inputs[key];
        else delete news[key];
      }
    }
    const text =
      news[PROVIDER_KEY] === pulumi.runtime.unknownValue && old
        ? old.inputs[PROVIDER_KEY]
        : news[PROVIDER_KEY];
    const provider = await this.provider(run, text, args);
    const checkResult = provider.check
      ? await provider.check(old?.inputs ?? {}, news)
      : { inputs: news };
    if (checkResult.failures && checkResult.failures.length > 0) {
      const reasons = checkResult.failures.map((f) => `${f.property}: ${f.reason}`).join("; ");
      throw this.stepError(run, urn, args, "create", `check failed: ${reasons}`);
    }
    const checked = this.wire(args, "check result", {
      ...(checkResult.inputs ?? news),
      [PROVIDER_KEY]: news[PROVIDER_KEY],
    }) as Record<string, unknown>;
    const record = (id: string, outputs: Record<string, unknown>): ResourceState => ({
      urn,
      type: args.type,
      name: args.name,
      ...(meta.parent ? { parent: meta.parent } : {}),
      id,
      inputs: checked,
      outputs,
      dependencies: meta.dependencies,
      propertyDependencies: meta.propertyDependencies,
      ...(meta.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
    });

    if (!old || pending) {
      const op: StepOp = pending ? "replace" : "create";
      if (run.preview) {
        this.plan(run, { urn, type: args.type, name: args.name }, op);
        return { id: undefined, state: checked };
      }
      const created = await this.timed(run, urn, args, op, () =>
        this.create(provider, args, checked),
      );
      run.pendingReplacement.delete(urn);
      this.put(record(created.id, created.outputs));
      return { id: created.id, state: created.outputs };
    }

    const diff: dynamic.DiffResult = provider.diff
      ? await provider.diff(old.id, old.outputs, checked)
      : {};
    const replaces = diff.replaces ?? [];
    // DIFF_UNKNOWN (no `changes`, or no diff at all): the engine compares the inputs itself.
    // Replaces count only when there are changes, as in the engine's step generator.
    const changed =
      typeof diff.changes === "boolean" ? diff.changes : !sameJson(old.inputs, checked);
    if (!changed) {
      this.plan(run, old, "same");
      if (!run.preview) this.put({ ...record(old.id, old.outputs) });
      return { id: old.id, state: old.outputs };
    }
    if (replaces.length === 0) {
      if (run.preview) {
        this.plan(run, old, "update");
        return { id: old.id, state: checked };
      }
      const outputs = await this.timed(run, urn, args, "update", async () => {
        const result = provider.update
          ? ((await provider.update(old.id, old.outputs, checked)) ?? {})
          : {};
        return this.wire(args, "update result", withProvider(result.outs, checked));
      });
      this.put(record(old.id, outputs));
      return { id: old.id, state: outputs };
    }

    const deleteFirst = Boolean(diff.deleteBeforeReplace) || meta.deleteBeforeReplace;
    if (run.preview) {
      if (deleteFirst) {
        for (const d of await this.dependentReplacements(run, old)) {
          run.pendingReplacement.set(d.urn, d);
        }
      }
      this.plan(run, old, "replace");
      return { id: undefined, state: checked };
    }
    if (deleteFirst) {
      const dependents = await this.dependentReplacements(run, old);
      for (const d of dependents) run.pendingReplacement.set(d.urn, d);
      await this.deleteInOrder(run, [...dependents, old], () => "delete-replaced");
    }
    const created = await this.timed(run, urn, args, "replace", () =>
      this.create(provider, args, checked),
    );
    if (!deleteFirst) {
      old.delete = true;
      this.save();
    }
    this.put(record(created.id, created.outputs));
    return { id: created.id, state: created.outputs };
  }

  private async create(
    provider: dynamic.ResourceProvider,
    args: pulumi.runtime.MockResourceArgs,
    checked: Record<string, unknown>,
  ): Promise<{ id: string; outputs: Record<string, unknown> }> {
    const result = await provider.create(checked);
    if (!result.id) {
      throw new Error(
        `plugin returned empty resource.ID from create (id ${JSON.stringify(result.id)})`,
      );
    }
    const outputs = this.wire(args, "create result", withProvider(result.outs, checked));
    return { id: result.id, outputs: outputs as Record<string, unknown> };
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
    for (const r of this.state.resources) {
      // An old half awaiting deletion is no current resource to recreate.
      if (r.urn === root.urn || r.delete || !isDynamic(r)) continue;
      const inputs: Record<string, unknown> = { ...r.inputs };
      let touched = false;
      for (const [key, urns] of Object.entries(r.propertyDependencies)) {
        if (urns.some((u) => replacing.has(u)) && key in inputs) {
          inputs[key] = pulumi.runtime.unknownValue;
          touched = true;
        }
      }
      if (!touched) continue;
      const provider = await this.provider(run, r.outputs[PROVIDER_KEY], r);
      const diff = provider.diff ? await provider.diff(r.id, r.outputs, inputs) : {};
      if ((diff.replaces ?? []).length > 0) {
        replacing.add(r.urn);
        found.push(r);
      }
    }
    return found;
  }

  /** A non-dynamic custom resource: canned outputs, stable between runs. */
  private async cannedStep(
    run: Run,
    urn: string,
    args: pulumi.runtime.MockResourceArgs,
    meta: RequestMeta,
  ): Promise<pulumi.runtime.MockResourceResult> {
    const old = this.find(urn);
    const inputs = toEngineValues(args.inputs) as Record<string, unknown>;
    const op: StepOp = !old ? "create" : sameJson(old.inputs, inputs) ? "same" : "update";
    const id = old?.id ?? args.id ?? `${args.name}-${randomHex(7)}`;
    const canned = cannedOutputs(args.type, id, this.config["aws:region"]);
    // `.get` (an id given) reads a resource the stack does not manage: nothing to record.
    if (args.id) return { id, state: { ...canned, ...args.inputs } };
    this.plan(run, { urn, type: args.type, name: args.name }, op);
    if (!run.preview) {
      this.put({
        urn,
        type: args.type,
        name: args.name,
        ...(meta.parent ? { parent: meta.parent } : {}),
        id,
        inputs,
        outputs: { ...canned, ...inputs },
        dependencies: meta.dependencies,
        propertyDependencies: meta.propertyDependencies,
      });
    }
    // The inputs as the SDK sent them: unknown stays unknown in preview, secret stays secret.
    return { id, state: { ...canned, ...args.inputs } };
  }

  private async refreshOne(run: Run, r: ResourceState): Promise<void> {
    const provider = await this.provider(run, r.outputs[PROVIDER_KEY], r);
    if (!provider.read) {
      this.record(
        run,
        {
          urn: r.urn,
          type: r.type,
          name: r.name,
          op: "refresh",
          seconds: 0,
          refreshed: "unchanged",
        },
        "done",
      );
      return;
    }
    const step: Step = { urn: r.urn, type: r.type, name: r.name, op: "refresh", seconds: 0 };
    this.record(run, step, "start");
    const started = Date.now();
    try {
      const result = await provider.read(r.id, r.outputs);
      step.seconds = (Date.now() - started) / 1000;
      if (!result.id) {
        step.refreshed = "deleted";
        this.state.resources = this.state.resources.filter((x) => x !== r);
      } else {
        const outputs = this.wire(r, "read result", withProvider(result.props, r.outputs));
        const inputs = result.inputs
          ? this.wire(r, "read inputs", withProvider(result.inputs, r.outputs))
          : r.inputs;
        step.refreshed =
          sameJson(outputs, r.outputs) && sameJson(inputs, r.inputs) && result.id === r.id
            ? "unchanged"
            : "changed";
        // In place of this very entry: an old half keeps its place and its `delete` mark.
        const next = { ...r, id: result.id, outputs: outputs as any, inputs: inputs as any };
        this.state.resources = this.state.resources.map((x) => (x === r ? next : x));
      }
      this.save();
      this.record(run, step, "done");
    } catch (err) {
      step.seconds = (Date.now() - started) / 1000;
      step.error = messageOf(err);
      run.failures.push(new Error(`${r.type} '${r.name}': refresh: ${step.error}`));
      this.record(run, step, "failed");
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
          await this.timed(run, r.urn, r, opOf(r), () => this.deleteOne(run, r));
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
    if (!isDynamic(r)) return;
    const provider = await this.provider(run, r.outputs[PROVIDER_KEY], r);
    if (provider.delete) await provider.delete(r.id, r.outputs);
  }

  /** Loads a provider as the dynamic-provider host does: once per text, then `configure`. */
  private provider(
    run: Run,
    text: unknown,
    owner: { type: string; name: string },
  ): Promise<dynamic.ResourceProvider> {
    if (typeof text !== "string") {
      return Promise.reject(
        new Error(`${owner.type} '${owner.name}': __provider must be a string, not ${typeof text}`),
      );
    }
    let loaded = run.providers.get(text);
    if (!loaded) {
      loaded = (async () => {
        const provider = requireFromString(text).handler();
        if (provider.configure) {
          await provider.configure({
            config: new DynamicConfig(this.config, this.options.project),
          } as any);
        }
        return provider;
      })();
      run.providers.set(text, loaded);
    }
    return loaded;
  }

  /** Runs one step, reporting start and done/failed, and records a failure for the run. */
  private async timed<T>(
    run: Run,
    urn: string,
    r: { type: string; name: string },
    op: StepOp,
    work: () => Promise<T>,
  ): Promise<T> {
    const step: Step = { urn, type: r.type, name: r.name, op, seconds: 0 };
    this.record(run, step, "start");
    const started = Date.now();
    try {
      const result = await work();
      step.seconds = (Date.now() - started) / 1000;
      this.record(run, step, "done");
      return result;
    } catch (err) {
      step.seconds = (Date.now() - started) / 1000;
      step.error = messageOf(err);
      const error = new Error(`${r.type} '${r.name}': ${op}: ${step.error}`);
      run.failures.push(error);
      this.record(run, step, "failed");
      throw error;
    }
  }

  private stepError(
    run: Run,
    urn: string,
    r: { type: string; name: string },
    op: StepOp,
    message: string,
  ): Error {
    const step: Step = { urn, type: r.type, name: r.name, op, seconds: 0, error: message };
    const error = new Error(`${r.type} '${r.name}': ${message}`);
    run.failures.push(error);
    this.record(run, step, "failed");
    return error;
  }

  /** Records a step that calls nothing (same, planned steps, canned resources). */
  private plan(run: Run, r: { urn: string; type: string; name: string }, op: StepOp): void {
    const step: Step = { urn: r.urn, type: r.type, name: r.name, op, seconds: 0 };
    this.record(run, step, "start");
    this.record(run, step, "done");
  }

  private record(run: Run, step: Step, phase: StepEvent["phase"]): void {
    if (phase !== "start") run.steps.push({ ...step });
    try {
      this.options.onEvent?.({ ...step, phase, preview: run.preview });
    } catch {
      // Reporting progress must never change what the deployment does (a closed stdout,
      // a throwing callback): the step's outcome is in `steps` either way.
    }
  }

  /**
   * Every value crossing the provider boundary goes through `google.protobuf.Struct`, as it
   * does between the engine and the dynamic-provider host.
   */
  private wire(
    r: { type: string; name: string },
    what: string,
    value: unknown,
  ): Record<string, unknown> {
    try {
      return Struct.fromJavaScript(value as any).toJavaScript() as Record<string, unknown>;
    } catch (err) {
      throw new Error(
        `${r.type} '${r.name}': the ${what} cannot cross the provider boundary (${messageOf(err)}); a value is undefined, a function, a Buffer or a BigInt`,
        { cause: err },
      );
    }
  }

  /** The URN's current resource (not an old half waiting to be deleted). */
  private find(urn: string): ResourceState | undefined {
    return this.state.resources.find((r) => r.urn === urn && !r.delete);
  }

  /** Stores a resource in place of the URN's current one, or at the end. */
  private put(r: ResourceState): void {
    const i = this.state.resources.findIndex((x) => x.urn === r.urn && !x.delete);
    if (i >= 0) this.state.resources[i] = r;
    else this.state.resources.push(r);
    this.save();
  }

  /** What `up` deletes at the end: resources the program no longer declares, old halves. */
  private leftovers(run: Run): ResourceState[] {
    return this.state.resources.filter((r) => r.delete || !run.registered.has(r.urn));
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

function isDynamic(r: { type: string }): boolean {
  return r.type.startsWith(DYNAMIC_PREFIX);
}

function requestMeta(req: any): RequestMeta {
  const propertyDependencies: Record<string, string[]> = {};
  const map = req.getPropertydependenciesMap?.();
  if (map) {
    map.forEach((deps: any, key: string) => {
      propertyDependencies[key] = deps.getUrnsList();
    });
  }
  return {
    parent: req.getParent?.() ?? "",
    dependencies: req.getDependenciesList?.() ?? [],
    propertyDependencies,
    deleteBeforeReplace: req.getDeletebeforereplace?.() ?? false,
    ignoreChanges: (req.getIgnorechangesList?.() ?? []).filter((p: string) => !/[.[]/.test(p)),
  };
}

function emptyMeta(): RequestMeta {
  return {
    parent: "",
    dependencies: [],
    propertyDependencies: {},
    deleteBeforeReplace: false,
    ignoreChanges: [],
  };
}

/** Secrets unwrapped, unknowns as the engine's sentinel string: what the host receives. */
export function toEngineValues(value: unknown): unknown {
  if (pulumi.runtime.isRpcSecret(value))
    return toEngineValues(pulumi.runtime.unwrapRpcSecret(value));
  if (pulumi.isUnknown(value)) return pulumi.runtime.unknownValue;
  if (Array.isArray(value)) return value.map(toEngineValues);
  if (
    value !== null &&
    typeof value === "object" &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toEngineValues(v)]));
  }
  return value;
}

/** The host's `resultIncludingProvider`: outs (or nothing) plus the inputs' `__provider`. */
function withProvider(outs: unknown, from: Record<string, unknown>): Record<string, unknown> {
  return Object.assign((outs as Record<string, unknown>) ?? {}, {
    [PROVIDER_KEY]: from[PROVIDER_KEY],
  });
}

function cannedOutputs(type: string, id: string, region = "us-east-1"): Record<string, unknown> {
  // `aws:s3/bucketV2:BucketV2` -> service `s3`; anything else keeps its package name.
  const [pkg, module = ""] = type.split(":");
  const service = pkg === "aws" ? module.split("/")[0] : pkg;
  const arn =
    service === "s3"
      ? `arn:aws:s3:::${id}`
      : service === "iam"
        ? `arn:aws:iam::000000000000:${type.split(":")[2]?.toLowerCase() ?? "resource"}/${id}`
        : `arn:aws:${service}:${region}:000000000000:${id}`;
  return { id, arn, name: id, ...(service === "s3" ? { bucket: id } : {}) };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

function randomHex(n: number): string {
  return Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function failureOf(operation: string, failures: Error[]): Error {
  const error = new Error(`${operation} failed: ${failures.map((f) => f.message).join("; ")}`);
  (error as Error & { failures: Error[] }).failures = failures;
  return error;
}
