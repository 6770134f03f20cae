import {
  ListTagsForResourceCommand,
  PersonalizeClient,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-personalize";
import type { dynamic, Input } from "@pulumi/pulumi";
import {
  errorCode,
  errorMessage,
  isLoopback,
  isNotFound,
  personalizeClient,
  Target,
} from "./client";
import {
  canonical,
  checkEndpoint,
  checkRegion,
  checkString,
  checkTags,
  Failure,
  isUnknown,
  plain,
  show,
  UNKNOWN,
} from "./validate";

/**
 * The version of the provider code. It is an input of every resource (`providerVersion`), so
 * bumping it makes `pulumi up` run `update` on resources deployed by older code: `destroy`
 * and `refresh` run the provider code stored at the last create/update
 * (pulumi-dynamic-providers.md §1.7), and this is how a fix reaches them.
 */
export const PROVIDER_VERSION = "1.0.0";

/**
 * A request built from checked inputs by field name: check has validated each value, so a
 * resource casts it to the SDK's request type.
 */
export type ApiRequest = Record<string, any>;

/** Plain JSON properties as the engine passes them (inputs or outputs). */
export type Props = Record<string, unknown>;

/**
 * How a change of one input reaches the service: `replace` (no update API: a new resource),
 * `update` (changed in place), `ignore` (never a diff). A function decides per case, e.g. a
 * dataset's schema is updatable only for ITEMS and USERS datasets.
 */
export type FieldRule =
  "replace" | "update" | "ignore" | ((olds: Props, news: Props) => "replace" | "update");

/** Inputs every Personalize resource takes besides its own fields. */
export interface CommonArgs {
  /** AWS region; defaults to AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1 (resolved in check and stored). */
  region?: Input<string>;
  /** A custom endpoint such as the emulator's URL. Credentials still come from the environment. */
  endpoint?: Input<string>;
  /** How long create, update and delete may wait for the service, in minutes. */
  timeoutMinutes?: Input<number>;
  /** Provider code version; defaults to {@link PROVIDER_VERSION}. A change is an in-place update that refreshes outputs. */
  providerVersion?: Input<string>;
}

/**
 * The props a resource class hands to `dynamic.Resource`: its inputs, plus every declared
 * output key the inputs lack, set to undefined. The SDK creates an Output only for keys
 * present in props, so a `declare readonly` output missing here stays undefined for ever
 * (pulumi-dynamic-providers.md §2, pitfall 6). `undefined` members are not sent to the engine.
 */
export function withOutputKeys(args: object, keys: readonly string[]): Record<string, unknown> {
  return { ...Object.fromEntries(keys.map((key) => [key, undefined])), ...args };
}

/**
 * The output keys every resource of a kind has: `arn`, `status` and its inputs under their
 * output keys. A resource class adds the outputs its table's `outputs` adds.
 */
export function outputKeys(spec: ResourceSpec): string[] {
  return ["arn", "status", ...Object.keys(allFields(spec)).map((field) => outputKey(spec, field))];
}

/** The region when the program sets none: AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1. */
export const defaultRegion = () =>
  process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1";

/** Rules of the inputs every resource has. */
const COMMON_FIELDS: Record<string, FieldRule> = {
  region: "replace",
  endpoint: "update",
  timeoutMinutes: "update",
  providerVersion: "update",
};

/** A status and the reason the service gave for a failure. */
export interface StatusView {
  status?: string;
  failureReason?: string;
}

/** What a resource's own operations get: a client built for this call, a deadline, a way to wait. */
export interface Context {
  client: PersonalizeClient;
  kind: string;
  deadline: number;
  timeoutMinutes: number;
  pace: Pace;
  /** Polls `probe` with back-off until it returns a value; throws when the deadline passes. */
  waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T>;
}

/**
 * The table one resource contributes. Everything else (checking, diffing, calling, waiting,
 * cleaning up, tags) is shared by all resources in this module.
 */
export interface ResourceSpec {
  /** The type name, also used in messages: `Campaign`. */
  kind: string;
  /** Each input field and how a change reaches the service. */
  fields: Record<string, FieldRule>;
  /** Normalisations the service applies, applied to both sides before comparing. */
  normalize?: Record<string, (value: unknown) => unknown>;
  /** Inputs stored under another output key because the output key means something else. */
  outputKeyOf?: Record<string, string>;
  /** Defaults filled in by check. */
  defaults?: Props;
  defaultTimeoutMinutes: number;
  taggable: boolean;
  /** Resource-specific validation; may return adjusted inputs (normalised values, generated names). */
  validate(inputs: Props, failures: Failure[], olds: Props): Props | void;
  /**
   * The physical identity (what the ARN is made of). A replacement that keeps it must delete
   * first, because the name is taken until the old resource is gone. Undefined: every
   * replacement gets a new identity.
   */
  identity?(inputs: Props): string | undefined;
  /**
   * Inputs that only steer the engine (what a change replaces) and that the service never
   * sees: left out of the create request and not read back on refresh.
   */
  localFields?: string[];
  /**
   * The create call; returns the ARN. `request` holds the fields the service takes, named as
   * the API names them (every field but `localFields`, under its own name) and the tag list.
   */
  create(ctx: Context, request: ApiRequest, inputs: Props): Promise<string>;
  /** The Describe call; returns the described object. Throws ResourceNotFoundException when gone. */
  describe(ctx: Context, arn: string): Promise<Props>;
  /** Where the status is; default: `status` and `failureReason` at the top. */
  status?(described: Props): StatusView;
  /** Statuses that end creation successfully; default ACTIVE. */
  failedStatuses?: string[];
  /** Output-only properties taken from Describe, besides `status` and `failureReason` (always there). */
  outputs?(ctx: Context, described: Props, arn: string): Promise<Props> | Props;
  /** The service's values of the input fields, for refresh; default: the API fields of the same name. */
  inputsFromService?(described: Props): Props;
  /** The update API, where there is one. Absent: every field but the common ones and tags replaces. */
  update?: UpdateApi;
  /** The delete call. Absent: the resource cannot be deleted and delete means forgetting it. */
  delete?(ctx: Context, arn: string): Promise<unknown>;
  /** Delete ends when the call returns (stop-then-forget), instead of when Describe says NotFound. */
  forgetAfterDelete?: boolean;
}

/**
 * An in-place update: one call carrying the new values, then the service runs the update and
 * reports its progress apart from the resource's own status (`latestCampaignUpdate` ...).
 */
export interface UpdateApi {
  /** Sends the update call; made only when a field whose rule is "update" changed. */
  call(ctx: Context, arn: string, news: Props): Promise<unknown>;
  /** Where Describe reports the update's progress. */
  progress(described: Props): StatusView | undefined;
}

/** Polling pace: start, growth and cap of the delay between two Describe calls. */
export interface Pace {
  initialMs: number;
  factor: number;
  capMs: number;
}

/**
 * The emulator answers in milliseconds, so polls against a loopback endpoint start at 50 ms;
 * against AWS they start at 5 s and grow to 20 s (personalize-api.md §8: AWS's own code polls
 * every 5-20 s, with jitter).
 */
export function paceFor(endpoint: string | undefined): Pace {
  return isLoopback(endpoint)
    ? { initialMs: 50, factor: 1.5, capMs: 2000 }
    : { initialMs: 5000, factor: 1.5, capMs: 20000 };
}

/** Status families (personalize-api.md §2.3): anything not ACTIVE and not ending in FAILED is in progress. */
export const isFailed = (status: string | undefined) => !!status && status.endsWith("FAILED");
export const isInProgress = (status: string | undefined) =>
  !status || (!["ACTIVE", "INACTIVE", "CREATE STOPPED"].includes(status) && !isFailed(status));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The deadline passed while waiting on the service; the resource may still get there. */
export class WaitTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WaitTimeoutError";
  }
}

