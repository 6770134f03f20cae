/**
 * The Personalize control plane as a model: resources, their rules and lifecycles, no HTTP.
 * Each operation takes the decoded request body and returns the output shape, or throws a
 * ServiceError; server.ts turns that into AWS JSON 1.1. Rules follow personalize-api.md
 * sections 2-4 (validation, statuses, deletion order) and 8 (quotas).
 */
import { randomBytes, randomUUID } from "node:crypto";
import {
  SchemaError,
  normalizeDatasetType,
  parseSchema,
  schemaProblemsForDataset,
  type DatasetType,
  type Domain,
  type PersonalizeSchema,
} from "../schemas/avro";
import type { Clock } from "./clock";
import type { ControlPlaneView, DataPlane } from "./dataplane";
import {
  ServiceError,
  alreadyExists,
  inUse,
  invalidInput,
  limitExceeded,
  notFound,
} from "./errors";
import { Input, KMS_ARN_PATTERN, S3_LOCATION_PATTERN, type Tag } from "./input";
import { RECIPES, recipeByArn } from "./recipes";
import { KINDS, Lifecycle, type Kind, type LifecycleKind, type ResourceRecord } from "./resources";

export interface RequestContext {
  /** From the SigV4 credential scope; shapes the ARNs of new resources and scopes List. */
  region: string;
}

export interface PersonalizeModelOptions {
  clock: Clock;
  accountId: string;
  /** Effective duration (ms) of one lifecycle kind. */
  durationOf(kind: LifecycleKind): number;
  /** The failureReason a resource of this name (jobName for jobs) is forced to end with. */
  failureFor(name: string): string | undefined;
  /** Called after every change of state, so it can be persisted. */
  changed(): void;
}

type Operation = (input: Input, ctx: RequestContext) => Record<string, unknown>;

interface NewResource {
  arn: string;
  name?: string;
  /** Describe members; undefined ones are dropped. */
  attrs: Record<string, unknown>;
  tags?: Tag[];
}

/** How a List operation's optional parent-ARN member narrows it to the records under that parent. */
interface ListParent {
  member: string;
  /** Default: the record's attribute of the same name equals the parent ARN. */
  belongs?: (record: ResourceRecord, parentArn: string) => boolean;
  /** ListSolutionVersions answers ResourceNotFound for an unknown solution; the others list nothing. */
  mustExist?: Kind;
}

/** A campaign belongs to the solution whose version (or `$LATEST`) it deploys. */
const deploysFrom = (campaign: ResourceRecord, solutionArn: string) =>
  (campaign.attrs.solutionVersionArn as string).startsWith(solutionArn + "/");

const LIST_PARENTS: Partial<Record<Kind, ListParent>> = {
  dataset: { member: "datasetGroupArn" },
  datasetImportJob: { member: "datasetArn" },
  solution: { member: "datasetGroupArn" },
  solutionVersion: { member: "solutionArn", mustExist: "solution" },
  campaign: { member: "solutionArn", belongs: deploysFrom },
  eventTracker: { member: "datasetGroupArn" },
  filter: { member: "datasetGroupArn" },
};

const DOMAINS: readonly Domain[] = ["ECOMMERCE", "VIDEO_ON_DEMAND"];
const LABELS: Record<Kind, string> = {
  datasetGroup: "Dataset group",
  schema: "Schema",
  dataset: "Dataset",
  datasetImportJob: "Dataset import job",
  solution: "Solution",
  solutionVersion: "Solution version",
  campaign: "Campaign",
  eventTracker: "Event tracker",
  filter: "Filter",
};
const IN_FLIGHT = new Set(["CREATE PENDING", "CREATE IN_PROGRESS", "CREATE STOPPING"]);
const SETTLED = new Set(["ACTIVE", "CREATE FAILED"]);
const MAX_PENDING_IMPORT_JOBS = 5;
const MAX_PENDING_SOLUTION_VERSIONS = 20;
const MAX_FILTERS_PER_GROUP = 10;
const LATEST = "/$LATEST";
const FILTER_EXPRESSION =
  /^\s*(EXCLUDE|INCLUDE)\s+(ItemID|UserID|ActionID)\s+WHERE\s+(Interactions|Items|Users|Actions|ActionInteractions|CurrentItem|CurrentUser)\.[A-Za-z_*][A-Za-z0-9_]*\s+(NOT\s+IN|IN|=|<=|>=|<|>)\s*\S/i;

/** Read-only operations: they never change state, so they are never persisted. */
const isReadOnly = (operation: string) => /^(Describe|List|Get)/.test(operation);

export class PersonalizeModel {
  readonly records = new Map<string, ResourceRecord>();
  readonly lifecycle: Lifecycle;
  dataPlane?: DataPlane;
  readonly operations: Record<string, Operation>;

  constructor(private readonly opts: PersonalizeModelOptions) {
    this.lifecycle = new Lifecycle(opts.clock, opts.durationOf, {
      started: (r) => this.started(r),
      finished: (r) => this.finished(r),
      updated: (r) => this.applyUpdate(r),
      removed: (r) => this.remove(r),
      changed: () => opts.changed(),
    });
    this.operations = this.buildOperations();
  }

