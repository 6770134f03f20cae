/**
 * The language-host side of the offline engine: runs a Pulumi program in this process under
 * `pulumi.runtime.setMocks`, as the nodejs language host runs it under the CLI (a fresh
 * runtime store, the stack's config, the program's modules loaded anew inside a
 * `pulumi:pulumi:Stack`), and hands every resource registration to the engine with what the
 * register request carried (parent, dependencies, per-property dependencies, options).
 */
import { dirname, resolve, sep } from "path";
import * as pulumi from "@pulumi/pulumi";

// Pieces of the SDK the language host uses itself; internal, so required untyped.
const runtimeState: {
  withLocalStorage<T>(fn: () => Promise<T>): Promise<T>;
  getStore(): any;
} = require("@pulumi/pulumi/runtime/state");
const runtimeSettings: {
  waitForRPCs(): Promise<void>;
} = require("@pulumi/pulumi/runtime/settings");

// A failed registration rejects one promise per output of the resource; the SDK attaches to
// some of them only later, which Node reports as PromiseRejectionHandledWarning. Those
// rejections are this runner's to collect (see `fatal` below), so the late handling is expected.
process.on("rejectionHandled", () => undefined);

/** What a register (or read) request carried besides the inputs. */
export interface RequestMeta {
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  deleteBeforeReplace: boolean;
  /** Top-level property names only: nested paths are not modelled. */
  ignoreChanges: string[];
  /** The `aliases` option as the SDK sends it: old URNs, or specs the engine completes. */
  aliases: AliasSpec[];
}

/** One alias: a whole URN, or the parts of the old URN that differ (the engine fills the rest). */
export interface AliasSpec {
  urn?: string;
  name?: string;
  type?: string;
  project?: string;
  stack?: string;
  /** The old parent's URN; `noParent` says the resource had none. */
  parentUrn?: string;
  noParent?: boolean;
}

export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * A resource's URN as the engine makes it (`resource.NewURN` in pulumi/pulumi): the parent's
 * qualified type, `$`, the type; the root stack is no one's qualifier. The SDK's mock monitor
 * makes URNs its own way (the stack's type in front, only the parent's last type), so the
 * runner replaces it with this: aliases, and states written by the CLI, need the real form.
 */