function makeContext(spec: ResourceSpec, props: Props): Context {
  const target: Target = {
    region: String(props.region),
    endpoint: typeof props.endpoint === "string" ? props.endpoint : undefined,
  };
  const timeoutMinutes =
    typeof props.timeoutMinutes === "number" ? props.timeoutMinutes : spec.defaultTimeoutMinutes;
  const deadline = Date.now() + timeoutMinutes * 60_000;
  const pace = paceFor(target.endpoint);
  return {
    client: personalizeClient(target),
    kind: spec.kind,
    deadline,
    timeoutMinutes,
    pace,
    async waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
      let delay = pace.initialMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() + delay > deadline) {
          throw new WaitTimeoutError(
            `${spec.kind}: gave up waiting for ${what} after ${timeoutMinutes} minutes; ` +
              `raise timeoutMinutes or run the update again to keep waiting`,
          );
        }
        // Jitter spreads the Describe calls of resources created in parallel.
        await sleep(delay * (0.8 + Math.random() * 0.4));
        delay = Math.min(delay * pace.factor, pace.capMs);
      }
    },
  };
}

/**
 * Runs a call, retrying errors the service means as "later" until the deadline:
 * `LimitExceededException` about PENDING/IN_PROGRESS resources (a count quota that frees up
 * as jobs finish) and `ResourceInUseException` while something is transitional.
 */
