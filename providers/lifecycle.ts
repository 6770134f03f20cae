import type { dynamic } from "@pulumi/pulumi";
import {
  errorCode,
  errorMessage,
  isNotFound,
  personalizeApi,
  Target,
  transientKind,
} from "./client";
import { paceFor, statusPace } from "./pacing";
import type {
  Change,
  Checked,
  Context,
  FieldRule,
  KindTypes,
  Pace,
  Props,
  OutputRule,
  ResourceSpec,
  ServiceRequest,
  StatusView,
} from "./spec";
import {
  canonical,
  checkEndpoint,
  checkRegion,
  checkString,
  checkTags,
  Failure,
  isUnknown,
  plainObject,
  show,
  UNKNOWN,
} from "./validate";

/**
 * The version of the provider code. It is an input of every resource (`providerVersion`), so
 * bumping it makes `pulumi up` run `update` on resources deployed by older code: `destroy`
 * and `refresh` run the provider code stored at the last create/update, and this is how a fix
 * reaches them
 * (https://github.com/pulumi/pulumi/blob/master/docs/architecture/providers/dynamic.md).
 */
export const PROVIDER_VERSION = "1.0.0";

/**
 * The props a resource class hands to `dynamic.Resource`: its inputs, plus every declared
 * output key the inputs lack, set to undefined. The SDK creates an Output only for keys
 * present in props, so a `declare readonly` output missing here stays undefined for ever
 * (https://github.com/pulumi/pulumi/issues/5174). `undefined` members are not sent to the engine.
 */
export function withOutputKeys(args: object, keys: readonly string[]): Record<string, unknown> {
  return { ...Object.fromEntries(keys.map((key) => [key, undefined])), ...args };
}

/** The table of any kind, as the code shared by all kinds (and the docs) sees it. */
export interface AnySpec {
  readonly kind: string;
  readonly fields: { readonly [field: string]: FieldRule };
  readonly taggable: boolean;
  readonly defaultTimeoutMinutes: number;
  readonly outputKeyOf?: { readonly [field: string]: string | undefined };
  readonly outputs?: object;
}

/** The input keys of a kind: the common ones, `tags` where it takes them, then its own. */
export function inputKeys(spec: AnySpec): string[] {
  return Object.keys(allFields(spec));
}

/**
 * The output keys every resource of a kind has: `arn`, `status`, its inputs under their
 * output keys, and the outputs its table adds. The resource class gets exactly these.
 */
