/**
 * The Personalize control plane as a model, as moto splits it (models.py): resources, the
 * rules every kind shares and their lifecycles, no HTTP. Each operation lives in the module of
 * its resource kind (campaign.ts, solution.ts, ...), takes the request as the front door
 * decoded and validated it against the service model, and returns the output shape or throws
 * a ServiceError; the front door turns either into the wire format. Rules follow the API
 * reference (statuses), the deletion order of
 * https://docs.aws.amazon.com/personalize/latest/dg/gs-cleanup.html and the quotas of
 * https://docs.aws.amazon.com/personalize/latest/dg/limits.html.
 *
 * Resources belong to the region of the request that created them (the SigV4 scope's): a
 * request signed for another region does not see them.
 */
import type { Clock } from "../clock";
import type { DataPlane, TrainingOutcome } from "../dataplane";
import { ServiceError, alreadyExists, inUse, notFound } from "../errors";
import { Lifecycle, type LifecycleKind } from "./lifecycle";
import { KINDS, type Kind, type KindAttrs, type RecordOf, type ResourceRecord } from "./records";
import { compact } from "./shapes";
import type * as wire from "../api/personalize";

export interface RequestContext {
  /** From the SigV4 credential scope: shapes the ARNs of new resources and scopes lookups. */
  region: string;
}

export interface ControlPlaneOptions {
  clock: Clock;
  accountId: string;
  /** Effective duration (ms) of one lifecycle kind. */
  durationOf(kind: LifecycleKind): number;
  /** The failureReason a new resource is forced to end with (fault injection), if any. */
  failureFor(name: string, kind: Kind): string | undefined;
  /** Called after every change of state, so it can be persisted. */
  changed(): void;
}

export type OperationName = keyof wire.Operations;

/** One operation: the decoded request in, the output shape out (or a thrown ServiceError). */
export type Handler<N extends OperationName> = (
  model: ControlPlane,
  input: wire.Operations[N]["input"],
  ctx: RequestContext,
) => wire.Operations[N]["output"];

export type Handlers = { [N in OperationName]?: Handler<N> };

/** What a kind adds to the shared lifecycle. */
export interface KindRules<K extends Kind> {
  /** Data-plane work, started when a resource enters CREATE IN_PROGRESS (dataplane.ts). */
  work?(model: ControlPlane, record: RecordOf<K>, dataPlane: DataPlane): Promise<TrainingOutcome>;
  /** Runs when the resource reaches ACTIVE or CREATE FAILED. */
  finished?(model: ControlPlane, record: RecordOf<K>): void;
  /** Applies a finished update; by default its members replace the resource's. */
  applyUpdate?(model: ControlPlane, record: RecordOf<K>): void;
  /** Runs after a delete completed: forget what only lived through the resource. */
  removed?(model: ControlPlane, record: RecordOf<K>): void;
}

export type RuleBook = { [K in Kind]?: KindRules<K> };

const IN_FLIGHT = new Set(["CREATE PENDING", "CREATE IN_PROGRESS", "CREATE STOPPING"]);
const SETTLED = new Set(["ACTIVE", "CREATE FAILED"]);

/** True for the statuses of a create or update still under way. */
export const inFlight = (status: string | undefined) => IN_FLIGHT.has(status ?? "");
/** True for ACTIVE and CREATE FAILED: the statuses a resource can be updated or deleted in. */
export const settled = (status: string | undefined) => SETTLED.has(status ?? "");

/** Read-only operations never change state, so they are never persisted. */
const isReadOnly = (operation: string) => /^(Describe|List|Get)/.test(operation);

interface NewResource<K extends Kind> {
  arn: string;
  name?: string;
  /** Describe members; undefined ones are dropped. */
  attrs: KindAttrs[K];
  tags?: wire.Tag[];
}

export class ControlPlane {
  readonly records = new Map<string, ResourceRecord>();
  readonly lifecycle: Lifecycle;
  dataPlane?: DataPlane;

