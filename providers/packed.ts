/**
 * A provider's code, compressed, behind a small loader: what a resource stores as `__provider`.
 *
 * `dynamic.Resource` stores its provider as the text of a module that exports a `handler`
 * returning the provider (`serializeFunction`, run on the provider; the host loads the text
 * with require-from-string: pulumi/pulumi sdk/nodejs/dynamic/index.ts and
 * cmd/dynamic-provider/index.ts). Given a Personalize provider, the closure serializer copies
 * in everything its methods reach (providers/lifecycle.ts, the validators, the rules), taking a
 * few milliseconds per function through the inspector: 1 to 2 s of the program's process for
 * the Personalize kinds, before their first resource can be registered, in every preview and
 * up.
 *
 * Here the SDK serializes only a small loader. What the loader carries is the provider's own
 * modules: the project modules that define the providers of a group, and those they require,
 * transpiled without comments (kept between runs, stack/cached-transpiler.js), with where each
 * relative require of theirs leads. In the host, the loader evaluates those modules on the
 * first call as Node would (one instance per module, in require order) and hands each method
 * to the provider its module exports. Packages and Node's own modules are required from the
 * program's directory, as the serialized text requires them, so a path inside a package never
 * reaches the state. A provider must be exported by a project module. A module required
 * lazily (inside a function) is carried too when the require names it in a literal; one named
 * at run time (`require("./" + name)`) fails in the host, saying so.
 *
 * The bundle is deflated and base64-encoded (about a quarter of its size): the provider host
 * sends that text back in one gRPC trailer when a create fails after the resource exists (an
 * init failure, `grpcResponseFromError` in pulumi/pulumi sdk/nodejs/cmd/dynamic-provider/
 * index.ts), and Node's HTTP/2 sends no header block over 64 KiB (`maxSendHeaderBlockLength`,
 * https://nodejs.org/api/http2.html#settings-object; measured with @grpc/grpc-js here, a
 * trailer of 60,000 bytes arrives and one of 64,000 never does): an init failure whose
 * properties do not fit never answers, and the engine never learns of the resource it has to
 * finish or delete.
 */
import type { dynamic } from "@pulumi/pulumi";
import { join, relative, sep } from "path";
import { deflateRawSync, inflateRawSync } from "zlib";
import { loadedModules, moduleGraph, projectCompiler } from "./module-graph";

type Method = "check" | "diff" | "create" | "read" | "update" | "delete";
const METHODS: readonly Method[] = ["check", "diff", "create", "read", "update", "delete"];

/**
 * What a bundle holds: modules by id (a path from the working directory of the process that
 * packed them, the program's under the CLI), and each key's export.
 */
export interface Bundle {
  modules: Record<string, { code: string; requires: Record<string, string> }>;
  providers: Record<string, { module: string; name: string }>;
}

/** A bundle from its stored text. */
function readBundle(text: string): Bundle {
  return JSON.parse(inflateRawSync(Buffer.from(text, "base64")).toString("utf8")) as Bundle;
}

/**
 * Evaluates a bundle's modules as Node would, in the host, from the program's directory (the
 * host's working directory): each module once (one that throws is forgotten, and throws again
 * when required again), its relative requires served from the bundle, packages and Node's
 * modules required from that directory.
 *
 * It captures nothing (see {@link Loader}): Node's modules are required inside it, by the
 * `require` of the module the host made of the provider's text.
 */