export function outputKeys(spec: AnySpec): string[] {
  const keys = [
    "arn",
    "status",
    ...inputKeys(spec).map((field) => outputKey(spec, field)),
    ...Object.keys(spec.outputs ?? {}),
  ];
  return keys.filter((key, i) => keys.indexOf(key) === i);
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

/** A field's rule, as diff applies it. */
export function changeOf(rule: FieldRule, olds: Props, news: Props): Change {
  if (typeof rule === "string") return rule;
  return typeof rule.change === "function" ? rule.change(olds, news) : rule.change;
}

/**
 * Status families: anything not ACTIVE and not ending in FAILED is in progress (the API
 * reference lists each kind's statuses, e.g.
 * https://docs.aws.amazon.com/personalize/latest/dg/API_SolutionVersion.html).
 */
export const isFailed = (status: string | undefined) => !!status && status.endsWith("FAILED");
export const isInProgress = (status: string | undefined) =>
  !status || (!["ACTIVE", "INACTIVE", "CREATE STOPPED"].includes(status) && !isFailed(status));
/** A stored status that says the resource was recorded before it settled ("UNKNOWN": never described). */
const isUnsettled = (status: unknown) =>
  typeof status === "string" && (status === "UNKNOWN" || isInProgress(status));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/*
 * Errors here are plain `Error`s with a `name`, recognised by that name: an error crosses the
 * host's gRPC boundary as its text, and `instanceof` fails between copies of a module (the
 * packed one in the host, the program's). Provider code stored by the SDK's closure serializer,
 * as before providers/packed.ts, turned `super(message)` in an Error subclass into
 * `Error.call(this, message)`, which leaves the message empty
 * (https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/runtime/closure/rewriteSuper.ts).
 */

/** The name of the error thrown when the deadline passes; the resource may still get there. */
export const WAIT_TIMEOUT = "WaitTimeoutError";

/** A plain Error with a name: what survives the provider host, where subclasses lose their text. */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const isWaitTimeout = (err: unknown) => errorCode(err) === WAIT_TIMEOUT;

/** Network errors in a row before a wait gives up: a dead endpoint fails in seconds, not hours. */
const NETWORK_TRIES = 6;

/**
 * What one provider call works with: the SDK client for the resource's region and endpoint
 * (every call retrying throttles, server errors and network errors until the deadline), the
 * deadline from `timeoutMinutes` (else the kind's default), and waits at the kind's pace.
 */
export function makeContext(
  spec: Pick<AnySpec, "kind" | "defaultTimeoutMinutes">,
  props: Props,
): Context {
  const target: Target = {
    region: String(props.region),
    endpoint: typeof props.endpoint === "string" ? props.endpoint : undefined,
  };
  const timeoutMinutes =
    typeof props.timeoutMinutes === "number" ? props.timeoutMinutes : spec.defaultTimeoutMinutes;
  const deadline = Date.now() + timeoutMinutes * 60_000;
  const pace = paceFor(target.endpoint);
  const ctx: Context = {
    api: personalizeApi(target),
    kind: spec.kind,
    deadline,
    timeoutMinutes,
    pace,
    statusPace: (transition) => statusPace(spec.kind, transition, target.endpoint),
    waitFor: (what, probe) => ctx.waitAt(pace, what, probe),
    async waitAt<T>(pace: Pace, what: string, probe: () => Promise<T | undefined>): Promise<T> {
      let delay = pace.initialMs;
      let networkErrors = 0;
      let last = "";
      // The first call waits until its answer can have changed; jitter spreads resources
      // created together, never later than the pace says.
      if (pace.firstMs)
        await sleep(Math.min(pace.firstMs * (0.8 + Math.random() * 0.2), deadline - Date.now()));
      for (;;) {
        let value: T | undefined;
        try {
          value = await probe();
          networkErrors = 0;
        } catch (err) {
          // Throttles and server errors pass; the SDK's own few retries are not enough for
          // a wait that may last hours (a throttled Describe must not fail a deploy).
          const kind = transientKind(err);
          if (!kind || (kind === "network" && ++networkErrors >= NETWORK_TRIES)) {
            if (kind === "network")
              throw namedError(
                errorCode(err) ?? "NetworkError",
                `${spec.kind}: cannot reach ${target.endpoint ?? `Personalize in ${target.region}`} ` +
                  `(${errorMessage(err)}, ${networkErrors} tries in a row); check the endpoint and the network`,
              );
            throw err;
          }
          last = `${errorCode(err) ?? kind}: ${errorMessage(err)}`;
        }
        if (value !== undefined) return value;
        if (Date.now() + delay > deadline) {
          throw namedError(
            WAIT_TIMEOUT,
            `${spec.kind}: gave up waiting for ${what} after ${timeoutMinutes} minutes; ` +
              `raise timeoutMinutes or run the update again to keep waiting` +
              (last ? ` (last answer: ${last})` : ""),
          );
        }
        // Jitter spreads the Describe calls of resources created in parallel.
        await sleep(delay * (0.8 + Math.random() * 0.4));
        delay = Math.min(delay * pace.factor, pace.capMs);
      }
    },
  };
  // Every call retries throttles and server errors until the deadline, as waits do: a
  // tag or metrics call that the SDK's three attempts could not get through must not fail a
  // deploy (or leave a half-updated resource) any more than a throttled Describe.
  const api = ctx.api;
  ctx.api = new Proxy(api, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || property === "send" || property === "destroy")
        return value;
      return (...args: unknown[]) =>
        ctx
          .waitFor(`${String(property)} to answer`, async () => ({
            answer: await value.apply(target, args),
          }))
          .then((r) => r.answer);
    },
  });
  return ctx;
}

/**
 * Runs a call, retrying errors the service means as "later" until the deadline:
 * `LimitExceededException` about PENDING/IN_PROGRESS resources (a count quota that frees up
 * as jobs finish) and `ResourceInUseException` while something is transitional (and, as
 * every wait does, throttles and server errors).
 */
export async function retryLater<T>(
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
      if (isWaitTimeout(err) && last && !errorMessage(err).includes("(last answer:"))
        throw namedError(WAIT_TIMEOUT, `${errorMessage(err)} (last answer: ${last})`);
      throw err;
    });
  return result.value;
}