  constructor(
    private readonly opts: ControlPlaneOptions,
    private readonly handlers: Handlers,
    private readonly rules: RuleBook,
  ) {
    this.lifecycle = new Lifecycle(opts.clock, opts.durationOf, {
      started: (r) => this.started(r),
      finished: (r) => this.rule(r)?.finished?.(this, r),
      updated: (r) => this.applyUpdate(r),
      removed: (r) => this.remove(r),
      changed: () => opts.changed(),
    });
  }

  get accountId(): string {
    return this.opts.accountId;
  }

  /** The names of the operations this emulator serves, sorted. */
  get operationNames(): string[] {
    return Object.keys(this.handlers).sort();
  }

  /** UnknownOperationException unless this emulator serves the operation. */
  requireOperation(operation: string): asserts operation is OperationName {
    if (!Object.prototype.hasOwnProperty.call(this.handlers, operation))
      throw new ServiceError(
        "UnknownOperationException",
        `Operation AmazonPersonalize.${operation} is not supported by this emulator. Supported: ${this.operationNames.join(", ")}.`,
      );
  }

  /** Runs one operation on its request, decoded and validated against the service model. */
  call(operation: string, input: object, ctx: RequestContext): object {
    this.requireOperation(operation);
    // The table types each handler's input; the dispatch by name cannot, hence `never`.
    const handler = this.handlers[operation] as Handler<OperationName>;
    this.lifecycle.tick();
    const result = handler(this, input as never, ctx);
    if (!isReadOnly(operation)) this.opts.changed();
    return result ?? {};
  }

  /** Loads persisted records and resumes their lifecycles (and any interrupted work). */
  load(records: ResourceRecord[]): void {
    for (const record of records) this.records.set(record.arn, record);
    for (const record of records) {
      if (record.status === "CREATE IN_PROGRESS" && record.work === "running")
        this.startWork(record);
      this.lifecycle.resume(record);
    }
  }

  snapshot(): ResourceRecord[] {
    return [...this.records.values()];
  }

  close(): void {
    this.lifecycle.close();
  }

  // ---- lookups ----

  arn(ctx: RequestContext, path: string): string {
    return `arn:aws:personalize:${ctx.region}:${this.opts.accountId}:${path}`;
  }

  /** The resource of this kind and ARN in the request's region; ResourceNotFound otherwise. */
  get<K extends Kind>(kind: K, arn: string, ctx: RequestContext): RecordOf<K> {
    const record = this.find(kind, arn);
    if (record && record.region === ctx.region) return record;
    const elsewhere = record ? ` (this request is signed for ${ctx.region})` : "";
    throw notFound(`${KINDS[kind].label} ${arn} does not exist${elsewhere}.`);
  }

  /** The resource of this kind and ARN, whatever its region (the data plane's view). */
  find<K extends Kind>(kind: K, arn: string): RecordOf<K> | undefined {
    const record = this.records.get(arn);
    return record?.kind === kind ? (record as RecordOf<K>) : undefined;
  }

  /** Every resource of a kind that satisfies `where`. */
  all<K extends Kind>(kind: K, where: (r: RecordOf<K>) => boolean = () => true): RecordOf<K>[] {
    const out: RecordOf<K>[] = [];
    for (const r of this.records.values())
      if (r.kind === kind && where(r as RecordOf<K>)) out.push(r as RecordOf<K>);
    return out;
  }

  /** The newest version of a solution that satisfies `where`. */
  latestVersion(
    solutionArn: string,
    where: (v: RecordOf<"solutionVersion">) => boolean = () => true,
  ): RecordOf<"solutionVersion"> | undefined {
    let latest: RecordOf<"solutionVersion"> | undefined;
    for (const v of this.all("solutionVersion", (v) => v.attrs.solutionArn === solutionArn))
      if (where(v) && (!latest || v.created >= latest.created)) latest = v;
    return latest;
  }

  // ---- rules every kind shares ----