export function urnOf(
  stack: string,
  project: string,
  type: string,
  name: string,
  parent: string,
): string {
  const parentType = parent ? urnParts(parent).qualifiedType : "";
  const qualified = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** `urn:pulumi:stack::project::qualified$type::name` -> its parts. */
export function urnParts(urn: string): { qualifiedType: string; type: string; name: string } {
  const parts = urn.split("::");
  const qualifiedType = parts[2] ?? "";
  return {
    qualifiedType,
    type: qualifiedType.split("$").pop() ?? "",
    name: parts.slice(3).join("::"),
  };
}

/** One resource registration, as the engine receives it. */
export interface Registration {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  /** The inputs as the SDK sent them (secrets wrapped, unknowns as `pulumi.unknown`). */
  inputs: Record<string, any>;
  /** Set for `.get`: read an existing resource by id instead of managing one. */
  id?: string;
  meta: RequestMeta;
}

export interface ProgramOptions {
  /**
   * The absolute path of the main module (required afresh for every run, as the language
   * host requires it) or a function returning the stack outputs.
   */
  program: string | (() => unknown);
  project: string;
  stack: string;
  preview: boolean;
  config: Record<string, string>;
  /** Files and folders whose modules are dropped from `require.cache` before the run. */
  reload?: string[];
  register(registration: Registration): Promise<pulumi.runtime.MockResourceResult>;
  invoke(args: pulumi.runtime.MockCallArgs): Record<string, unknown>;
  /**
   * Awaited when the run fails, before this runner stops catching unhandled rejections: the
   * registrations still in flight reject the SDK's output promises as they end.
   */
  drain(): Promise<unknown>;
}

/** Runs the program once; resolves to its stack outputs when every registration is answered. */
export function runProgram(options: ProgramOptions): Promise<Record<string, unknown>> {
  return runtimeState.withLocalStorage(async () => {
    let pendingMeta: RequestMeta | undefined;
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          const monitor = runtimeState.getStore().settings.monitor;
          const meta = pendingMeta ?? emptyMeta();
          return options.register({
            urn: monitor.newUrn(meta.parent, args.type, args.name),
            type: args.type,
            name: args.name,
            custom: args.custom ?? true,
            inputs: args.inputs,
            ...(args.id ? { id: args.id } : {}),
            meta,
          });
        },
        call: (args) => options.invoke(args),
      },
      options.project,
      options.stack,
      options.preview,
    );
    // `newResource` receives neither the parent nor the dependencies; the register request
    // does. The mock monitor calls `newResource` synchronously from `registerResource`, so
    // the request's metadata is parked for that one call.
    const monitor = runtimeState.getStore().settings.monitor;
    monitor.newUrn = (parent: string, type: string, name: string) =>
      urnOf(options.stack, options.project, type, name, parent);
    for (const method of ["registerResource", "readResource"]) {
      const original = monitor[method].bind(monitor);
      monitor[method] = (req: any, callback: unknown) => {
        pendingMeta = requestMeta(req);
        try {
          return original(req, callback);
        } finally {
          pendingMeta = undefined;
        }
      };
    }
    pulumi.runtime.setAllConfig(options.config);
    dropProgramModules(options);

    // An error the SDK cannot hand back to anyone (a closure that fails to serialize, a
    // registration nobody awaits) surfaces as an unhandled rejection. The language host
    // collects those and fails the run; so does this runner, instead of hanging.
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
        pulumi.runtime.runInPulumiStack(async () => loadProgram(options.program)),
        fatal,
      ]);
      await Promise.race([runtimeSettings.waitForRPCs(), fatal]);
      return (outputs ?? {}) as Record<string, unknown>;
    } catch (err) {
      await options.drain();
      throw err;
    } finally {
      // Let rejections of this run's promises reach this run's handler.
      await new Promise((r) => setImmediate(r));
      process.removeListener("unhandledRejection", onFatal);
      process.removeListener("uncaughtException", onFatal);
      for (const l of saved) process.on("unhandledRejection", l as (...a: unknown[]) => void);
      for (const l of savedExceptions) process.on("uncaughtException", l);
    }
  });
}

function loadProgram(program: ProgramOptions["program"]): unknown {
  if (typeof program === "function") return program();
  const exported = require(program);
  return exported instanceof Function ? exported() : exported;
}

/** Default: the program file and the `stack/` and `providers/` folders next to it. */
function dropProgramModules({ program, reload }: ProgramOptions): void {
  if (typeof program !== "string") return;
  const roots = (
    reload ?? [program, resolve(dirname(program), "stack"), resolve(dirname(program), "providers")]
  ).map((p) => resolve(p));
  for (const key of Object.keys(require.cache)) {
    if (roots.some((root) => key === root || key.startsWith(root + sep))) {
      delete require.cache[key];
    }
  }
}

function requestMeta(req: any): RequestMeta {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap?.()?.forEach((deps: any, key: string) => {
    propertyDependencies[key] = deps.getUrnsList();
  });
  return {
    parent: req.getParent?.() ?? "",
    dependencies: req.getDependenciesList?.() ?? [],
    propertyDependencies,
    deleteBeforeReplace: req.getDeletebeforereplace?.() ?? false,
    ignoreChanges: (req.getIgnorechangesList?.() ?? []).filter((p: string) => !/[.[]/.test(p)),
    aliases: (req.getAliasesList?.() ?? []).map(aliasSpec),
  };
}

function aliasSpec(alias: any): AliasSpec {
  const spec = alias.getSpec?.();
  if (!spec) return { urn: alias.getUrn() };
  const text = (value: string) => (value === "" ? undefined : value);
  return Object.fromEntries(
    Object.entries({
      name: text(spec.getName()),
      type: text(spec.getType()),
      project: text(spec.getProject()),
      stack: text(spec.getStack()),
      parentUrn: text(spec.getParenturn()),
      noParent: spec.getNoparent() || undefined,
    }).filter(([, v]) => v !== undefined),
  ) as AliasSpec;
}

function emptyMeta(): RequestMeta {
  return {
    parent: "",
    dependencies: [],
    propertyDependencies: {},
    deleteBeforeReplace: false,
    ignoreChanges: [],
    aliases: [],
  };
}