const unpack = (text: string): Record<string, dynamic.ResourceProvider> => {
  const nodeModule = require("module") as typeof import("module");
  const path = require("path") as typeof import("path");
  const vm = require("vm") as typeof import("vm");
  const zlib = require("zlib") as typeof import("zlib");
  const bundle = JSON.parse(
    zlib.inflateRawSync(Buffer.from(text, "base64")).toString("utf8"),
  ) as Bundle;
  const outside = nodeModule.createRequire(path.join(process.cwd(), "__provider.js"));
  const loaded = new Map<string, { exports: unknown }>();
  const load = (id: string): unknown => {
    const done = loaded.get(id);
    if (done) return done.exports;
    const { code, requires } = bundle.modules[id];
    const module = { exports: {} };
    loaded.set(id, module);
    const filename = path.join(process.cwd(), id);
    const require = (spec: string) => {
      if (Object.hasOwn(requires, spec)) return load(requires[spec]);
      if (spec.startsWith("./") || spec.startsWith("../"))
        throw new Error(
          `${id} requires ${JSON.stringify(spec)}, which its stored code does not hold: a ` +
            "relative require must name its module in a literal (providers/packed.ts)",
        );
      return outside(spec);
    };
    try {
      vm.compileFunction(code, ["exports", "require", "module", "__filename", "__dirname"], {
        filename,
      }).call(module.exports, module.exports, require, module, filename, path.dirname(filename));
    } catch (err) {
      loaded.delete(id);
      throw err;
    }
    return module.exports;
  };
  const providers: Record<string, dynamic.ResourceProvider> = {};
  for (const [key, { module, name }] of Object.entries(bundle.providers))
    providers[key] = (load(module) as Record<string, dynamic.ResourceProvider>)[name];
  return providers;
};

/** Providers by group (e.g. `personalize`), then by key (the kind), as their modules define them. */
const groups = new Map<string, Map<string, dynamic.ResourceProvider>>();

/** Where each provider of a group is. */
const places = new Map<dynamic.ResourceProvider, { group: string; key: string }>();

/** A group's providers packed together: their bundle, deflated, as base64. */
interface Packed {
  readonly keys: ReadonlySet<string>;
  readonly text: string;
}
const packs = new Map<string, Packed>();

/**
 * Adds `provider` to `group` under `key`, when its resource class is defined. A program's
 * first resource of the group then packs every provider the group has by then, in one bundle:
 * the kinds of a group share most of their code (providers/lifecycle.ts), which the bundle
 * then holds once.
 */
export function registerPacked(group: string, key: string, provider: dynamic.ResourceProvider) {
  let members = groups.get(group);
  if (!members) groups.set(group, (members = new Map()));
  members.set(key, provider);
  places.set(provider, { group, key });
}

/** The pack holding `key` of `group`: the current one, or a new one of every member now. */
function packFor(group: string, key: string): Packed {
  const current = packs.get(group);
  if (current?.keys.has(key)) return current;
  const members = Object.fromEntries(groups.get(group) ?? []);
  const pack = {
    keys: new Set(Object.keys(members)),
    text: packModules(members, (key) => `${group}:${key}`),
  };
  packs.set(group, pack);
  return pack;
}

/** Where a provider is defined: a project module's file and the name it exports it under. */
interface Export {
  file: string;
  name: string;
}

/**
 * The project modules that define `providers` (by key), and the names they export them under:
 * an own value of a module's exports (a re-export is a getter). Among the modules in
 * `require.cache`, or if a provider is not found there, among those their children reach
 * (dropped from the cache to be loaded anew, as the offline engine and tests do, while an
 * earlier copy's providers are still in use). When more than one module holds a provider (one
 * that re-exports it as a value), the one that requires none of the others defines it.
 * `nameOf` names a key's resources in an error.
 */
