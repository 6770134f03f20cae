/**
 * A provider's code, compressed, behind a small loader: what a resource stores as `__provider`.
 *
 * `dynamic.Resource` stores its provider as the text of a module (`serializeFunction`), which
 * copies in everything the provider's methods reach: for a Personalize kind, the whole of
 * providers/lifecycle.ts, the validators and the rules, about 60 KB. The provider host sends
 * that text back in one gRPC trailer when a create fails after the resource exists (an init
 * failure, `grpcResponseFromError` in pulumi/pulumi sdk/nodejs/cmd/dynamic-provider/index.ts),
 * and Node's HTTP/2 sends no header block over 64 KiB (`maxSendHeaderBlockLength`,
 * https://nodejs.org/api/http2.html#settings-object; measured with @grpc/grpc-js here, a
 * trailer of 60,000 bytes arrives and one of 64,000 never does): an init failure whose
 * properties do not fit never answers, and the engine never learns of the resource it has to
 * finish or delete.
 *
 * Packed, the provider's text is deflated and base64-encoded (a quarter of its size) inside
 * a loader that inflates and evaluates it on the first call, in the host as the host evaluates
 * `__provider` itself: a module whose `require` resolves from the program's directory.
 */
import type { dynamic } from "@pulumi/pulumi";
import { runtime } from "@pulumi/pulumi";
import { createRequire } from "module";
import { join } from "path";
import { deflateRawSync, inflateRawSync } from "zlib";

type Method = "check" | "diff" | "create" | "read" | "update" | "delete";
const METHODS: readonly Method[] = ["check", "diff", "create", "read", "update", "delete"];

/** A serialized bundle: `exports.handler()` returns its providers by key. */
interface BundleModule {
  handler?: () => Record<string, dynamic.ResourceProvider>;
}

/** Evaluates a packed provider's text as the host evaluates `__provider` (require-from-string). */
function unpack(text: string): Record<string, dynamic.ResourceProvider> {
  const source = inflateRawSync(Buffer.from(text, "base64")).toString("utf8");
  const module: { exports: BundleModule } = { exports: {} };
  const require = createRequire(join(process.cwd(), "__provider.js"));
  new Function("exports", "require", "module", source)(module.exports, require, module);
  if (typeof module.exports.handler !== "function")
    throw new Error("packed provider code does not export a handler");
  return module.exports.handler();
}

/** Providers by group (e.g. `personalize`), then by key (the kind), as their modules define them. */
const groups = new Map<string, Map<string, dynamic.ResourceProvider>>();

/** Where each provider of a group is. */
const places = new Map<dynamic.ResourceProvider, { group: string; key: string }>();

/** A group's providers serialized together: their code, deflated, as base64. */
interface Bundle {
  readonly keys: ReadonlySet<string>;
  readonly text: Promise<string>;
}
const bundles = new Map<string, Bundle>();

/**
 * Adds `provider` to `group` under `key`, when its resource class is defined. A program's
 * first resource of the group then serializes every provider the group has by then, in one
 * module: serializing a provider takes a few hundred milliseconds of the program's process,
 * and the kinds of a group share most of their code (providers/lifecycle.ts), which one
 * serialization analyses once. The Personalize group takes less than half the time of its
 * kinds one by one (about 1.3 s against 3 s), and the process answers nothing meanwhile.
 */
export function registerPacked(group: string, key: string, provider: dynamic.ResourceProvider) {
  let members = groups.get(group);
  if (!members) groups.set(group, (members = new Map()));
  members.set(key, provider);
  places.set(provider, { group, key });
}

/** The bundle holding `key` of `group`: the current one, or a new one of every member now. */
function bundleFor(group: string, key: string): Bundle {
  const current = bundles.get(group);
  if (current?.keys.has(key)) return current;
  const members = Object.fromEntries(groups.get(group) ?? []);
  const bundle = { keys: new Set(Object.keys(members)), text: packText(members) };
  bundles.set(group, bundle);
  return bundle;
}

/** The text of a module whose `handler()` returns `value`, deflated, as base64. */
async function packText(value: object): Promise<string> {
  const serialized = await runtime.serializeFunction(() => value, { allowSecrets: true });
  // The loader is stored in plain text: a provider that captured a secret would leak it.
  if (serialized.containsSecrets)
    throw new Error(
      "a provider's code captures a secret, which its packed form would store in plain text",
    );
  return deflateRawSync(serialized.text, { level: 9 }).toString("base64");
}

/** A provider whose methods call `key`'s in the module packed in `text`. */
function loaderOf(
  provider: dynamic.ResourceProvider,
  text: Promise<string>,
  key: string,
): dynamic.ResourceProvider {
  // An object, not a variable: serialized, a captured variable is a fresh copy at each call,
  // while an object is one for the module, so the code is unpacked once per host.
  const unpacked: { bundle?: Promise<Record<string, dynamic.ResourceProvider>> } = {};
  // Serialized, `text` is the promise's value: the serializer awaits a captured promise and
  // stores a string as the string itself.
  const load = () => (unpacked.bundle ??= Promise.resolve(text).then(unpack));
  const loader: Partial<Record<Method, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const method of METHODS) {
    if (typeof provider[method] !== "function") continue;
    // Each method calls the unpacked provider's own, with its `this`.
    loader[method] = async (...args) => {
      const real = (await load())[key];
      return (real[method] as (...a: unknown[]) => unknown).apply(real, args);
    };
  }
  return loader as dynamic.ResourceProvider;
}

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
  loader = place
    ? loaderOf(provider, bundleFor(place.group, place.key).text, place.key)
    : loaderOf(provider, packText({ provider }), "provider");
  packedProviders.set(provider, loader);
  return loader;
}
