/**
 * The provider side of the offline engine: the dynamic-provider host that `pulumi up` runs for
 * every `pulumi-nodejs:dynamic` resource, spoken to as the engine speaks to it.
 *
 * {@link startProviderHost} starts the SDK's own host,
 * `node_modules/@pulumi/pulumi/cmd/dynamic-provider`, as the CLI starts a plugin
 * (sdk/go/common/resource/plugin/plugin.go in pulumi/pulumi): its own process group, the
 * project as working directory, an engine address as its argument, the port read from the
 * first line of its stdout. Calls go over gRPC with the SDK's generated `pulumirpc` stubs, so
 * serialization does to errors, classes and `require`s exactly what it does under the CLI.
 * Closing it does what the CLI does to a plugin: SIGINT to the group, SIGKILL 5 s later.
 *
 * {@link inProcessHost} answers the same calls in this process, the way the host's code does,
 * for fast unit tests of engine semantics; nothing is verified until it passes the real host.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { PluginProcess, startPlugin } from "./plugin-process";
import { messageOf, PROVIDER_KEY, Props, wire } from "./wire";
import { forgetUnpacked } from "../providers/packed";

import * as grpc from "@grpc/grpc-js";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
const requireFromString: (code: string) => {
  handler(): dynamic.ResourceProvider;
} = require("require-from-string");
const DynamicConfig: new (
  raw: Record<string, string>,
  project: string,
) => { get(k: string): string | undefined } =
  require("@pulumi/pulumi/cmd/dynamic-provider/config").Config;

/** Check's answer: the checked inputs (with `__provider`) and the failures, if any. */
export interface CheckAnswer {
  inputs: Props;
  failures: { property: string; reason: string }[];
}

/** Diff's answer as the engine receives it (the host drops `stables` and detailed diffs). */
export interface DiffAnswer {
  changes: "some" | "none" | "unknown";
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/**
 * A failed provider call. `initFailure` is set when the provider said the resource exists but
 * did not initialise (`ErrorResourceInitFailed`): the engine then records `id` and
 * `properties` as the resource's state, with `reasons` as its init errors.
 */
export interface HostError extends Error {
  initFailure?: { id: string; properties: Props; reasons: string[] };
}

/** The `pulumirpc.ResourceProvider` calls the engine makes for dynamic resources. */
export interface ProviderHost {
  /** Once, before anything else: the stack's config (namespaced keys, string values). */
  configure(config: Record<string, string>): Promise<void>;
  /** `olds` are the previous checked inputs, `{}` for a new resource and for a replacement. */
  check(urn: string, olds: Props, news: Props): Promise<CheckAnswer>;
  /** `olds` are the stored outputs, `news` the checked inputs. */
  diff(urn: string, id: string, olds: Props, news: Props, oldInputs: Props): Promise<DiffAnswer>;
  create(urn: string, inputs: Props): Promise<{ id: string; properties: Props }>;
  /** An empty id in the answer means the resource is gone. */
  read(
    urn: string,
    id: string,
    properties: Props,
    inputs: Props,
  ): Promise<{ id: string; properties: Props; inputs?: Props }>;
  update(
    urn: string,
    id: string,
    olds: Props,
    news: Props,
    oldInputs: Props,
  ): Promise<{ properties: Props }>;
  delete(urn: string, id: string, properties: Props, oldInputs: Props): Promise<void>;
  /** The engine's Cancel: sent when the user interrupts (the SDK's host ignores it). */
  cancel(): Promise<void>;
  /** Ends the host: for the process, SIGINT to its group, then SIGKILL after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export interface HostOptions {
  /** Working directory of the host: the project, whose node_modules the providers require from. */
  cwd: string;
  /** Lines the host writes on stdout (after its port) and stderr: provider logs. */
  onLog?: (line: string, stream: "stdout" | "stderr") => void;
  /** Extra environment for the host process. */
  env?: Record<string, string>;
}

const HOST_SCRIPT = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");

/**
 * The CLI passes the engine's own gRPC address; this SDK's host only checks that one is given
 * (cmd/dynamic-provider/index.js `main`), and the offline engine serves no Engine service.
 */
const ENGINE_ADDRESS = "127.0.0.1:0";

/** Starts the SDK's dynamic-provider host in its own process group and connects to it. */
export async function startProviderHost(options: HostOptions): Promise<ProviderHost> {
  const plugin = await startPlugin({
    name: "the dynamic-provider host",
    command: process.execPath,
    args: [HOST_SCRIPT, ENGINE_ADDRESS],
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    ...(options.onLog ? { onLine: options.onLog } : {}),
  });
  const client = new provrpc.ResourceProviderClient(
    `127.0.0.1:${plugin.port}`,
    grpc.credentials.createInsecure(),
  );
  return new ProcessHost(plugin, client);
}

type Callback<Res> = (err: grpc.ServiceError | null, response: Res) => void;

class ProcessHost implements ProviderHost {
  private closed?: Promise<void>;