const TAGS_RULE: Record<string, FieldRule> = { tags: "update" };

function allFields(spec: AnySpec): Record<string, FieldRule> {
  const own: Record<string, FieldRule> = spec.fields;
  return { ...COMMON_FIELDS, ...(spec.taggable ? TAGS_RULE : {}), ...own };
}

const isLocal = (rule: FieldRule) => typeof rule !== "string" && rule.local === true;

/** The change a rule always makes, or undefined when it decides per case. */
export function fixedChange(rule: FieldRule): Change | undefined {
  if (typeof rule === "string") return rule;
  return typeof rule.change === "string" ? rule.change : undefined;
}

/** The input fields the service knows under the same name. */
const apiFields = (spec: AnySpec) =>
  Object.entries(spec.fields)
    .filter(([, rule]) => !isLocal(rule))
    .map(([field]) => field);

/**
 * The create request: the API fields that are set, and the tags as the API's list. The
 * fields are the inputs' own, which `ServiceRequest` describes: only the local ones (optional
 * inputs that steer the engine) are taken out, and the tags put in the API's form.
 */
function createRequest<T extends KindTypes>(
  spec: ResourceSpec<T>,
  inputs: Checked<T>,
): ServiceRequest<T> {
  const props: Props = inputs;
  const request: Props = {};
  for (const field of apiFields(spec)) request[field] = props[field];
  if (spec.taggable) request.tags = tagList(props.tags);
  // A reshaping the type system cannot follow field by field; the fields are the table's.
  return request as ServiceRequest<T>;
}

/** A property of the service's answer by name (the SDK's types have no index signature). */
function answerField(described: object, field: string): unknown {
  return Object.entries(described).find(([key]) => key === field)?.[1];
}

function fromService<T extends KindTypes>(spec: ResourceSpec<T>, described: T["described"]): Props {
  if (spec.inputsFromService) return spec.inputsFromService(described);
  return Object.fromEntries(apiFields(spec).map((field) => [field, answerField(described, field)]));
}

function outputKey(spec: AnySpec, field: string): string {
  const renamed: Record<string, string | undefined> = spec.outputKeyOf ?? {};
  return renamed[field] ?? field;
}

const displayName = (spec: AnySpec, props: Props, arn?: string) =>
  `${spec.kind} ${show(props.name ?? props.jobName ?? arn ?? "")}`;

/** The engine's `check`: validates, fills defaults, passes unknowns through. Pure. */
export function checkInputs<T extends KindTypes>(
  spec: ResourceSpec<T>,
  olds: Props,
  news: Props,
): dynamic.CheckResult<Checked<T>> {
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
  // What the engine creates or updates from: every field validated above (or named in
  // `failures`, and then the engine goes no further), so these are the kind's checked inputs.
  return { inputs: plainObject(inputs) as Checked<T>, failures };
}

/** `tags: {}` and no tags are the same thing to the service. */
const noTagsAsUndefined = (v: unknown) =>
  v && typeof v === "object" && Object.keys(v).length === 0 ? undefined : v;

