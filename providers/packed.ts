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
 * Packed, the provider's text is deflated and base64-encoded (about a fifth of its size) inside
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

/** A serialized provider module: `exports.handler()` returns the provider. */
interface ProviderModule {
  handler?: () => dynamic.ResourceProvider;
}

/** Evaluates a packed provider's text as the host evaluates `__provider` (require-from-string). */
function unpack(text: string): dynamic.ResourceProvider {
  const source = inflateRawSync(Buffer.from(text, "base64")).toString("utf8");
  const module: { exports: ProviderModule } = { exports: {} };
  const require = createRequire(join(process.cwd(), "__provider.js"));
  new Function("exports", "require", "module", source)(module.exports, require, module);
  if (typeof module.exports.handler !== "function")
    throw new Error("a packed provider's code does not export a handler");
  return module.exports.handler();
}

/** The end of the last packing started: providers are serialized one after another. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * The provider's module text, deflated, as base64. Serializing a provider takes a few hundred
 * milliseconds of this process's time; side by side, every kind's would end together, after
 * all of them, and no resource could be registered before then. One after another, in the
 * order the program first constructs each kind, the first resource registers after one.
 */
function packText(provider: dynamic.ResourceProvider): Promise<string> {
  const text = queue.then(() => serializePacked(provider));
  queue = text.catch(() => undefined);
  return text;
}

async function serializePacked(provider: dynamic.ResourceProvider): Promise<string> {
  const serialized = await runtime.serializeFunction(() => provider, { allowSecrets: true });
  // The loader is stored in plain text: a provider that captured a secret would leak it.
  if (serialized.containsSecrets)
    throw new Error(
      "a provider's code captures a secret, which its packed form would store in plain text",
    );
  return deflateRawSync(serialized.text, { level: 9 }).toString("base64");
}

function pack(provider: dynamic.ResourceProvider): dynamic.ResourceProvider {
  const text = packText(provider);
  // An object, not a variable: serialized, a captured variable is a fresh copy at each call,
  // while an object is one for the module, so the code is unpacked once per host.
  const unpacked: { provider?: Promise<dynamic.ResourceProvider> } = {};
  // Serialized, `text` is the promise's value: the serializer awaits a captured promise and
  // stores a string as the string itself.
  const load = () => (unpacked.provider ??= Promise.resolve(text).then(unpack));
  const loader: Partial<Record<Method, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const method of METHODS) {
    if (typeof provider[method] !== "function") continue;
    // Each method calls the unpacked provider's own, with its `this`.
    loader[method] = async (...args) => {
      const real = await load();
      return (real[method] as (...a: unknown[]) => unknown).apply(real, args);
    };
  }
  return loader as dynamic.ResourceProvider;
}

const packedProviders = new WeakMap<dynamic.ResourceProvider, dynamic.ResourceProvider>();

/**
 * The packed form of `provider`, one per provider: `dynamic.Resource` serializes each provider
 * object once (its cache is keyed by the object), and every resource of a kind stores the same
 * text.
 */
export function packed(provider: dynamic.ResourceProvider): dynamic.ResourceProvider {
  let loader = packedProviders.get(provider);
  if (!loader) packedProviders.set(provider, (loader = pack(provider)));
  return loader;
}