  /** Runs one operation; unknown names -> UnknownOperationException. */
  call(operation: string, body: unknown, ctx: RequestContext): Record<string, unknown> {
    const op = Object.prototype.hasOwnProperty.call(this.operations, operation)
      ? this.operations[operation]
      : undefined;
    if (!op)
      throw new ServiceError(
        "UnknownOperationException",
        `Operation AmazonPersonalize.${operation} is not supported by this emulator. Supported: ${Object.keys(this.operations).sort().join(", ")}.`,
      );
    this.lifecycle.tick();
    const result = op(Input.of(body), ctx);
    if (!isReadOnly(operation)) this.opts.changed();
    return result;
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

  // ---- lookups and shared rules ----

  private arn(ctx: RequestContext, path: string): string {
    return `arn:aws:personalize:${ctx.region}:${this.opts.accountId}:${path}`;
  }

  private get(kind: Kind, arn: string): ResourceRecord {
    const record = this.records.get(arn);
    if (!record || record.kind !== kind) throw notFound(`${LABELS[kind]} ${arn} does not exist.`);
    return record;
  }

  private requireActive(record: ResourceRecord, action: string): void {
    if (record.status !== "ACTIVE")
      throw inUse(
        `${LABELS[record.kind]} ${record.arn} is ${record.status}; it must be ACTIVE to ${action}.`,
      );
  }

  private requireDeletable(record: ResourceRecord): void {
    if (!SETTLED.has(record.status ?? ""))
      throw inUse(
        `${LABELS[record.kind]} ${record.arn} is ${record.status}; only an ACTIVE or CREATE FAILED resource can be deleted.`,
      );
    if (record.update && IN_FLIGHT.has(record.update.status))
      throw inUse(
        `${LABELS[record.kind]} ${record.arn} has an update in ${record.update.status}; wait for it before deleting.`,
      );
  }

  /** One update at a time: an Update while the last one is pending -> ResourceInUse. */
  private requireNoUpdateInFlight(record: ResourceRecord, advice = ""): void {
    if (record.update && IN_FLIGHT.has(record.update.status))
      throw inUse(
        `${LABELS[record.kind]} ${record.arn} already has an update in ${record.update.status}${advice}.`,
      );
  }

  /** The ARN a Create would give its resource; ResourceAlreadyExists when it is taken. */
  private newArn(ctx: RequestContext, path: string): string {
    const arn = this.arn(ctx, path);
    if (this.records.has(arn))
      throw alreadyExists(`Another resource with Arn ${arn} already exists.`);
    return arn;
  }

  private all(kind: Kind, where: (r: ResourceRecord) => boolean = () => true): ResourceRecord[] {
    const out: ResourceRecord[] = [];
    for (const r of this.records.values()) if (r.kind === kind && where(r)) out.push(r);
    return out;
  }

  /** Stores a created resource and, unless it has no status (schemas), starts its lifecycle. */
  private newRecord(
    kind: Kind,
    ctx: RequestContext,
    { arn, name, attrs, tags }: NewResource,
  ): ResourceRecord {
    const now = this.opts.clock.now();
    const record: ResourceRecord = {
      kind,
      arn,
      region: ctx.region,
      created: now,
      updated: now,
      attrs: compact(attrs),
      tags: tags ?? [],
    };
    if (name !== undefined) record.name = name;
    const forced = name === undefined ? undefined : this.opts.failureFor(name);
    if (forced !== undefined) record.forcedFailure = forced;
    this.records.set(arn, record);
    if (KINDS[kind].hasStatus) this.lifecycle.create(record, kind as LifecycleKind);
    return record;
  }

  // ---- lifecycle hooks ----

  private started(record: ResourceRecord): void {
    if (
      (record.kind === "datasetImportJob" || record.kind === "solutionVersion") &&
      record.forcedFailure === undefined
    ) {
      record.work = "running";
      this.startWork(record);
    }
  }

  /** Hands import jobs and solution versions to the data plane (the seam in dataplane.ts). */
  private startWork(record: ResourceRecord): void {
    const dataPlane = this.dataPlane;
    if (!dataPlane) return;
    const work =
      record.kind === "datasetImportJob" ? this.importSpec(record) : this.trainingSpec(record);
    const promise =
      record.kind === "datasetImportJob"
        ? dataPlane.importData(work as ReturnType<PersonalizeModel["importSpec"]>)
        : dataPlane.train(work as ReturnType<PersonalizeModel["trainingSpec"]>);
    promise.then(
      (outcome) => this.lifecycle.workDone(record, outcome ?? {}),
      (err: unknown) =>
        this.lifecycle.workDone(record, {
          failureReason: err instanceof Error ? err.message : String(err),
        }),
    );
  }

  private importSpec(record: ResourceRecord) {
    const dataset = this.records.get(record.attrs.datasetArn as string);
    const schema = dataset && this.records.get(dataset.attrs.schemaArn as string);
    return {
      jobArn: record.arn,
      datasetArn: record.attrs.datasetArn as string,
      datasetGroupArn: (dataset?.attrs.datasetGroupArn as string) ?? "",
      datasetType: (dataset?.attrs.datasetType as DatasetType) ?? "INTERACTIONS",
      schemaJson: (schema?.attrs.schema as string) ?? "",
      dataLocation: (record.attrs.dataSource as { dataLocation: string }).dataLocation,
      importMode: record.attrs.importMode as "FULL" | "INCREMENTAL",
    };
  }

  private trainingSpec(record: ResourceRecord) {
    const config = (record.attrs.solutionConfig ?? {}) as Record<string, unknown>;
    const solutionArn = record.attrs.solutionArn as string;
    const trainingMode = record.attrs.trainingMode as "FULL" | "UPDATE";
    const base =
      trainingMode === "UPDATE"
        ? this.latestVersion(
            solutionArn,
            (v) => v.status === "ACTIVE" && v.attrs.trainingMode === "FULL",
          )
        : undefined;
    return compact({
      solutionVersionArn: record.arn,
      solutionArn,
      datasetGroupArn: record.attrs.datasetGroupArn as string,
      recipeArn: record.attrs.recipeArn as string,
      eventType: record.attrs.eventType as string | undefined,
      eventValueThreshold: config.eventValueThreshold as string | undefined,
      algorithmHyperParameters: config.algorithmHyperParameters as
        Record<string, string> | undefined,
      trainingMode,
      baseSolutionVersionArn: base?.arn,
    }) as {
      solutionVersionArn: string;
      solutionArn: string;
      datasetGroupArn: string;
      recipeArn: string;
      trainingMode: "FULL" | "UPDATE";
    };
  }

  private finished(record: ResourceRecord): void {
    if (record.kind === "solutionVersion" && record.status === "ACTIVE")
      record.attrs.trainingHours = record.outcome?.trainingHours ?? 0;
    if (record.kind === "solution" && record.status === "ACTIVE" && record.attrs.performAutoML)
      record.attrs.autoMLResult = {
        bestRecipeArn: "arn:aws:personalize:::recipe/aws-user-personalization",
      };
  }

  private applyUpdate(record: ResourceRecord): void {
    const changes = record.update?.attrs ?? {};
    if (record.kind === "solution") {
      const { solutionUpdateConfig, ...rest } = changes as {
        solutionUpdateConfig?: Record<string, unknown>;
      };
      Object.assign(record.attrs, rest);
      if (solutionUpdateConfig)
        record.attrs.solutionConfig = {
          ...((record.attrs.solutionConfig as object) ?? {}),
          ...solutionUpdateConfig,
        };
    } else {
      Object.assign(record.attrs, changes);
    }
  }

  /** A delete completed: forget the resource and what only lived through it. */
  private remove(record: ResourceRecord): void {
    this.records.delete(record.arn);
    this.lifecycle.forget(record);
    if (record.kind === "dataset") {
      for (const job of this.all("datasetImportJob", (j) => j.attrs.datasetArn === record.arn)) {
        this.records.delete(job.arn);
        this.lifecycle.forget(job);
      }
      this.dataPlane?.dropDataset(record.arn);
    }
    if (record.kind === "solution") {
      for (const version of this.all(
        "solutionVersion",
        (v) => v.attrs.solutionArn === record.arn,
      )) {
        this.records.delete(version.arn);
        this.lifecycle.forget(version);
        this.dataPlane?.dropSolutionVersion(version.arn);
      }
    }
  }

  private latestVersion(solutionArn: string, where: (v: ResourceRecord) => boolean = () => true) {
    let latest: ResourceRecord | undefined;
    for (const v of this.all(
      "solutionVersion",
      (v) => v.attrs.solutionArn === solutionArn && where(v),
    ))
      if (!latest || v.created >= latest.created) latest = v;
    return latest;
  }

  /** The solution version a campaign serves: `$LATEST` resolves to the newest ACTIVE version. */
  private servedVersion(solutionVersionArn: string): string {
    if (!solutionVersionArn.endsWith(LATEST)) return solutionVersionArn;
    const solutionArn = solutionVersionArn.slice(0, -LATEST.length);
    return this.latestVersion(solutionArn, (v) => v.status === "ACTIVE")?.arn ?? solutionVersionArn;
  }

  // ---- wire shapes ----

  describe(record: ResourceRecord): Record<string, unknown> {
    const spec = KINDS[record.kind];
    const out = this.shape(record);
    if (spec.updateMember && record.update) out[spec.updateMember] = this.describeUpdate(record);
    if (record.kind === "solution") {
      const latest = this.latestVersion(record.arn);
      if (latest) out.latestSolutionVersion = this.summary(latest);
    }
    return out;
  }

  private describeUpdate(record: ResourceRecord): Record<string, unknown> {
    const update = record.update!;
    return compact({
      ...update.attrs,
      status: update.status,
      failureReason: update.failureReason,
      creationDateTime: update.created / 1000,
      lastUpdatedDateTime: update.updated / 1000,
    });
  }

  summary(record: ResourceRecord): Record<string, unknown> {
    return this.shape(record, KINDS[record.kind].summary);
  }

  /**
   * What Describe and List share: name, ARN, then the attributes (only `members` for a List
   * summary, all for Describe), status, failureReason and dates, in that order.
   */
  private shape(record: ResourceRecord, members?: readonly string[]): Record<string, unknown> {
    const spec = KINDS[record.kind];
    const out: Record<string, unknown> = {};
    if (record.name !== undefined) out[spec.nameMember] = record.name;
    out[spec.arnMember] = record.arn;
    if (members === undefined) Object.assign(out, record.attrs);
    else
      for (const member of members)
        if (record.attrs[member] !== undefined) out[member] = record.attrs[member];
    if (record.status !== undefined) out.status = record.status;
    if (record.failureReason !== undefined) out.failureReason = record.failureReason;
    out.creationDateTime = record.created / 1000;
    out.lastUpdatedDateTime = record.updated / 1000;
    return out;
  }

  /** List with `maxResults` (1-100, default 100) and an opaque `nextToken`; newest first. */
  private list(
    kind: Kind,
    input: Input,
    ctx: RequestContext,
    where: (r: ResourceRecord) => boolean = () => true,
  ) {
    const page = paginate(
      this.all(kind, (r) => r.region === ctx.region && where(r)),
      input,
      kind,
    );
    return compact({
      [KINDS[kind].listKey]: page.items.map((r) => this.summary(r)),
      nextToken: page.nextToken,
    });
  }

  /** List<Kind>s, narrowed by the parent ARN of LIST_PARENTS when the request names one. */
  private listOp(kind: Kind): Operation {
    const parent = LIST_PARENTS[kind];
    if (!parent) return (input, ctx) => this.list(kind, input, ctx);
    const belongs =
      parent.belongs ??
      ((record: ResourceRecord, parentArn: string) => record.attrs[parent.member] === parentArn);
    return (input, ctx) => {
      const parentArn = input.arn(parent.member, false);
      if (!parentArn) return this.list(kind, input, ctx);
      if (parent.mustExist) this.get(parent.mustExist, parentArn);
      return this.list(kind, input, ctx, (r) => belongs(r, parentArn));
    };
  }

  /**
   * Delete<Kind>: only a settled resource with no update in flight, and only once
   * `requireUnused` (the resource's own dependency rule) passes; then DELETE PENDING.
   */
  private deleteOp(kind: Kind, requireUnused?: (record: ResourceRecord) => void): Operation {
    return (input) => {
      const record = this.get(kind, input.arn(KINDS[kind].arnMember));
      this.requireDeletable(record);
      requireUnused?.(record);
      this.lifecycle.delete(record);
      return {};
    };
  }

  private describeOp(kind: Kind): Operation {
    return (input) => ({
      [KINDS[kind].wrapper]: this.describe(this.get(kind, input.arn(KINDS[kind].arnMember))),
    });
  }

  private parseSchemaText(text: string): PersonalizeSchema {
    try {
      return parseSchema(text);
    } catch (err) {
      if (err instanceof SchemaError) throw invalidInput(`Invalid schema: ${err.message}`);
      throw err;
    }
  }

  // ---- operations ----

  private buildOperations(): Record<string, Operation> {
    return {
      CreateDatasetGroup: (input, ctx) => {
        const name = input.name("name", true);
        const roleArn = input.roleArn("roleArn");
        const kmsKeyArn = input.string("kmsKeyArn", { max: 2048, pattern: KMS_ARN_PATTERN });
        const domain = input.enumeration("domain", DOMAINS);
        const tags = input.tags();
        if (roleArn && !kmsKeyArn)
          throw invalidInput("roleArn is only valid together with kmsKeyArn.");
        const arn = this.newArn(ctx, `dataset-group/${name}`);
        this.newRecord("datasetGroup", ctx, {
          arn,
          name,
          attrs: { roleArn, kmsKeyArn, domain },
          tags,
        });
        return compact({ datasetGroupArn: arn, domain });
      },
      DescribeDatasetGroup: this.describeOp("datasetGroup"),
      ListDatasetGroups: this.listOp("datasetGroup"),
      DeleteDatasetGroup: this.deleteOp("datasetGroup", (group) => {
        const dependents = [...this.records.values()].filter(
          (r) =>
            r.attrs.datasetGroupArn === group.arn &&
            (r.kind === "dataset" ||
              r.kind === "solution" ||
              r.kind === "eventTracker" ||
              r.kind === "filter"),
        );
        if (dependents.length > 0)
          throw inUse(
            `Dataset group ${group.arn} still has ${dependents.length} dependent resource(s) (${dependents
              .slice(0, 5)
              .map((d) => d.arn)
              .join(", ")}); delete its datasets, solutions, event trackers and filters first.`,
          );
      }),

      CreateSchema: (input, ctx) => {
        const name = input.name("name", true);
        const schema = input.string("schema", { required: true, max: 20000 });
        const domain = input.enumeration("domain", DOMAINS);
        this.parseSchemaText(schema);
        const arn = this.newArn(ctx, `schema/${name}`);
        this.newRecord("schema", ctx, { arn, name, attrs: { schema, domain } });
        return { schemaArn: arn };
      },
      DescribeSchema: this.describeOp("schema"),
      ListSchemas: this.listOp("schema"),
      DeleteSchema: (input) => {
        const schema = this.get("schema", input.arn("schemaArn"));
        const users = this.all(
          "dataset",
          (d) => d.attrs.schemaArn === schema.arn || d.update?.attrs.schemaArn === schema.arn,
        );
        if (users.length > 0)
          throw inUse(
            `Schema ${schema.arn} is used by dataset(s) ${users.map((d) => d.arn).join(", ")}; delete them first.`,
          );
        this.records.delete(schema.arn);
        return {};
      },

      CreateDataset: (input, ctx) => {
        const name = input.name("name", true);
        const schemaArn = input.arn("schemaArn");
        const datasetGroupArn = input.arn("datasetGroupArn");
        const typeText = input.string("datasetType", {
          required: true,
          max: 256,
          pattern: /^[A-Za-z_]+$/,
        });
        const tags = input.tags();
        const datasetType = normalizeDatasetType(typeText);
        if (!datasetType)
          throw invalidInput(
            `Invalid datasetType ${JSON.stringify(typeText)}: must be one of Interactions, Items, Users, Actions, Action_Interactions.`,
          );
        const group = this.get("datasetGroup", datasetGroupArn);
        const schema = this.get("schema", schemaArn);
        this.requireActive(group, "add datasets");
        const groupDomain = group.attrs.domain as Domain | undefined;
        const schemaDomain = schema.attrs.domain as Domain | undefined;
        if (groupDomain !== schemaDomain)
          throw invalidInput(
            `Schema ${schemaArn} has domain ${schemaDomain ?? "none (custom)"} but dataset group ${datasetGroupArn} has domain ${groupDomain ?? "none (custom)"}; they must match.`,
          );
        const problems = schemaProblemsForDataset(
          this.parseSchemaText(schema.attrs.schema as string),
          datasetType,
          groupDomain,
        );
        if (problems.length > 0)
          throw invalidInput(
            `Schema ${schemaArn} is not valid for a ${datasetType} dataset: ${problems.join("; ")}.`,
          );
        const arn = this.newArn(ctx, `dataset/${group.name}/${datasetType}`);
        const trackingId = datasetType === "ACTION_INTERACTIONS" ? randomUUID() : undefined;
        this.newRecord("dataset", ctx, {
          arn,
          name,
          attrs: { datasetGroupArn, datasetType, schemaArn, trackingId },
          tags,
        });
        return { datasetArn: arn };
      },
      DescribeDataset: this.describeOp("dataset"),
      ListDatasets: this.listOp("dataset"),
      UpdateDataset: (input) => {
        const dataset = this.get("dataset", input.arn("datasetArn"));
        const schema = this.get("schema", input.arn("schemaArn"));
        const type = dataset.attrs.datasetType as DatasetType;
        if (type !== "ITEMS" && type !== "USERS")
          throw invalidInput(
            `Dataset ${dataset.arn} is a ${type} dataset; only ITEMS and USERS datasets can change their schema.`,
          );
        this.requireActive(dataset, "update it");
        this.requireNoUpdateInFlight(dataset);
        const current = this.parseSchemaText(
          this.get("schema", dataset.attrs.schemaArn as string).attrs.schema as string,
        );
        const next = this.parseSchemaText(schema.attrs.schema as string);
        const problems = schemaProblemsForDataset(
          next,
          type,
          this.records.get(dataset.attrs.datasetGroupArn as string)?.attrs.domain as
            Domain | undefined,
        );
        const byName = new Map(next.fields.map((f) => [f.name, f]));
        for (const field of current.fields) {
          const kept = byName.get(field.name);
          if (!kept) problems.push(`field ${field.name} of the current schema is missing`);
          else if (
            kept.type !== field.type ||
            kept.nullable !== field.nullable ||
            kept.categorical !== field.categorical ||
            kept.textual !== field.textual
          )
            problems.push(`field ${field.name} must keep its type and attributes`);
        }
        const old = new Set(current.fields.map((f) => f.name));
        for (const field of next.fields)
          if (!old.has(field.name) && !field.nullable)
            problems.push(`added field ${field.name} must allow null`);
        if (problems.length > 0)
          throw invalidInput(
            `Schema ${schema.arn} cannot replace the schema of ${dataset.arn}: ${problems.join("; ")}.`,
          );
        this.lifecycle.startUpdate(dataset, "dataset", { schemaArn: schema.arn });
        return { datasetArn: dataset.arn };
      },
      DeleteDataset: this.deleteOp("dataset", (dataset) => {
        const busy = [
          ...this.all(
            "datasetImportJob",
            (j) => j.attrs.datasetArn === dataset.arn && IN_FLIGHT.has(j.status ?? ""),
          ),
          ...this.all(
            "solutionVersion",
            (v) =>
              v.attrs.datasetGroupArn === dataset.attrs.datasetGroupArn &&
              IN_FLIGHT.has(v.status ?? ""),
          ),
        ];
        if (busy.length > 0)
          throw inUse(
            `Dataset ${dataset.arn} is in use by ${busy.map((b) => `${b.arn} (${b.status})`).join(", ")}; wait for them to finish.`,
          );
      }),

      CreateDatasetImportJob: (input, ctx) => {
        const jobName = input.name("jobName", true);
        const datasetArn = input.arn("datasetArn");
        const dataSource = input.struct("dataSource", true)!;
        const dataLocation = dataSource.string("dataLocation", {
          required: true,
          max: 256,
          pattern: S3_LOCATION_PATTERN,
        });
        const roleArn = input.roleArn("roleArn");
        const importMode =
          input.enumeration("importMode", ["FULL", "INCREMENTAL"] as const) ?? "FULL";
        const publishAttributionMetricsToS3 = input.boolean("publishAttributionMetricsToS3");
        const tags = input.tags();
        const dataset = this.get("dataset", datasetArn);
        this.requireActive(dataset, "import data");
        const arn = this.newArn(ctx, `dataset-import-job/${jobName}`);
        if (
          importMode === "INCREMENTAL" &&
          this.all(
            "datasetImportJob",
            (j) => j.attrs.datasetArn === datasetArn && j.status === "ACTIVE",
          ).length === 0
        )
          throw invalidInput(
            `importMode INCREMENTAL needs an earlier successful bulk import into ${datasetArn}; use FULL first.`,
          );
        if (
          this.all(
            "datasetImportJob",
            (j) => j.region === ctx.region && IN_FLIGHT.has(j.status ?? ""),
          ).length >= MAX_PENDING_IMPORT_JOBS
        )
          throw limitExceeded(
            `More than ${MAX_PENDING_IMPORT_JOBS} resources with PENDING or IN_PROGRESS status.`,
          );
        this.newRecord("datasetImportJob", ctx, {
          arn,
          name: jobName,
          attrs: {
            datasetArn,
            dataSource: { dataLocation },
            roleArn,
            importMode,
            publishAttributionMetricsToS3,
          },
          tags,
        });
        return { datasetImportJobArn: arn };
      },
      DescribeDatasetImportJob: this.describeOp("datasetImportJob"),
      ListDatasetImportJobs: this.listOp("datasetImportJob"),

      CreateSolution: (input, ctx) => {
        const name = input.name("name", true);
        const datasetGroupArn = input.arn("datasetGroupArn");
        const performAutoML = input.boolean("performAutoML") ?? false;
        const recipeArn = input.arn("recipeArn", !performAutoML);
        const performHPO = input.boolean("performHPO") ?? false;
        const performAutoTraining = input.boolean("performAutoTraining") ?? true;
        const performIncrementalUpdate = input.boolean("performIncrementalUpdate");
        const eventType = input.string("eventType", { max: 256 });
        const solutionConfig = validateSolutionConfig(input.struct("solutionConfig"));
        const tags = input.tags();
        const group = this.get("datasetGroup", datasetGroupArn);
        if (recipeArn && !recipeByArn(recipeArn))
          throw notFound(`Recipe ${recipeArn} does not exist.`);
        if (
          performIncrementalUpdate &&
          recipeArn !== "arn:aws:personalize:::recipe/aws-semantic-similarity"
        )
          throw invalidInput(
            `performIncrementalUpdate is only supported by the aws-semantic-similarity recipe, not ${recipeArn}.`,
          );
        this.requireActive(group, "create solutions");
        const arn = this.newArn(ctx, `solution/${name}`);
        this.newRecord("solution", ctx, {
          arn,
          name,
          attrs: {
            datasetGroupArn,
            recipeArn,
            performHPO,
            performAutoML,
            performAutoTraining,
            performIncrementalUpdate,
            eventType,
            solutionConfig,
          },
          tags,
        });
        return { solutionArn: arn };
      },
      DescribeSolution: this.describeOp("solution"),
      ListSolutions: this.listOp("solution"),
      UpdateSolution: (input) => {
        const solution = this.get("solution", input.arn("solutionArn"));
        const performAutoTraining = input.boolean("performAutoTraining");
        const performIncrementalUpdate = input.boolean("performIncrementalUpdate");
        const config = input.struct("solutionUpdateConfig");
        const solutionUpdateConfig =
          config &&
          compact({
            autoTrainingConfig: validateAutoTraining(config.struct("autoTrainingConfig")),
            eventsConfig: config.object("eventsConfig"),
          });
        this.requireActive(solution, "update it");
        this.requireNoUpdateInFlight(solution);
        this.lifecycle.startUpdate(
          solution,
          "solution",
          compact({ performAutoTraining, performIncrementalUpdate, solutionUpdateConfig }),
        );
        return { solutionArn: solution.arn };
      },
      DeleteSolution: this.deleteOp("solution", (solution) => {
        const campaigns = this.all("campaign", (c) => deploysFrom(c, solution.arn));
        if (campaigns.length > 0)
          throw inUse(
            `Solution ${solution.arn} is used by campaign(s) ${campaigns.map((c) => c.arn).join(", ")}; delete them first.`,
          );
        const training = this.all(
          "solutionVersion",
          (v) => v.attrs.solutionArn === solution.arn && IN_FLIGHT.has(v.status ?? ""),
        );
        if (training.length > 0)
          throw inUse(
            `Solution ${solution.arn} has solution version(s) in progress (${training.map((v) => `${v.arn} ${v.status}`).join(", ")}); stop them with StopSolutionVersionCreation first.`,
          );
      }),

      CreateSolutionVersion: (input, ctx) => {
        const solutionArn = input.arn("solutionArn");
        const name = input.name("name", false);
        const trainingMode =
          input.enumeration("trainingMode", ["FULL", "UPDATE"] as const) ?? "FULL";
        const tags = input.tags();
        const solution = this.get("solution", solutionArn);
        this.requireActive(solution, "train it");
        const recipeArn =
          (solution.attrs.recipeArn as string | undefined) ??
          "arn:aws:personalize:::recipe/aws-user-personalization";
        if (trainingMode === "UPDATE") {
          if (!recipeByArn(recipeArn)?.supportsUpdateTraining)
            throw invalidInput(
              `trainingMode UPDATE is not supported by recipe ${recipeArn}; use FULL.`,
            );
          if (
            !this.latestVersion(
              solutionArn,
              (v) => v.status === "ACTIVE" && v.attrs.trainingMode === "FULL",
            )
          )
            throw invalidInput(
              `trainingMode UPDATE needs an ACTIVE FULL solution version of ${solutionArn}; create one with trainingMode FULL first.`,
            );
        }
        if (
          this.all(
            "solutionVersion",
            (v) => v.region === ctx.region && IN_FLIGHT.has(v.status ?? ""),
          ).length >= MAX_PENDING_SOLUTION_VERSIONS
        )
          throw limitExceeded(
            `More than ${MAX_PENDING_SOLUTION_VERSIONS} resources with PENDING or IN_PROGRESS status.`,
          );
        const arn = `${solutionArn}/${randomBytes(4).toString("hex")}`;
        const a = solution.attrs;
        this.newRecord("solutionVersion", ctx, {
          arn,
          name,
          attrs: {
            solutionArn,
            datasetGroupArn: a.datasetGroupArn,
            recipeArn,
            performHPO: a.performHPO,
            performAutoML: a.performAutoML,
            performIncrementalUpdate: a.performIncrementalUpdate,
            eventType: a.eventType,
            solutionConfig: a.solutionConfig,
            trainingMode,
            trainingType: "MANUAL",
          },
          tags,
        });
        return { solutionVersionArn: arn };
      },
      DescribeSolutionVersion: this.describeOp("solutionVersion"),
      ListSolutionVersions: this.listOp("solutionVersion"),
      StopSolutionVersionCreation: (input) => {
        const version = this.get("solutionVersion", input.arn("solutionVersionArn"));
        if (version.status !== "CREATE PENDING" && version.status !== "CREATE IN_PROGRESS")
          throw inUse(
            `Solution version ${version.arn} is ${version.status}; only a version in CREATE PENDING or CREATE IN_PROGRESS can be stopped.`,
          );
        // Training that is still running is abandoned: its outcome no longer matters.
        if (version.work === "running") version.work = "done";
        this.lifecycle.stop(version);
        return {};
      },
      GetSolutionMetrics: (input) => {
        const version = this.get("solutionVersion", input.arn("solutionVersionArn"));
        this.requireActive(version, "read its metrics");
        return compact({
          solutionVersionArn: version.arn,
          metrics: this.dataPlane?.metrics(version.arn),
        });
      },

      CreateCampaign: (input, ctx) => {
        const name = input.name("name", true);
        const solutionVersionArn = input.arn("solutionVersionArn");
        const minProvisionedTPS = input.integer("minProvisionedTPS", { min: 1 }) ?? 1;
        const campaignConfig = validateCampaignConfig(input.struct("campaignConfig"));
        const tags = input.tags();
        this.requireServable(solutionVersionArn, campaignConfig);
        const arn = this.newArn(ctx, `campaign/${name}`);
        this.newRecord("campaign", ctx, {
          arn,
          name,
          attrs: { solutionVersionArn, minProvisionedTPS, campaignConfig },
          tags,
        });
        return { campaignArn: arn };
      },
      DescribeCampaign: this.describeOp("campaign"),
      ListCampaigns: this.listOp("campaign"),
      UpdateCampaign: (input) => {
        const campaign = this.get("campaign", input.arn("campaignArn"));
        const solutionVersionArn = input.arn("solutionVersionArn", false);
        const minProvisionedTPS = input.integer("minProvisionedTPS", { min: 1 });
        const campaignConfig = validateCampaignConfig(input.struct("campaignConfig"));
        if (!SETTLED.has(campaign.status ?? ""))
          throw inUse(
            `Campaign ${campaign.arn} is ${campaign.status}; it must be ACTIVE or CREATE FAILED to update it.`,
          );
        this.requireNoUpdateInFlight(campaign, "; wait for latestCampaignUpdate to finish");
        const next = compact({
          solutionVersionArn: solutionVersionArn ?? campaign.attrs.solutionVersionArn,
          minProvisionedTPS: minProvisionedTPS ?? campaign.attrs.minProvisionedTPS,
          campaignConfig: campaignConfig ?? campaign.attrs.campaignConfig,
        });
        this.requireServable(
          next.solutionVersionArn as string,
          next.campaignConfig as Record<string, unknown> | undefined,
        );
        this.lifecycle.startUpdate(campaign, "campaign", next);
        return { campaignArn: campaign.arn };
      },
      DeleteCampaign: this.deleteOp("campaign"),

      CreateEventTracker: (input, ctx) => {
        const name = input.name("name", true);
        const datasetGroupArn = input.arn("datasetGroupArn");
        const tags = input.tags();
        const group = this.get("datasetGroup", datasetGroupArn);
        this.requireActive(group, "add an event tracker");
        const arn = this.newArn(ctx, `event-tracker/${name}`);
        const existing = this.all(
          "eventTracker",
          (t) => t.attrs.datasetGroupArn === datasetGroupArn,
        );
        if (existing.length > 0)
          throw alreadyExists(
            `Dataset group ${datasetGroupArn} already has an event tracker (${existing[0].arn}); a dataset group can have only one.`,
          );
        const trackingId = randomUUID();
        this.newRecord("eventTracker", ctx, {
          arn,
          name,
          attrs: { accountId: this.opts.accountId, trackingId, datasetGroupArn },
          tags,
        });
        return { eventTrackerArn: arn, trackingId };
      },
      DescribeEventTracker: this.describeOp("eventTracker"),
      ListEventTrackers: this.listOp("eventTracker"),
      DeleteEventTracker: this.deleteOp("eventTracker"),

      CreateFilter: (input, ctx) => {
        const name = input.name("name", true);
        const datasetGroupArn = input.arn("datasetGroupArn");
        const filterExpression = input.string("filterExpression", {
          required: true,
          min: 1,
          max: 2500,
        });
        const tags = input.tags();
        if (!filterExpression.split("|").every((part) => FILTER_EXPRESSION.test(part)))
          throw invalidInput(
            `Could not create filter. Invalid input symbol in filterExpression ${JSON.stringify(filterExpression)}: expected EXCLUDE|INCLUDE ItemID|UserID WHERE <Dataset>.<FIELD> IN|NOT IN|=|<|>... (...).`,
          );
        const group = this.get("datasetGroup", datasetGroupArn);
        this.requireActive(group, "add filters");
        const arn = this.newArn(ctx, `filter/${name}`);
        if (
          this.all("filter", (f) => f.attrs.datasetGroupArn === datasetGroupArn).length >=
          MAX_FILTERS_PER_GROUP
        )
          throw limitExceeded(
            `Dataset group ${datasetGroupArn} already has ${MAX_FILTERS_PER_GROUP} filters, the most allowed.`,
          );
        this.newRecord("filter", ctx, {
          arn,
          name,
          attrs: { datasetGroupArn, filterExpression },
          tags,
        });
        return { filterArn: arn };
      },
      DescribeFilter: this.describeOp("filter"),
      ListFilters: this.listOp("filter"),
      DeleteFilter: this.deleteOp("filter"),

      DescribeRecipe: (input) => {
        const arn = input.arn("recipeArn");
        const recipe = recipeByArn(arn);
        if (!recipe) throw notFound(`Recipe ${arn} does not exist.`);
        return { recipe: recipeShape(recipe) };
      },
      ListRecipes: (input) => {
        input.enumeration("recipeProvider", ["SERVICE"] as const);
        const domain = input.enumeration("domain", DOMAINS);
        // Domain use-case recipes belong to recommenders, which this emulator does not serve.
        const recipes = domain ? [] : RECIPES;
        const page = paginate(recipes, input, "recipe");
        return compact({
          recipes: page.items.map((r) => {
            const { name, recipeArn, status } = r;
            return {
              name,
              recipeArn,
              status,
              creationDateTime: RECIPE_DATE,
              lastUpdatedDateTime: RECIPE_DATE,
            };
          }),
          nextToken: page.nextToken,
        });
      },

      TagResource: (input) => {
        const resource = this.taggable(input.arn("resourceArn"));
        const tags = input.tags("tags", true)!;
        const merged = new Map(resource.tags.map((t) => [t.tagKey, t.tagValue]));
        for (const tag of tags) merged.set(tag.tagKey, tag.tagValue);
        if (merged.size > 200)
          throw new ServiceError(
            "TooManyTagsException",
            `${resource.arn} would have ${merged.size} tags; a resource can have at most 200.`,
          );
        resource.tags = [...merged].map(([tagKey, tagValue]) => ({ tagKey, tagValue }));
        return {};
      },
      UntagResource: (input) => {
        const resource = this.taggable(input.arn("resourceArn"));
        const keys = input.stringList("tagKeys", { required: true });
        if (keys!.length > 200)
          throw new ServiceError(
            "TooManyTagKeysException",
            `${keys!.length} tag keys given; at most 200 can be removed at once.`,
          );
        const drop = new Set(keys);
        resource.tags = resource.tags.filter((t) => !drop.has(t.tagKey));
        return {};
      },
      ListTagsForResource: (input) => ({ tags: this.taggable(input.arn("resourceArn")).tags }),
    };
  }

  private taggable(arn: string): ResourceRecord {
    const resource = this.records.get(arn);
    if (!resource) throw notFound(`Resource ${arn} does not exist.`);
    if (resource.kind === "schema") throw invalidInput(`Schemas do not support tags (${arn}).`);
    return resource;
  }

  /** A campaign may only deploy an ACTIVE version; `$LATEST` needs one ACTIVE version. */
  private requireServable(
    solutionVersionArn: string,
    config: Record<string, unknown> | undefined,
  ): void {
    const latest = solutionVersionArn.endsWith(LATEST);
    if (config?.syncWithLatestSolutionVersion === true && !latest)
      throw invalidInput(
        `campaignConfig.syncWithLatestSolutionVersion needs solutionVersionArn in the form <solutionArn>${LATEST}, got ${solutionVersionArn}.`,
      );
    if (latest) {
      const solutionArn = solutionVersionArn.slice(0, -LATEST.length);
      this.get("solution", solutionArn);
      if (this.servedVersion(solutionVersionArn) === solutionVersionArn)
        throw inUse(`Solution ${solutionArn} has no ACTIVE solution version to deploy.`);
      return;
    }
    this.requireActive(this.get("solutionVersion", solutionVersionArn), "deploy it in a campaign");
  }

  /** What the data plane may read (dataplane.ts). */
  view(): ControlPlaneView {
    const find = (kind: Kind, arn: string) => {
      this.lifecycle.tick();
      const r = this.records.get(arn);
      return r && r.kind === kind ? r : undefined;
    };
    return {
      campaign: (arn) => {
        const c = find("campaign", arn);
        return (
          c &&
          (compact({
            status: c.status!,
            solutionVersionArn: this.servedVersion(c.attrs.solutionVersionArn as string),
            campaignConfig: c.attrs.campaignConfig as Record<string, unknown> | undefined,
          }) as { status: string; solutionVersionArn: string })
        );
      },
      solutionVersion: (arn) => {
        const v = find("solutionVersion", arn);
        return (
          v && {
            status: v.status!,
            solutionArn: v.attrs.solutionArn as string,
            datasetGroupArn: v.attrs.datasetGroupArn as string,
            recipeArn: v.attrs.recipeArn as string,
          }
        );
      },
      filter: (arn) => {
        const f = find("filter", arn);
        return (
          f && {
            status: f.status!,
            datasetGroupArn: f.attrs.datasetGroupArn as string,
            filterExpression: f.attrs.filterExpression as string,
          }
        );
      },
      eventTrackerByTrackingId: (trackingId) => {
        this.lifecycle.tick();
        const t = this.all("eventTracker", (t) => t.attrs.trackingId === trackingId)[0];
        return t && { status: t.status!, datasetGroupArn: t.attrs.datasetGroupArn as string };
      },
      dataset: (datasetGroupArn, datasetType) => {
        const arn = datasetGroupArn.replace(/:dataset-group\//, ":dataset/") + "/" + datasetType;
        const d = find("dataset", arn);
        const schema = d && this.records.get(d.attrs.schemaArn as string);
        return (
          d && {
            datasetArn: d.arn,
            status: d.status!,
            schemaJson: (schema?.attrs.schema as string) ?? "",
          }
        );
      },
    };
  }
}

const RECIPE_DATE = Date.UTC(2019, 5, 10) / 1000;

function recipeShape(r: (typeof RECIPES)[number]) {
  const {
    name,
    recipeArn,
    algorithmArn,
    featureTransformationArn,
    status,
    description,
    recipeType,
  } = r;
  return {
    name,
    recipeArn,
    algorithmArn,
    featureTransformationArn,
    status,
    description,
    recipeType,
    creationDateTime: RECIPE_DATE,
    lastUpdatedDateTime: RECIPE_DATE,
  };
}

/** Drops undefined members, so absent members are omitted on the wire. */
function compact<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}

function validateAutoTraining(config: Input | undefined) {
  if (!config) return undefined;
  const expression = config.string("schedulingExpression", { pattern: /^rate\((\d+) days?\)$/ });
  const days = expression === undefined ? undefined : Number(/\d+/.exec(expression)![0]);
  if (days !== undefined && (days < 1 || days > 30))
    throw invalidInput(
      `schedulingExpression ${JSON.stringify(expression)}: the rate must be between 1 and 30 days.`,
    );
  return compact({ schedulingExpression: expression });
}

function validateSolutionConfig(config: Input | undefined): Record<string, unknown> | undefined {
  if (!config) return undefined;
  config.string("eventValueThreshold", { max: 256 });
  config.stringMap("algorithmHyperParameters", { maxEntries: 100, maxValue: 1000 });
  config.stringMap("featureTransformationParameters", { maxEntries: 100, maxValue: 1000 });
  config.struct("hpoConfig");
  config.struct("autoMLConfig");
  config.struct("eventsConfig");
  config.struct("trainingDataConfig");
  const objective = config.struct("optimizationObjective");
  objective?.string("itemAttribute", { min: 1, max: 150 });
  objective?.enumeration("objectiveSensitivity", ["LOW", "MEDIUM", "HIGH", "OFF"] as const);
  validateAutoTraining(config.struct("autoTrainingConfig"));
  return config.toJSON();
}

function validateCampaignConfig(config: Input | undefined): Record<string, unknown> | undefined {
  if (!config) return undefined;
  config.stringMap("itemExplorationConfig", { maxEntries: 100, maxValue: 1000 });
  config.boolean("enableMetadataWithRecommendations");
  config.boolean("syncWithLatestSolutionVersion");
  const influence = config.object("rankingInfluence");
  for (const [key, value] of Object.entries(influence ?? {})) {
    if (key !== "POPULARITY" && key !== "FRESHNESS")
      throw invalidInput(
        `campaignConfig.rankingInfluence key ${JSON.stringify(key)} must be POPULARITY or FRESHNESS.`,
      );
    if (typeof value !== "number" || value < 0 || value > 1)
      throw invalidInput(
        `campaignConfig.rankingInfluence.${key} must be a number from 0.0 to 1.0, got ${JSON.stringify(value)}.`,
      );
  }
  return config.toJSON();
}

interface PageToken {
  k: string;
  c: number;
  a: string;
}

/** Newest first; the token names the last item returned, so pages stay stable under inserts. */
function paginate<T extends { created?: number; arn?: string; recipeArn?: string }>(
  items: readonly T[],
  input: Input,
  kind: string,
): { items: T[]; nextToken?: string } {
  const maxResults = input.integer("maxResults", { min: 1, max: 100 }) ?? 100;
  const token = input.string("nextToken", { max: 1500 });
  const key = (item: T) => ({ c: item.created ?? 0, a: item.arn ?? item.recipeArn ?? "" });
  const sorted =
    kind === "recipe"
      ? items
      : [...items].sort((x, y) => y.created! - x.created! || (x.arn! < y.arn! ? -1 : 1));
  let start = 0;
  if (token !== undefined) {
    let after: PageToken | undefined;
    try {
      after = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as PageToken;
    } catch {
      after = undefined;
    }
    if (!after || after.k !== kind || typeof after.a !== "string" || typeof after.c !== "number")
      throw new ServiceError(
        "InvalidNextTokenException",
        `Invalid nextToken ${JSON.stringify(token)}: pass the nextToken of the previous page of this List operation.`,
      );
    const at = sorted.findIndex((item) => {
      const k = key(item);
      const a = after as PageToken;
      return kind === "recipe" ? k.a > a.a : k.c < a.c || (k.c === a.c && k.a > a.a);
    });
    start = at < 0 ? sorted.length : at;
  }
  const page = sorted.slice(start, start + maxResults);
  const last = page[page.length - 1];
  const nextToken =
    start + maxResults < sorted.length && last
      ? Buffer.from(JSON.stringify({ k: kind, ...key(last) })).toString("base64url")
      : undefined;
  return { items: page, nextToken };
}