async function retryLater<T>(
  ctx: Context,
  what: string,
  call: () => Promise<T>,
  codes: string[],
): Promise<T> {
  let last = "";
  const result = await ctx
    .waitFor(what, async () => {
      try {
        return { value: await call() };
      } catch (err) {
        const code = errorCode(err) ?? "";
        const message = errorMessage(err);
        // A count quota of ACTIVE resources will not free up by waiting; one of in-flight ones will.
        const later =
          codes.includes(code) &&
          (code !== "LimitExceededException" || /PENDING|IN_PROGRESS/.test(message));
        if (!later) throw err;
        last = `${code}: ${message}`;
        return undefined;
      }
    })
    .catch((err) => {
      if (err instanceof WaitTimeoutError && last)
        throw new WaitTimeoutError(`${err.message} (last answer: ${last})`);
      throw err;
    });
  return result.value;
}

const allFields = (spec: ResourceSpec): Record<string, FieldRule> => ({
  ...COMMON_FIELDS,
  ...(spec.taggable ? { tags: "update" as const } : {}),
  ...spec.fields,
});

/** The input fields the service knows under the same name. */
const apiFields = (spec: ResourceSpec) =>
  Object.keys(spec.fields).filter((field) => !spec.localFields?.includes(field));

/** The create request: the API fields that are set, and the tags as the API's list. */
function createRequest(spec: ResourceSpec, inputs: Props): ApiRequest {
  const request: ApiRequest = {};
  for (const field of apiFields(spec)) request[field] = inputs[field];
  if (spec.taggable) request.tags = tagList(inputs.tags);
  return request;
}

const fromService = (spec: ResourceSpec, described: Props): Props =>
  spec.inputsFromService
    ? spec.inputsFromService(described)
    : Object.fromEntries(apiFields(spec).map((field) => [field, described[field]]));

const outputKey = (spec: ResourceSpec, field: string) => spec.outputKeyOf?.[field] ?? field;

const displayName = (spec: ResourceSpec, props: Props, arn?: string) =>
  `${spec.kind} ${show(props.name ?? props.jobName ?? arn ?? "")}`;

/** The engine's `check`: validates, fills defaults, passes unknowns through. Pure. */
export function checkInputs(spec: ResourceSpec, olds: Props, news: Props): dynamic.CheckResult {
  const failures: Failure[] = [];
  const fields = allFields(spec);
  let inputs: Props = {};
  for (const [key, value] of Object.entries(news)) {
    if (key.startsWith("__")) continue;
    if (!(key in fields) && value !== undefined) {
      failures.push({
        property: key,
        reason: `${key} is not a property of ${spec.kind}; known properties: ${Object.keys(fields).join(", ")}`,
      });
      continue;
    }
    if (value !== undefined && value !== null) inputs[key] = value;
  }
  const defaults: Props = {
    region: defaultRegion(),
    providerVersion: PROVIDER_VERSION,
    timeoutMinutes: spec.defaultTimeoutMinutes,
    ...spec.defaults,
  };
  for (const [key, value] of Object.entries(defaults)) {
    if (inputs[key] === undefined) inputs[key] = value;
  }
  checkRegion(failures, "region", inputs.region);
  checkEndpoint(failures, "endpoint", inputs.endpoint);
  const timeout = inputs.timeoutMinutes;
  if (timeout !== UNKNOWN && (typeof timeout !== "number" || !(timeout > 0) || timeout > 10080)) {
    failures.push({
      property: "timeoutMinutes",
      reason: `timeoutMinutes ${show(timeout)} must be a number of minutes above 0 and at most 10080 (a week)`,
    });
  }
  checkString(failures, "providerVersion", inputs.providerVersion, { min: 1, max: 64 });
  if (spec.taggable) checkTags(failures, "tags", inputs.tags);
  inputs = spec.validate(inputs, failures, olds) ?? inputs;
  if (news.__provider !== undefined) inputs.__provider = news.__provider;
  return { inputs: plain(inputs) as Props, failures };
}