function exportsOf(
  providers: Record<string, dynamic.ResourceProvider>,
  nameOf: (key: string) => string,
): Record<string, Export> {
  const wanted = new Map<dynamic.ResourceProvider, string[]>();
  for (const [key, provider] of Object.entries(providers))
    wanted.set(provider, [...(wanted.get(provider) ?? []), key]);
  const holders = new Map<string, { module: NodeJS.Module; name: string }[]>();
  const look = (module: NodeJS.Module) => {
    const exported: unknown = module.exports;
    if (
      typeof module.filename !== "string" ||
      module.filename.includes(`${sep}node_modules${sep}`) ||
      exported === null ||
      (typeof exported !== "object" && typeof exported !== "function")
    )
      return;
    for (const name of Object.keys(exported)) {
      const descriptor = Object.getOwnPropertyDescriptor(exported, name);
      const keys = descriptor && "value" in descriptor ? wanted.get(descriptor.value) : undefined;
      for (const key of keys ?? [])
        holders.set(key, [...(holders.get(key) ?? []), { module, name }]);
    }
  };
  const cached = Object.values(require.cache).filter((m): m is NodeJS.Module => m !== undefined);
  cached.forEach(look);
  if (holders.size < Object.keys(providers).length) {
    const seen = new Set(cached);
    // Entries other loaders put in the cache may have no children.
    const pending = cached.flatMap((m) => m.children ?? []);
    for (let next = 0; next < pending.length; next++) {
      const module = pending[next];
      if (seen.has(module)) continue;
      seen.add(module);
      look(module);
      pending.push(...(module.children ?? []));
    }
  }
  const found: Record<string, Export> = {};
  for (const [key, provider] of Object.entries(providers)) {
    const candidates = holders.get(key) ?? [];
    const defining = candidates.filter(
      ({ module }) =>
        !candidates.some(
          (other) => other.module !== module && loadedModules(module).has(other.module),
        ),
    );
    if (defining.length !== 1)
      throw new Error(
        `${nameOf(key)}: its provider (${provider.constructor?.name ?? typeof provider}) is ` +
          (candidates.length === 0
            ? "not exported by a module of the project; export it " +
              "(`export const myProvider = new MyProvider()`)"
            : `exported by ${(defining.length > 0 ? defining : candidates).map(({ module }) => module.filename).join(" and ")}, ` +
              "none of which requires the other; export it from one module") +
          " so that its module can be stored with the resource (providers/packed.ts)",
      );
    found[key] = { file: defining[0].module.filename, name: defining[0].name };
  }
  return found;
}

/** Options beside the program's own for a bundle's modules: no comments, no source maps. */
const PACKED_OPTIONS = {
  removeComments: true,
  sourceMap: false,
  inlineSourceMap: false,
  inlineSources: false,
  declaration: false,
};

/** Makes a module's code for a bundle from its file's text. */
function packedCode(): (file: string, text: string) => string {
  let kept: { transpile(input: string, fileName: string): { outputText: string } } | undefined;
  const typescript = (text: string, file: string) => {
    if (!kept) {
      // The compiler and options of the program's own load.
      const { ts, name, options } = projectCompiler();
      // A path made at run time: a literal would make every bundle carry the transpiler.
      const { keptTranspiler } = require(join(__dirname, "..", "stack", "cached-transpiler")) as {
        keptTranspiler(options: object): NonNullable<typeof kept>;
      };
      kept = keptTranspiler({
        ts,
        compilerPath: name,
        compilerOptions: { ...options, ...PACKED_OPTIONS },
        variant: "packed",
      });
    }
    return kept.transpile(text, file).outputText;
  };
  return (file, text) => {
    if (file.endsWith(".json")) return `module.exports = JSON.parse(${JSON.stringify(text)});`;
    if (/\.[cm]?ts$/.test(file) && !file.endsWith(".d.ts")) return typescript(text, file);
    return text.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
  };
}

/**
 * A bundle of the modules that define `providers` (by key), deflated, as base64. `nameOf` names
 * a key's resources in an error.
 */
function packModules(
  providers: Record<string, dynamic.ResourceProvider>,
  nameOf: (key: string) => string,
): string {
  const defined = Object.entries(exportsOf(providers, nameOf));
  const graph = moduleGraph(
    defined.map(([, { file }]) => file),
    packedCode(),
  );
  const id = (file: string) => relative(process.cwd(), file).split(sep).join("/");
  const bundle: Bundle = { modules: {}, providers: {} };
  for (const [file, module] of graph)
    bundle.modules[id(file)] = {
      code: module.code,
      requires: Object.fromEntries(
        Object.entries(module.requires).map(([spec, to]) => [spec, id(to)]),
      ),
    };
  for (const [key, { file, name }] of defined) bundle.providers[key] = { module: id(file), name };
  return deflateRawSync(JSON.stringify(bundle), { level: 9 }).toString("base64");
}