  requireActive(record: ResourceRecord, action: string): void {
    if (record.status !== "ACTIVE")
      throw inUse(
        `${KINDS[record.kind].label} ${record.arn} is ${record.status}; it must be ACTIVE to ${action}.`,
      );
  }

  /** Only a settled resource with no update in flight can be deleted. */
  requireDeletable(record: ResourceRecord): void {
    if (!settled(record.status))
      throw inUse(
        `${KINDS[record.kind].label} ${record.arn} is ${record.status}; only an ACTIVE or CREATE FAILED resource can be deleted.`,
      );
    if (record.update && inFlight(record.update.status))
      throw inUse(
        `${KINDS[record.kind].label} ${record.arn} has an update in ${record.update.status}; wait for it before deleting.`,
      );
  }

  /** One update at a time: an Update while the last one is pending -> ResourceInUse. */
  requireNoUpdateInFlight(record: ResourceRecord, advice = ""): void {
    if (record.update && inFlight(record.update.status))
      throw inUse(
        `${KINDS[record.kind].label} ${record.arn} already has an update in ${record.update.status}${advice}.`,
      );
  }

  /** The ARN a Create would give its resource; ResourceAlreadyExists when it is taken. */
  newArn(ctx: RequestContext, path: string): string {
    const arn = this.arn(ctx, path);
    if (this.records.has(arn))
      throw alreadyExists(`Another resource with Arn ${arn} already exists.`);
    return arn;
  }

  /** Stores a created resource and, unless it has no status (schemas), starts its lifecycle. */
  create<K extends Kind>(
    kind: K,
    ctx: RequestContext,
    { arn, name, attrs, tags }: NewResource<K>,
  ): RecordOf<K> {
    const now = this.opts.clock.now();
    const record: RecordOf<K> = {
      kind,
      arn,
      region: ctx.region,
      created: now,
      updated: now,
      attrs: compact(attrs),
      tags: tags ?? [],
    };
    if (name !== undefined) record.name = name;
    const forced = name === undefined ? undefined : this.opts.failureFor(name, kind);
    if (forced !== undefined) record.forcedFailure = forced;
    this.records.set(arn, record);
    if (KINDS[kind].hasStatus) this.lifecycle.create(record, kind as LifecycleKind);
    return record;
  }

  /** Forgets a resource at once (schemas, and what a deleted parent takes with it). */
  forget(record: ResourceRecord): void {
    this.records.delete(record.arn);
    this.lifecycle.forget(record);
  }

  // ---- lifecycle hooks ----

  private rule<K extends Kind>(record: RecordOf<K>): KindRules<K> | undefined {
    return this.rules[record.kind];
  }

  private started(record: ResourceRecord): void {
    if (this.rule(record)?.work && record.forcedFailure === undefined) {
      record.work = "running";
      this.startWork(record);
    }
  }

  /** Hands an import job or a solution version to the data plane; it finishes when settled. */
  private startWork(record: ResourceRecord): void {
    const work = this.rule(record)?.work;
    if (!work || !this.dataPlane) return;
    const dataPlane = this.dataPlane;
    // A rule that throws at once fails the work like one that rejects.
    new Promise<TrainingOutcome>((resolve) => resolve(work(this, record, dataPlane))).then(
      (outcome) => this.lifecycle.workDone(record, outcome ?? {}),
      (err: unknown) =>
        this.lifecycle.workDone(record, {
          failureReason: err instanceof Error ? err.message : String(err),
        }),
    );
  }

  private applyUpdate(record: ResourceRecord): void {
    const rule = this.rule(record);
    if (rule?.applyUpdate) rule.applyUpdate(this, record);
    else if (record.update) Object.assign(record.attrs, record.update.attrs);
  }

  /** A delete completed: forget the resource, then what only lived through it. */
  private remove(record: ResourceRecord): void {
    this.forget(record);
    this.rule(record)?.removed?.(this, record);
  }
}