/** `tags: {}` and no tags are the same thing to the service. */
const noTagsAsUndefined = (v: unknown) =>
  v && typeof v === "object" && Object.keys(v).length === 0 ? undefined : v;

/** Compares one field as the service sees it; an unknown new value always counts as a change. */
export function fieldChanged(spec: ResourceSpec, field: string, olds: Props, news: Props): boolean {
  const next = news[field];
  if (isUnknown(next)) return true;
  const norm =
    spec.normalize?.[field] ?? (field === "tags" ? noTagsAsUndefined : (v: unknown) => v);
  const prev = olds[outputKey(spec, field)];
  const safe = (v: unknown) => {
    try {
      return v === undefined ? undefined : norm(v);
    } catch {
      return v;
    }
  };
  return canonical(safe(prev)) !== canonical(safe(next));
}

/** The engine's `diff` (olds are the stored OUTPUTS). Pure. */
export function diffInputs(spec: ResourceSpec, olds: Props, news: Props): dynamic.DiffResult {
  const changes: string[] = [];
  const replaces: string[] = [];
  for (const [field, rule] of Object.entries(allFields(spec))) {
    if (rule === "ignore" || !fieldChanged(spec, field, olds, news)) continue;
    changes.push(field);
    const how = typeof rule === "function" ? rule(olds, news) : rule;
    if (how === "replace") replaces.push(field);
  }
  // Names are unique per account and region: if the replacement keeps the physical identity,
  // creating it first fails with ResourceAlreadyExistsException.
  const oldId = spec.identity?.(inputsOf(spec, olds));
  const newId = spec.identity?.(news);
  const sameIdentity =
    oldId !== undefined && newId !== undefined && (newId === oldId || newId.includes(UNKNOWN));
  return {
    changes: changes.length > 0,
    replaces,
    deleteBeforeReplace: replaces.length > 0 && sameIdentity,
  };
}

/** The input fields out of stored outputs. */
function inputsOf(spec: ResourceSpec, props: Props): Props {
  const inputs: Props = {};
  for (const field of Object.keys(allFields(spec))) {
    const value = props[outputKey(spec, field)];
    if (value !== undefined) inputs[field] = value;
  }
  return inputs;
}

/** The API's tag list from the `tags` map input; undefined when there are none. */
export function tagList(tags: unknown): { tagKey: string; tagValue: string }[] | undefined {
  if (!tags || typeof tags !== "object") return undefined;
  const list = Object.entries(tags as Record<string, string>).map(([tagKey, tagValue]) => ({
    tagKey,
    tagValue,
  }));
  return list.length > 0 ? list : undefined;
}

async function readTags(ctx: Context, arn: string): Promise<Record<string, string>> {
  const out = await ctx.client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
  return Object.fromEntries((out.tags ?? []).map((t) => [t.tagKey ?? "", t.tagValue ?? ""]));
}

async function syncTags(ctx: Context, arn: string, before: unknown, after: unknown): Promise<void> {
  const olds = (before ?? {}) as Record<string, string>;
  const news = (after ?? {}) as Record<string, string>;
  const removed = Object.keys(olds).filter((k) => !(k in news));
  const changed = tagList(
    Object.fromEntries(Object.entries(news).filter(([k, v]) => olds[k] !== v)),
  );
  if (removed.length > 0) {
    await ctx.client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: removed }));
  }
  if (changed) await ctx.client.send(new TagResourceCommand({ resourceArn: arn, tags: changed }));
}

