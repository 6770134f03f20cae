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
 * reaches the state. A provider must be exported by a project module; a module it requires
 * lazily (inside a function) is carried too, so that it can be called in the host.
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
import { createRequire } from "module";
import { dirname, join, relative, sep } from "path";
import { compileFunction } from "vm";
import { deflateRawSync, inflateRawSync } from "zlib";
import { moduleGraph, tsNodeService } from "./module-graph";

type Method = "check" | "diff" | "create" | "read" | "update" | "delete";
const METHODS: readonly Method[] = ["check", "diff", "create", "read", "update", "delete"];

/** What a bundle holds: modules by id (a path from the program's directory), and each key's export. */
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
 * host's working directory): each module once, its relative requires served from the bundle,
 * everything else required from that directory.
 */
function unpack(text: string): Record<string, dynamic.ResourceProvider> {
  const bundle = readBundle(text);
  const outside = createRequire(join(process.cwd(), "__provider.js"));
  const loaded = new Map<string, { exports: unknown }>();
  const load = (id: string): unknown => {
    const done = loaded.get(id);
    if (done) return done.exports;
    const { code, requires } = bundle.modules[id];
    const module = { exports: {} };
    loaded.set(id, module);
    const filename = join(process.cwd(), id);
    const require = (spec: string) => (spec in requires ? load(requires[spec]) : outside(spec));
    compileFunction(code, ["exports", "require", "module", "__filename", "__dirname"], {
      filename,
    }).call(module.exports, module.exports, require, module, filename, dirname(filename));
    return module.exports;
  };
  const providers: Record<string, dynamic.ResourceProvider> = {};
  for (const [key, { module, name }] of Object.entries(bundle.providers))
    providers[key] = (load(module) as Record<string, dynamic.ResourceProvider>)[name];
  return providers;
}

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
 * an own value of a module's exports (a re-export is a getter, and names the defining module's
 * value). The modules in `require.cache` come first, in load order (a module before those
 * importing it); only if a provider is not found there, the modules their children reach
 * (dropped from the cache to be loaded anew, as the offline engine and tests do, while an
 * earlier copy's providers are still in use). `nameOf` names a key's resources in an error.
 */
function exportsOf(
  providers: Record<string, dynamic.ResourceProvider>,
  nameOf: (key: string) => string,
): Record<string, Export> {
  const wanted = new Map(Object.entries(providers).map(([key, p]) => [p, key]));
  const found: Record<string, Export> = {};
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
      const key = descriptor && "value" in descriptor ? wanted.get(descriptor.value) : undefined;
      if (key !== undefined && !found[key]) found[key] = { file: module.filename, name };
    }
  };
  const cached = Object.values(require.cache).filter((m): m is NodeJS.Module => m !== undefined);
  cached.forEach(look);
  if (Object.keys(found).length < wanted.size) {
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
  for (const [key, provider] of Object.entries(providers))
    if (!found[key])
      throw new Error(
        `${nameOf(key)}: its provider (${provider.constructor?.name ?? typeof provider}) is ` +
          "not exported by a module of the project; export it " +
          "(`export const myProvider = new MyProvider()`) so that its module can be stored " +
          "with the resource (providers/packed.ts)",
      );
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
  let transpile: ((text: string, file: string) => string) | undefined;
  const typescript = (text: string, file: string) => {
    if (!transpile) {
      // The compiler and options of the program's own load, when ts-node runs it.
      const service = tsNodeService();
      const ts = service?.ts ?? (require("typescript") as typeof import("typescript"));
      const { keptTranspiler } = require("../stack/cached-transpiler") as {
        keptTranspiler(options: object): {
          transpile(input: string, fileName: string): { outputText: string };
        };
      };
      const kept = keptTranspiler({
        ts,
        compilerPath: String(service?.options.compiler ?? "typescript"),
        compilerOptions: {
          ...(service?.config.options ?? {
            target: ts.ScriptTarget.ES2022,
            module: ts.ModuleKind.CommonJS,
            esModuleInterop: true,
          }),
          ...PACKED_OPTIONS,
        },
        variant: "packed",
      });
      transpile = (input, fileName) => kept.transpile(input, fileName).outputText;
    }
    return transpile(text, file);
  };
  return (file, text) => {
    if (file.endsWith(".json")) return `module.exports = ${text};`;
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
  for (const [file, { code, requires }] of graph)
    bundle.modules[id(file)] = {
      code,
      requires: Object.fromEntries(Object.entries(requires).map(([spec, to]) => [spec, id(to)])),
    };
  for (const [key, { file, name }] of defined) bundle.providers[key] = { module: id(file), name };
  return deflateRawSync(JSON.stringify(bundle), { level: 9 }).toString("base64");
}

/** A provider whose methods call `key`'s in the bundle packed in `text`. */
function loaderOf(
  provider: dynamic.ResourceProvider,
  text: string,
  key: string,
): dynamic.ResourceProvider {
  // The kinds of a group carry the same bundle: the host evaluates it once, for all of them,
  // so their modules are one instance each, as in the program.
  const load = () => {
    const host = globalThis as {
      packedProviders?: Map<string, Record<string, dynamic.ResourceProvider>>;
    };
    const bundles = (host.packedProviders ??= new Map());
    let providers = bundles.get(text);
    if (!providers) bundles.set(text, (providers = unpack(text)));
    return providers;
  };
  const loader: Partial<Record<Method, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const method of METHODS) {
    if (typeof provider[method] !== "function") continue;
    // Each method calls the unpacked provider's own, with its `this`.
    loader[method] = async (...args) => {
      const real = load()[key];
      return (real[method] as (...a: unknown[]) => unknown).apply(real, args);
    };
  }
  return loader as dynamic.ResourceProvider;
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