  constructor(
    private readonly plugin: PluginProcess,
    private readonly client: provrpc.ResourceProviderClient,
  ) {}

  private call<Res>(method: string, send: (callback: Callback<Res>) => unknown): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      send((err, response) => {
        if (err) reject(hostError(method, err));
        else resolve(response);
      });
    });
  }

  async configure(config: Record<string, string>): Promise<void> {
    const req = new provproto.ConfigureRequest();
    req.setArgs(Struct.fromJavaScript(config));
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    await this.call<provproto.ConfigureResponse>("configure", (cb) =>
      this.client.configure(req, cb),
    );
  }

  async check(urn: string, olds: Props, news: Props): Promise<CheckAnswer> {
    const req = new provproto.CheckRequest();
    req.setUrn(urn);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const resp = await this.call<provproto.CheckResponse>("check", (cb) =>
      this.client.check(req, cb),
    );
    return {
      inputs: resp.getInputs()?.toJavaScript() ?? {},
      failures: resp
        .getFailuresList()
        .map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(
    urn: string,
    id: string,
    olds: Props,
    news: Props,
    oldInputs: Props,
  ): Promise<DiffAnswer> {
    const req = new provproto.DiffRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    req.setOldInputs(struct(oldInputs));
    const resp = await this.call<provproto.DiffResponse>("diff", (cb) => this.client.diff(req, cb));
    const changes = resp.getChanges();
    const kinds = provproto.DiffResponse.DiffChanges;
    return {
      changes:
        changes === kinds.DIFF_SOME ? "some" : changes === kinds.DIFF_NONE ? "none" : "unknown",
      replaces: resp.getReplacesList(),
      deleteBeforeReplace: resp.getDeletebeforereplace(),
    };
  }

  async create(urn: string, inputs: Props): Promise<{ id: string; properties: Props }> {
    const req = new provproto.CreateRequest();
    req.setUrn(urn);
    req.setProperties(struct(inputs));
    const resp = await this.call<provproto.CreateResponse>("create", (cb) =>
      this.client.create(req, cb),
    );
    return { id: resp.getId(), properties: resp.getProperties()?.toJavaScript() ?? {} };
  }

  async read(urn: string, id: string, properties: Props, inputs: Props) {
    const req = new provproto.ReadRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(struct(properties));
    req.setInputs(struct(inputs));
    const resp = await this.call<provproto.ReadResponse>("read", (cb) => this.client.read(req, cb));
    const answer: { id: string; properties: Props; inputs?: Props } = {
      id: resp.getId(),
      properties: resp.getProperties()?.toJavaScript() ?? {},
    };
    const read = resp.getInputs();
    if (read) answer.inputs = read.toJavaScript();
    return answer;
  }

  async update(urn: string, id: string, olds: Props, news: Props, oldInputs: Props) {
    const req = new provproto.UpdateRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    req.setOldInputs(struct(oldInputs));
    const resp = await this.call<provproto.UpdateResponse>("update", (cb) =>
      this.client.update(req, cb),
    );
    return { properties: resp.getProperties()?.toJavaScript() ?? {} };
  }

  async delete(urn: string, id: string, properties: Props, oldInputs: Props): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(struct(properties));
    req.setOldInputs(struct(oldInputs));
    await this.call<Empty>("delete", (cb) => this.client.delete(req, cb));
  }

  async cancel(): Promise<void> {
    await this.call<Empty>("cancel", (cb) => this.client.cancel(new Empty(), cb));
  }

  close(graceMs = 5000): Promise<void> {
    this.closed ??= (async () => {
      this.client.close();
      await this.plugin.kill(graceMs);
    })();
    return this.closed;
  }
}

const struct = (value: Props) => Struct.fromJavaScript(value as Record<string, never>);