const statusOf = (spec: ResourceSpec, described: Props): StatusView =>
  spec.status
    ? spec.status(described)
    : {
        status: described.status as string | undefined,
        failureReason: described.failureReason as string | undefined,
      };

/** Polls Describe until the status leaves the in-progress family. */
async function waitUntilSettled(
  spec: ResourceSpec,
  ctx: Context,
  arn: string,
  what: string,
  view: (d: Props) => StatusView | undefined,
) {
  return ctx.waitFor(what, async () => {
    const described = await spec.describe(ctx, arn);
    const status = view(described)?.status;
    return isInProgress(status) ? undefined : described;
  });
}

async function buildOutputs(
  spec: ResourceSpec,
  ctx: Context,
  inputs: Props,
  described: Props,
  arn: string,
): Promise<Props> {
  const outs = {
    ...inputsForOutputs(spec, inputs),
    ...statusOf(spec, described),
    ...(await spec.outputs?.(ctx, described, arn)),
    arn,
  };
  return plain(outs) as Props;
}

/** Deletes and waits until Describe says NotFound (or, for stop-then-forget resources, until the call returns). */
async function deleteAndWait(spec: ResourceSpec, ctx: Context, arn: string): Promise<void> {
  if (!spec.delete) return;
  const remove = spec.delete;
  try {
    await retryLater(ctx, `${spec.kind} ${arn} to accept deletion`, () => remove(ctx, arn), [
      "ResourceInUseException",
    ]);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  if (spec.forgetAfterDelete) return;
  await ctx.waitFor(`${spec.kind} ${arn} to be deleted`, async () => {
    try {
      await spec.describe(ctx, arn);
      return undefined;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  });
}

/**
 * The one create-and-wait loop: create (retrying count quotas), poll to a terminal status,
 * and on failure remove what can be removed so the next `up` can reuse the name, then throw
 * with the service's failureReason verbatim.
 */
export async function createResource(
  spec: ResourceSpec,
  inputs: Props,
): Promise<dynamic.CreateResult> {
  const ctx = makeContext(spec, inputs);
  const name = displayName(spec, inputs);
  const arn = await retryLater(
    ctx,
    `${name} to be accepted`,
    () => spec.create(ctx, createRequest(spec, inputs), inputs),
    ["LimitExceededException"],
  );
  let described: Props;
  try {
    described = await waitUntilSettled(spec, ctx, arn, `${name} to become ACTIVE`, (d) =>
      statusOf(spec, d),
    );
  } catch (err) {
    if (err instanceof WaitTimeoutError) {
      // The resource exists: hand its id to the engine so it stays in state and the next
      // `up` keeps waiting instead of colliding with the name.
      const outs = plain({ ...inputsForOutputs(spec, inputs), arn, status: "UNKNOWN" }) as Props;
      throw Object.assign(new Error(err.message), {
        id: arn,
        properties: outs,
        reasons: [err.message],
      });
    }
    throw err;
  }
  const { status, failureReason } = statusOf(spec, described);
  if (isFailed(status) || spec.failedStatuses?.includes(status ?? "")) {
    let cleanup = "";
    if (spec.delete && !spec.forgetAfterDelete) {
      try {
        await deleteAndWait(spec, ctx, arn);
        cleanup = "; the failed resource was deleted so the name can be reused";
      } catch (err) {
        cleanup = `; deleting the failed resource also failed: ${errorMessage(err)}`;
      }
    }
    throw new Error(
      `${name} (${arn}) ended in ${status}: ${failureReason ?? "(no failureReason given)"}${cleanup}`,
    );
  }
  return { id: arn, outs: await buildOutputs(spec, ctx, inputs, described, arn) };
}

/** Outputs start as the inputs (diff compares against them), under their output keys. */
function inputsForOutputs(spec: ResourceSpec, inputs: Props): Props {
  const outs: Props = {};
  for (const [key, value] of Object.entries(inputs))
    if (!key.startsWith("__")) outs[outputKey(spec, key)] = value;
  return outs;
}

/** The engine's `read` (refresh): Describe and tags; NotFound means gone (empty id). */
export async function readResource(
  spec: ResourceSpec,
  id: string,
  props: Props,
): Promise<dynamic.ReadResult> {
  const stored = inputsOf(spec, props ?? {});
  if (stored.region === undefined) stored.region = defaultRegion();
  const ctx = makeContext(spec, stored);
  let described: Props;
  try {
    described = await spec.describe(ctx, id);
  } catch (err) {
    if (isNotFound(err)) return {};
    throw err;
  }
  // The service's values replace what the program set, so drift shows in the next diff. A
  // field the program left unset stays unset: the service's default for it is not drift.
  const inputs: Props = { ...stored };
  for (const [key, value] of Object.entries(fromService(spec, described))) {
    if (stored[key] !== undefined && value !== undefined) inputs[key] = value;
  }
  if (spec.taggable) {
    const tags = await readTags(ctx, id);
    if (Object.keys(tags).length > 0 || inputs.tags !== undefined) inputs.tags = tags;
  }
  const clean = plain(inputs) as Props;
  return { id, props: await buildOutputs(spec, ctx, clean, described, id), inputs: clean };
}

/** The engine's `update`: the update API where there is one, tags, then fresh outputs (they replace all stored ones). */
export async function updateResource(
  spec: ResourceSpec,
  id: string,
  olds: Props,
  news: Props,
): Promise<dynamic.UpdateResult> {
  const ctx = makeContext(spec, news);
  const name = displayName(spec, news, id);
  // Diff sent a replacement for any other change, so the changed fields here all update in place.
  const changed = Object.keys(spec.fields).filter(
    (f) => spec.fields[f] !== "ignore" && fieldChanged(spec, f, olds, news),
  );
  // The Describe that saw the update settle is current; tags are not part of it.
  let described: Props | undefined;
  if (spec.update && changed.length > 0) {
    const { call, progress } = spec.update;
    await retryLater(ctx, `${name} to accept the update`, () => call(ctx, id, news), [
      "ResourceInUseException",
    ]);
    described = await waitUntilSettled(spec, ctx, id, `${name}'s update to finish`, progress);
    const result = progress(described);
    if (isFailed(result?.status)) {
      throw new Error(
        `${name} (${id}) update ended in ${result?.status}: ${result?.failureReason ?? "(no failureReason given)"}`,
      );
    }
  }
  if (spec.taggable && fieldChanged(spec, "tags", olds, news))
    await syncTags(ctx, id, olds.tags, news.tags);
  described ??= await spec.describe(ctx, id);
  return { outs: await buildOutputs(spec, ctx, news, described, id) };
}

/** The engine's `delete` (called with the stored outputs): delete and wait until gone. */
export async function deleteResource(spec: ResourceSpec, id: string, props: Props): Promise<void> {
  const ctx = makeContext(spec, inputsOf(spec, props));
  await deleteAndWait(spec, ctx, id);
}

/**
 * One provider class for every Personalize resource; the table makes the difference. Keep
 * one module-level instance per kind: Pulumi caches the serialized text per provider object.
 * No `#private` fields: they serialize but fail to load in the provider host.
 */
export class PersonalizeProvider implements dynamic.ResourceProvider {
  constructor(readonly spec: ResourceSpec) {}

  /** Called on every preview and up with the previous checked inputs (or {}) and the program's inputs. */
  async check(olds: Props, news: Props): Promise<dynamic.CheckResult> {
    return checkInputs(this.spec, olds ?? {}, news);
  }

  /** Called with the stored outputs and the checked new inputs; decides none / update / replace. */
  async diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
    return diffInputs(this.spec, olds, news);
  }

  /** Called on up (never in preview) for a new resource. */
  async create(inputs: Props): Promise<dynamic.CreateResult> {
    return createResource(this.spec, inputs);
  }

  /** Called by refresh with the stored outputs. */
  async read(id: string, props?: Props): Promise<dynamic.ReadResult> {
    return readResource(this.spec, id, props ?? {});
  }

  /** Called when diff reported changes without replacement. */
  async update(id: string, olds: Props, news: Props): Promise<dynamic.UpdateResult> {
    return updateResource(this.spec, id, olds, news);
  }

  /** Called by destroy and after a replacement, with the outputs stored by the code of the last create/update. */
  async delete(id: string, props: Props): Promise<void> {
    return deleteResource(this.spec, id, props);
  }
}