/** Where the loaders of a process keep the bundles they evaluated, by text. */
type Unpacked = { packedProviders?: Map<string, Record<string, dynamic.ResourceProvider>> };

/**
 * Forgets the bundles this process evaluated, so that the next call of a loader evaluates its
 * modules afresh, as a new host process would (offline/host.ts, for its in-process host).
 */
export function forgetUnpacked(): void {
  delete (globalThis as Unpacked).packedProviders;
}

/**
 * A packed provider, as the SDK serializes it into every resource's `__provider`: its bundle's
 * text, its key, and functions that capture no variable. The host calls each method on the
 * provider object, so they read what they need from `this`. The SDK's closure serializer makes
 * three inspector calls for each variable a function captures, and goes on into the captured
 * value (pulumi/pulumi sdk/nodejs/runtime/closure/v8.ts, `lookupCapturedVariableValueAsync`):
 * with methods that captured their key, method and loading function, and a loading function
 * that captured Node's modules, serializing the twelve kinds' providers took 0.7 s of the
 * program's CPU; now 0.4 s.
 */
interface Loader {
  readonly text: string;
  readonly key: string;
  readonly unpack: typeof unpack;
  provider(): dynamic.ResourceProvider;
  call(method: Method, args: unknown[]): Promise<unknown>;
}

/** The loader's methods, shared by every loader. */
const loaderMethods: Record<Method, (this: Loader, ...args: unknown[]) => Promise<unknown>> &
  ThisType<Loader> = {
  check(...args) {
    return this.call("check", args);
  },
  diff(...args) {
    return this.call("diff", args);
  },
  create(...args) {
    return this.call("create", args);
  },
  read(...args) {
    return this.call("read", args);
  },
  update(...args) {
    return this.call("update", args);
  },
  delete(...args) {
    return this.call("delete", args);
  },
};

/** A provider whose methods call `key`'s in the bundle packed in `text`. */
function loaderOf(
  provider: dynamic.ResourceProvider,
  text: string,
  key: string,
): dynamic.ResourceProvider {
  const loader: Loader & Partial<Record<Method, unknown>> = {
    text,
    key,
    unpack,
    // The kinds of a group carry the same bundle: the host evaluates it once, for all of them,
    // so their modules are one instance each, as in the program.
    provider() {
      const bundles = ((globalThis as Unpacked).packedProviders ??= new Map());
      let providers = bundles.get(this.text);
      if (!providers) bundles.set(this.text, (providers = this.unpack(this.text)));
      return providers[this.key];
    },
    // Each method calls the unpacked provider's own, with its `this`.
    async call(method, args) {
      const real = this.provider();
      return (real[method] as (...a: unknown[]) => unknown).apply(real, args);
    },
  };
  for (const method of METHODS)
    if (typeof provider[method] === "function") loader[method] = loaderMethods[method];
  return loader as unknown as dynamic.ResourceProvider;
}

/** The bundle a packed provider carries, as the host reads it. */
export function bundleOf(loader: dynamic.ResourceProvider): Bundle {
  const text = texts.get(loader);
  if (text === undefined) throw new Error("not a packed provider");
  return readBundle(text);
}

/** Each packed provider's text. */
const texts = new WeakMap<dynamic.ResourceProvider, string>();

const packedProviders = new WeakMap<dynamic.ResourceProvider, dynamic.ResourceProvider>();

/**
 * The packed form of `provider`, one per provider: `dynamic.Resource` serializes each provider
 * object once (its cache is keyed by the object), and every resource of a kind stores the same
 * text. A provider no group holds is packed alone.
 */
export function packed(provider: dynamic.ResourceProvider): dynamic.ResourceProvider {
  let loader = packedProviders.get(provider);
  if (loader) return loader;
  const place = places.get(provider);
  const [text, key] = place
    ? [packFor(place.group, place.key).text, place.key]
    : [packModules({ provider }, () => "a packed provider"), "provider"];
  loader = loaderOf(provider, text, key);
  texts.set(loader, text);
  packedProviders.set(provider, loader);
  return loader;
}