/**
 * The engine's view of a failed call (provider_plugin.go `parseError`): the message the
 * provider threw, and for create and update the `ErrorResourceInitFailed` detail the host packs
 * into `grpc-status-details-bin` when the thrown error carried an `id`.
 */
function hostError(method: string, err: grpc.ServiceError): HostError {
  const error: HostError = new Error(err.details ?? err.message ?? `${method} failed`);
  for (const raw of err.metadata?.get("grpc-status-details-bin") ?? []) {
    const status = statusproto.Status.deserializeBinary(
      typeof raw === "string" ? Buffer.from(raw, "base64") : raw,
    );
    for (const any of status.getDetailsList()) {
      if (any.getTypeName() !== "pulumirpc.ErrorResourceInitFailed") continue;
      const detail = provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
      error.initFailure = {
        id: detail.getId(),
        properties: detail.getProperties()?.toJavaScript() ?? {},
        reasons: detail.getReasonsList(),
      };
    }
  }
  return error;
}

/**
 * The host's logic in this process: the provider loaded from `__provider` with
 * require-from-string (cached by text, `configure` once), results through the same Struct
 * round trip, an init failure recognised by the `id` the thrown value carries.
 */
export function inProcessHost(project: string): ProviderHost {
  // The providers' modules evaluated afresh, as in a new host process.
  forgetUnpacked();
  const cache = new Map<string, Promise<dynamic.ResourceProvider>>();
  let config: Record<string, string> = {};
  const load = (props: Props): Promise<dynamic.ResourceProvider> => {
    const text = props[PROVIDER_KEY];
    if (typeof text !== "string")
      return Promise.reject(new Error(`code must be a string, not ${typeof text}`));
    let provider = cache.get(text);
    if (!provider) {
      provider = (async () => {
        const loaded = requireFromString(text).handler();
        await loaded.configure?.({ config: new DynamicConfig(config, project) } as any);
        return loaded;
      })();
      cache.set(text, provider);
    }
    return provider;
  };
  const withProvider = (result: unknown, props: Props): Props =>
    wire({ ...((result as Props) ?? {}), [PROVIDER_KEY]: props[PROVIDER_KEY] });
  const failed = (err: unknown): HostError => {
    const error: HostError = new Error(messageOf(err));
    const e = err as { id?: unknown; properties?: unknown; reasons?: unknown };
    if (e && typeof e === "object" && e.id) {
      error.initFailure = {
        id: String(e.id),
        properties: wire((e.properties as Props) ?? {}),
        reasons: Array.isArray(e.reasons) ? e.reasons.map(String) : [],
      };
    }
    return error;
  };
  const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
  return {
    async configure(c) {
      config = { ...c };
    },
    async check(_urn, olds, news) {
      const provider = await load(news[PROVIDER_KEY] === UNKNOWN ? olds : news);
      const result = provider.check ? await provider.check(olds, news) : { inputs: news };
      return {
        inputs: withProvider(result.inputs ?? news, news),
        failures: result.failures ?? [],
      };
    },
    async diff(_urn, id, olds, news) {
      const provider = await load(news[PROVIDER_KEY] === UNKNOWN ? olds : news);
      const result = provider.diff ? await provider.diff(id, olds, news) : {};
      return {
        changes: result.changes === true ? "some" : result.changes === false ? "none" : "unknown",
        replaces: result.replaces ?? [],
        deleteBeforeReplace: Boolean(result.deleteBeforeReplace),
      };
    },
    async create(_urn, inputs) {
      const provider = await load(inputs);
      try {
        const result = await provider.create(inputs);
        return { id: result.id, properties: withProvider(result.outs, inputs) };
      } catch (err) {
        throw failed(err);
      }
    },
    async read(_urn, id, properties) {
      const provider = await load(properties);
      if (!provider.read) return { id, properties };
      const result = await provider.read(id, properties);
      return {
        id: result.id ?? "",
        properties: withProvider(result.props, properties),
        ...(result.inputs ? { inputs: withProvider(result.inputs, properties) } : {}),
      };
    },
    async update(_urn, id, olds, news) {
      const provider = await load(news);
      try {
        const result = provider.update ? ((await provider.update(id, olds, news)) ?? {}) : {};
        return { properties: withProvider(result.outs, news) };
      } catch (err) {
        throw failed(err);
      }
    },
    async delete(_urn, id, properties) {
      const provider = await load(properties);
      await provider.delete?.(id, properties);
    },
    async cancel() {},
    async close() {},
  };
}