/** Compares one field as the service sees it; an unknown new value always counts as a change. */
export function fieldChanged(spec: AnySpec, field: string, olds: Props, news: Props): boolean {
  const next = news[field];
  if (isUnknown(next)) return true;
  const rule = allFields(spec)[field];
  const norm =
    (typeof rule === "object" ? rule.normalize?.apply : undefined) ??
    (field === "tags" ? noTagsAsUndefined : (v: unknown) => v);
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
export function diffInputs<T extends KindTypes>(
  spec: ResourceSpec<T>,
  olds: Props,
  news: Props,
): dynamic.DiffResult {
  const changes: string[] = [];
  const replaces: string[] = [];
  for (const [field, rule] of Object.entries(allFields(spec))) {
    if (!fieldChanged(spec, field, olds, news)) continue;
    changes.push(field);
    if (changeOf(rule, olds, news) === "replace") replaces.push(field);
  }
  // The stored status decides too: a resource recorded before it settled (an init failure, a
  // refresh mid-creation) is waited for by update; one that ended failed is replaced.
  const status = olds.status;
  if (typeof status === "string" && endedFailed(spec, status)) {
    changes.push("status");
    replaces.push("status");
  } else if (isUnsettled(status)) {
    changes.push("status");
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
function inputsOf(spec: AnySpec, props: Props): Props {
  const inputs: Props = {};
  for (const field of Object.keys(allFields(spec))) {
    const value = props[outputKey(spec, field)];
    if (value !== undefined) inputs[field] = value;
  }
  return inputs;
}

/** The API's tag list from the `tags` map input; undefined when there are none. */
export function tagList(tags: unknown): { tagKey: string; tagValue: string }[] | undefined {
  const list = Object.entries(tagMap(tags)).map(([tagKey, tagValue]) => ({ tagKey, tagValue }));
  return list.length > 0 ? list : undefined;
}

/** The `tags` input as a map (check has made every value a string); {} when there are none. */
function tagMap(tags: unknown): Record<string, string> {
  if (!tags || typeof tags !== "object") return {};
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [key, String(value)]));
}

async function readTags(ctx: Context, arn: string): Promise<Record<string, string>> {
  const out = await ctx.api.listTagsForResource({ resourceArn: arn });
  return Object.fromEntries((out.tags ?? []).map((t) => [t.tagKey ?? "", t.tagValue ?? ""]));
}

async function syncTags(ctx: Context, arn: string, before: unknown, after: unknown): Promise<void> {
  const olds = tagMap(before);
  const news = tagMap(after);
  const removed = Object.keys(olds).filter((k) => !(k in news));
  const changed = tagList(
    Object.fromEntries(Object.entries(news).filter(([k, v]) => olds[k] !== v)),
  );
  if (removed.length > 0) {
    await ctx.api.untagResource({ resourceArn: arn, tagKeys: removed });
  }
  if (changed) await ctx.api.tagResource({ resourceArn: arn, tags: changed });
}

const statusOf = (described: StatusView): StatusView => ({
  status: described.status,
  failureReason: described.failureReason,
});

/** The last status a wait saw, so an error after it can say where the resource was. */
interface Seen {
  status?: string;
}

/** Polls Describe at `pace` until the status leaves the in-progress family. */
async function waitUntilSettled<T extends KindTypes>(
  spec: ResourceSpec<T>,
  ctx: Context,
  arn: string,
  what: string,
  view: (d: T["described"]) => StatusView | undefined,
  pace: Pace,
  seen: Seen = {},
): Promise<T["described"]> {
  return ctx.waitAt(pace, what, async () => {
    const described = await spec.describe(ctx, arn);
    const status = view(described)?.status;
    if (status) seen.status = status;
    return isInProgress(status) ? undefined : described;
  });
}

/** A terminal status that means creation failed: one ending in FAILED, or one of the kind's own. */
const endedFailed = (spec: { readonly failedStatuses?: readonly string[] }, status?: string) =>
  isFailed(status) || (status !== undefined && !!spec.failedStatuses?.includes(status));

/** What failed and why, with the service's failureReason verbatim. */
const failedMessage = (what: string, view: StatusView | undefined) =>
  `${what} ended in ${view?.status}: ${view?.failureReason ?? "(no failureReason given)"}`;

/** A resource that left the in-progress statuses; `failed` says what went wrong when it ended failed. */
interface Settled<T extends KindTypes> {
  described: T["described"];
  status?: string;
  failed?: string;
}

/**
 * Waits until a new resource leaves the in-progress statuses (create's wait, and update's for
 * one recorded before it settled). A create that started in an earlier run (taken over, or
 * recorded before it settled) can have settled already: its first Describe comes at once.
 */
async function settle<T extends KindTypes>(
  spec: ResourceSpec<T>,
  ctx: Context,
  arn: string,
  name: string,
  seen: Seen,
  earlier = false,
): Promise<Settled<T>> {
  const pace = ctx.statusPace("create");
  const described = await waitUntilSettled(
    spec,
    ctx,
    arn,
    `${name} to become ACTIVE`,
    statusOf,
    earlier ? { ...pace, firstMs: 0 } : pace,
    seen,
  );
  const view = statusOf(described);
  const failed = endedFailed(spec, view.status)
    ? failedMessage(`${name} (${arn})`, view)
    : undefined;
  return { described, status: view.status, failed };
}

async function buildOutputs<T extends KindTypes>(
  spec: ResourceSpec<T>,
  ctx: Context,
  inputs: Props,
  described: T["described"],
  arn: string,
): Promise<Props> {
  const added: Props = {};
  const rules: Record<string, OutputRule<T, unknown>> = spec.outputs ?? {};
  for (const [key, compute] of Object.entries(rules))
    added[key] = await compute(described, ctx, arn);
  return plainObject({
    ...inputsForOutputs(spec, inputs),
    ...statusOf(described),
    ...added,
    arn,
  });
}

/** Deletes and waits until Describe says NotFound (or, for stop-then-forget resources, until the call returns). */
async function deleteAndWait<T extends KindTypes>(
  spec: ResourceSpec<T>,
  ctx: Context,
  arn: string,
): Promise<void> {
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
  await ctx.waitAt(ctx.statusPace("delete"), `${spec.kind} ${arn} to be deleted`, async () => {
    try {
      await spec.describe(ctx, arn);
      return undefined;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  });
}

/** An error that already carries the resource's id for the engine (see initFailure). */
const isInitFailure = (err: unknown) =>
  typeof err === "object" && err !== null && "id" in err && !!err.id;

/**
 * The error that tells the engine a resource exists but did not initialise
 * (`ErrorResourceInitFailed`): the host sends `id`, `properties` and `reasons`, and the engine
 * records them as the resource's state, so the resource is refreshed, destroyed, and waited
 * for by the next `up` instead of stranded. The properties carry `__provider`, which the host
 * adds only to successful results: without it, refresh and destroy of the resource fail with
 * "code must be a string" (tests/providers/host.test.ts; `resultIncludingProvider` in
 * https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/cmd/dynamic-provider/index.ts).
 */
function initFailure(
  spec: AnySpec,
  inputs: Props,
  arn: string,
  status: string | undefined,
  cause: unknown,
): Error {
  const message =
    `${errorMessage(cause)} (${displayName(spec, inputs, arn)} exists as ${arn}` +
    `${status ? `, last seen ${status}` : ""}; the next update picks it up)`;
  const properties = plainObject({
    ...inputsForOutputs(spec, inputs),
    arn,
    status: status ?? "UNKNOWN",
    __provider: inputs.__provider,
  });
  return Object.assign(new Error(message), { id: arn, properties, reasons: [message] });
}

/** The ARN the service names in a ResourceAlreadyExistsException ("Another resource with Arn … already exists."). */
function arnInMessage(err: unknown): string | undefined {
  return /\barn:[a-z\d-]+:personalize:[^\s]*[^\s.]/.exec(errorMessage(err))?.[0];
}

/**
 * Why the existing resource is not this one, or undefined when it is: the stack's tags (a
 * schema, which has none, by its content), and every field whose change would replace it.
 */
async function notOurs<T extends KindTypes>(
  spec: ResourceSpec<T>,
  ctx: Context,
  inputs: Props,
  arn: string,
  described: T["described"],
): Promise<string | undefined> {
  const service = fromService(spec, described);
  const own: Record<string, FieldRule> = spec.fields;
  for (const [field, rule] of Object.entries(own)) {
    if (fixedChange(rule) !== "replace" || isLocal(rule)) continue;
    if (inputs[field] === undefined || service[field] === undefined) continue;
    if (fieldChanged(spec, field, { [outputKey(spec, field)]: service[field] }, inputs))
      return `its ${field} is ${show(service[field])}, not ${show(inputs[field])}`;
  }
  if (!spec.taggable) return undefined;
  const wanted = tagMap(inputs.tags);
  if (Object.keys(wanted).length === 0)
    return "this resource has no tags to tell the stack's own apart from another's";
  const actual = await readTags(ctx, arn);
  const missing = Object.entries(wanted).filter(([k, v]) => actual[k] !== v);
  if (missing.length > 0)
    return `its tags ${show(actual)} lack this stack's ${show(Object.fromEntries(missing))}`;
  return undefined;
}

/**
 * What to make of ResourceAlreadyExistsException: the name is taken by a resource this stack
 * created in a run that ended before the engine learnt its ARN (a crash, a kill, an error the
 * old code did not record), or by someone else's. Ours is taken over; anything else fails,
 * naming the resource and what to do.
 */
async function adoptExisting<T extends KindTypes>(
  spec: ResourceSpec<T>,
  ctx: Context,
  inputs: Props,
  err: unknown,
): Promise<{ arn: string; service: Props }> {
  const name = displayName(spec, inputs);
  const arn = arnInMessage(err);
  const advice = "delete it, or give this resource another name";
  if (!arn) throw new Error(`${name} already exists (${errorMessage(err)}); ${advice}`);
  const taken = await adopt(spec, ctx, inputs, arn);
  if (taken.why)
    throw new Error(
      `${name} already exists as ${arn} and is not this stack's: ${taken.why}; ${advice}`,
    );
  return taken;
}

/** The existing resource as stored outputs would hold it, or why it is not this one. */
async function adopt<T extends KindTypes>(
  spec: ResourceSpec<T>,
  ctx: Context,
  inputs: Props,
  arn: string,
): Promise<{ arn: string; service: Props; why?: string }> {
  const described = await spec.describe(ctx, arn);
  const why = await notOurs(spec, ctx, inputs, arn, described);
  const tags = spec.taggable && !why ? { tags: await readTags(ctx, arn) } : {};
  const service = {
    ...inputsForOutputs(spec, { ...inputs, ...fromService(spec, described) }),
    ...tags,
  };
  return { arn, service, ...(why ? { why } : {}) };
}

/**
 * The one create-and-wait loop: create (retrying count quotas; taking over the stack's own
 * resource when the name is taken), poll to a terminal status, and on failure remove what can
 * be removed so the next `up` can reuse the name, then throw with the service's
 * failureReason verbatim. Once the ARN is known, every other error is an init failure that
 * carries it.
 */
export async function createResource<T extends KindTypes>(
  spec: ResourceSpec<T>,
  inputs: Checked<T>,
): Promise<dynamic.CreateResult<Props>> {
  const ctx = makeContext(spec, inputs);
  const name = displayName(spec, inputs);
  let arn: string;
  let adopted: Props | undefined;
  for (const candidate of (await spec.inFlight?.(ctx, inputs)) ?? []) {
    const taken = await adopt(spec, ctx, inputs, candidate);
    if (!taken.why) {
      ({ arn, service: adopted } = taken);
      break;
    }
  }
  try {
    arn ??= await retryLater(
      ctx,
      `${name} to be accepted`,
      () => spec.create(ctx, createRequest(spec, inputs), inputs),
      ["LimitExceededException"],
    );
  } catch (err) {
    if (errorCode(err) !== "ResourceAlreadyExistsException") throw err;
    ({ arn, service: adopted } = await adoptExisting(spec, ctx, inputs, err));
  }
  const seen: Seen = {};
  let settled: Settled<T>;
  try {
    settled = await settle(spec, ctx, arn, name, seen, adopted !== undefined);
  } catch (err) {
    throw initFailure(spec, inputs, arn, seen.status, err);
  }
  const { described, status, failed } = settled;
  if (failed) {
    if (spec.delete && !spec.forgetAfterDelete) {
      try {
        await deleteAndWait(spec, ctx, arn);
      } catch (err) {
        throw initFailure(
          spec,
          inputs,
          arn,
          status,
          `${failed}; deleting the failed resource also failed: ${errorMessage(err)}`,
        );
      }
      throw new Error(`${failed}; the failed resource was deleted so the name can be reused`);
    }
    throw new Error(failed);
  }
  try {
    // A resource taken over may differ from the inputs where updates reach it: update it.
    if (adopted) {
      const olds = { ...adopted, status };
      return { id: arn, outs: (await updateResource(spec, arn, olds, inputs)).outs };
    }
    return { id: arn, outs: await buildOutputs(spec, ctx, inputs, described, arn) };
  } catch (err) {
    if (isInitFailure(err)) throw err;
    throw initFailure(spec, inputs, arn, status, err);
  }
}

/** Outputs start as the inputs (diff compares against them), under their output keys. */
function inputsForOutputs(spec: AnySpec, inputs: Props): Props {
  const outs: Props = {};
  for (const [key, value] of Object.entries(inputs))
    if (!key.startsWith("__")) outs[outputKey(spec, key)] = value;
  return outs;
}

/** The engine's `read` (refresh): Describe and tags; NotFound means gone (empty id). */
export async function readResource<T extends KindTypes>(
  spec: ResourceSpec<T>,
  id: string,
  props: Props,
): Promise<dynamic.ReadResult<Props>> {
  const stored = inputsOf(spec, props ?? {});
  if (stored.region === undefined) stored.region = defaultRegion();
  const ctx = makeContext(spec, stored);
  let described: T["described"];
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
  const clean = plainObject(inputs);
  return { id, props: await buildOutputs(spec, ctx, clean, described, id), inputs: clean };
}

/** The engine's `update`: the update API where there is one, tags, then fresh outputs (they replace all stored ones). */
export async function updateResource<T extends KindTypes>(
  spec: ResourceSpec<T>,
  id: string,
  olds: Props,
  checked: Checked<T>,
): Promise<dynamic.UpdateResult<Props>> {
  const news: Props = checked;
  const ctx = makeContext(spec, news);
  const name = displayName(spec, news, id);
  const seen: Seen = {};
  try {
    // Recorded before it settled (an init failure, a refresh mid-creation): the engine sends
    // Update even with nothing changed, and this is where the wait goes on.
    if (isUnsettled(olds.status)) {
      const { status, failed } = await settle(spec, ctx, id, name, seen, true);
      if (failed) {
        // Recorded as it is: the next diff replaces a failed resource.
        throw Object.assign(new Error(failed), {
          id,
          properties: { ...olds, status, __provider: news.__provider },
          reasons: [],
        });
      }
    }
    // Diff sent a replacement for any other change, so the changed fields here all update in place.
    const changed = Object.keys(spec.fields).filter((f) => fieldChanged(spec, f, olds, news));
    // The Describe that saw the update settle is current; tags are not part of it.
    let described: T["described"] | undefined;
    if (spec.update && changed.length > 0) {
      const { call, progress } = spec.update;
      await retryLater(ctx, `${name} to accept the update`, () => call(ctx, id, checked), [
        "ResourceInUseException",
      ]);
      described = await waitUntilSettled(
        spec,
        ctx,
        id,
        `${name}'s update to finish`,
        progress,
        ctx.statusPace("update"),
      );
      const result = progress(described);
      if (isFailed(result?.status))
        throw new Error(failedMessage(`${name} (${id}) update`, result));
    }
    if (spec.taggable && fieldChanged(spec, "tags", olds, news))
      await syncTags(ctx, id, olds.tags, news.tags);
    described ??= await spec.describe(ctx, id);
    return { outs: await buildOutputs(spec, ctx, news, described, id) };
  } catch (err) {
    // Still not there when the deadline passed: recorded with the new inputs, waited for next time.
    if (isWaitTimeout(err) && seen.status !== undefined)
      throw initFailure(spec, news, id, seen.status, err);
    throw err;
  }
}

/** The engine's `delete` (called with the stored outputs): delete and wait until gone. */
export async function deleteResource<T extends KindTypes>(
  spec: ResourceSpec<T>,
  id: string,
  props: Props,
): Promise<void> {
  const ctx = makeContext(spec, inputsOf(spec, props));
  await deleteAndWait(spec, ctx, id);
}

/**
 * One provider class for every Personalize resource; the table makes the difference. Keep
 * one exported module-level instance per kind: Pulumi caches the serialized text per provider
 * object, and providers/packed.ts finds a provider by its module's export.
 */
export class PersonalizeProvider<T extends KindTypes> implements dynamic.ResourceProvider<
  Checked<T>,
  Props
> {
  constructor(readonly spec: ResourceSpec<T>) {}

  /** Called on every preview and up with the previous checked inputs (or {}) and the program's inputs. */
  async check(olds: Props, news: Props): Promise<dynamic.CheckResult<Checked<T>>> {
    return checkInputs(this.spec, olds ?? {}, news);
  }

  /** Called with the stored outputs and the checked new inputs; decides none / update / replace. */
  async diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
    return diffInputs(this.spec, olds, news);
  }

  /** Called on up (never in preview) for a new resource. */
  async create(inputs: Checked<T>): Promise<dynamic.CreateResult<Props>> {
    return createResource(this.spec, inputs);
  }

  /** Called by refresh with the stored outputs. */
  async read(id: string, props?: Props): Promise<dynamic.ReadResult<Props>> {
    return readResource(this.spec, id, props ?? {});
  }

  /** Called when diff reported changes without replacement. */
  async update(id: string, olds: Props, news: Checked<T>): Promise<dynamic.UpdateResult<Props>> {
    return updateResource(this.spec, id, olds, news);
  }

  /** Called by destroy and after a replacement, with the outputs stored by the code of the last create/update. */
  async delete(id: string, props: Props): Promise<void> {
    return deleteResource(this.spec, id, props);
  }
}
