/**
 * The one generic resource lifecycle, driven by the injectable clock. Statuses follow the
 * Create* API pages, such as
 * https://docs.aws.amazon.com/personalize/latest/dg/API_CreateEventTracker.html:
 * CREATE PENDING -> CREATE IN_PROGRESS -> ACTIVE | CREATE FAILED,
 * DELETE PENDING -> DELETE IN_PROGRESS -> gone, and CREATE STOPPING -> CREATE STOPPED.
 */
import type { Clock } from "../clock";
import type { Kind, KindUpdates, RecordOf, ResourceRecord } from "./records";

/** Every kind with a status (schemas have none), plus the delete and stop transitions. */
export type LifecycleKind = Exclude<Kind, "schema"> | "delete" | "stop";

/**
 * Default durations in ms at durationScale 1: a human watching `npm start` sees each status,
 * and the workshop chain (dataset group .. campaign) takes about 15 s in total.
 */
export const DEFAULT_DURATIONS: Record<LifecycleKind, number> = {
  datasetGroup: 1500,
  dataset: 1500,
  datasetImportJob: 3000,
  solution: 1500,
  solutionVersion: 5000,
  campaign: 3000,
  eventTracker: 1500,
  filter: 1500,
  delete: 1000,
  stop: 1000,
};

/** Part of a create or update spent in CREATE PENDING; the rest is CREATE IN_PROGRESS. */
export const PENDING_SHARE = 0.25;

export interface LifecycleHooks {
  /** Called when a resource enters CREATE IN_PROGRESS (import jobs and versions start work). */
  started(record: ResourceRecord): void;
  /** Called when a resource reaches ACTIVE or CREATE FAILED. */
  finished(record: ResourceRecord): void;
  /** Called when an update reaches ACTIVE: apply its attrs to the resource. */
  updated(record: ResourceRecord): void;
  /** Called when a delete completes: forget the resource. */
  removed(record: ResourceRecord): void;
  /** Called after a batch of status changes, to persist them. */
  changed(): void;
}

/**
 * Moves resources through their statuses. Each step happens at its scheduled time (so a
 * manual clock gives exact, repeatable timestamps); `tick` runs every step that is due, and is
 * called both from a clock timer and before each request, so a Describe never shows a status
 * that is already out of date.
 */
export class Lifecycle {
  private readonly scheduled = new Set<ResourceRecord>();
  private cancelTimer?: () => void;
  private timerAt = Infinity;
  private closed = false;
  private ticking = false;

  constructor(
    private readonly clock: Clock,
    private readonly durationOf: (kind: LifecycleKind) => number,
    private readonly hooks: LifecycleHooks,
  ) {}

  /** Starts the create lifecycle of a new resource. */
  create(record: ResourceRecord, kind: LifecycleKind): void {
    record.status = "CREATE PENDING";
    record.dueAt = record.created + Math.round(this.durationOf(kind) * PENDING_SHARE);
    this.watch(record);
  }

  /** Starts an update lifecycle (`latest*Update`). */
  startUpdate<K extends keyof KindUpdates>(record: RecordOf<K>, attrs: KindUpdates[K]): void {
    const now = this.clock.now();
    record.update = {
      attrs,
      status: "CREATE PENDING",
      created: now,
      updated: now,
      dueAt: now + Math.round(this.durationOf(record.kind) * PENDING_SHARE),
    };
    record.updated = now;
    this.watch(record);
  }

  delete(record: ResourceRecord): void {
    const now = this.clock.now();
    record.status = "DELETE PENDING";
    record.updated = now;
    // Dataset groups go from DELETE PENDING straight to gone (no DELETE IN_PROGRESS in
    // https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetGroup.html); the others
    // pass through DELETE IN_PROGRESS for the second half.
    const share = record.kind === "datasetGroup" ? 1 : 0.5;
    record.dueAt = now + Math.round(this.durationOf("delete") * share);
    this.watch(record);
  }

  /** StopSolutionVersionCreation. */
  stop(record: ResourceRecord): void {
    const now = this.clock.now();
    record.updated = now;
    if (record.status === "CREATE PENDING") {
      record.status = "CREATE STOPPED";
      record.dueAt = undefined;
    } else {
      record.status = "CREATE STOPPING";
      record.dueAt = now + this.durationOf("stop");
      this.watch(record);
    }
  }

  /** Re-registers a resource loaded from disk that was mid-lifecycle. */
  resume(record: ResourceRecord): void {
    if (record.dueAt !== undefined || record.update?.dueAt !== undefined) this.watch(record);
  }

  /** Data-plane work finished: the resource may now complete. */
  workDone(
    record: ResourceRecord,
    outcome: { failureReason?: string; trainingHours?: number },
  ): void {
    if (record.work !== "running") return;
    record.work = "done";
    record.outcome = outcome;
    this.tick(true);
  }

  watch(record: ResourceRecord): void {
    this.scheduled.add(record);
    this.arm();
  }

  forget(record: ResourceRecord): void {
    this.scheduled.delete(record);
  }

  /** Runs every step that is due. Cheap when nothing is scheduled (the Describe hot path). */
  tick(forceSave = false): void {
    // A hook (the data plane starting work) may read the control plane, which ticks again.
    if (this.ticking) return;
    if (this.scheduled.size === 0) {
      if (forceSave) this.hooks.changed();
      return;
    }
    const now = this.clock.now();
    let changed = forceSave;
    this.ticking = true;
    try {
      for (let progress = true; progress;) {
        progress = false;
        for (const record of [...this.scheduled]) {
          // A completed delete may have cascaded to this record already.
          if (!this.scheduled.has(record)) continue;
          if (this.step(record, now)) progress = changed = true;
          if (record.dueAt === undefined && record.update?.dueAt === undefined)
            this.scheduled.delete(record);
        }
      }
    } finally {
      this.ticking = false;
    }
    if (changed) this.hooks.changed();
    this.arm();
  }

  close(): void {
    this.closed = true;
    this.cancelTimer?.();
  }

  private arm(): void {
    if (this.closed) return;
    let next = Infinity;
    for (const record of this.scheduled) {
      if (
        record.dueAt !== undefined &&
        !(record.status === "CREATE IN_PROGRESS" && record.work === "running")
      )
        next = Math.min(next, record.dueAt);
      if (record.update?.dueAt !== undefined) next = Math.min(next, record.update.dueAt);
    }
    if (next === this.timerAt) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = next;
    if (next !== Infinity)
      this.cancelTimer = this.clock.schedule(next, () => {
        this.timerAt = Infinity;
        this.cancelTimer = undefined;
        this.tick();
      });
  }

  /** One status change if due; true when something changed. */
  private step(record: ResourceRecord, now: number): boolean {
    const update = record.update;
    if (update?.dueAt !== undefined && update.dueAt <= now) {
      const at = update.dueAt;
      update.updated = at;
      if (update.status === "CREATE PENDING") {
        update.status = "CREATE IN_PROGRESS";
        update.dueAt = at + Math.round(this.durationOf(durationKind(record)) * (1 - PENDING_SHARE));
      } else {
        update.dueAt = undefined;
        update.status = "ACTIVE";
        record.updated = at;
        this.hooks.updated(record);
      }
      return true;
    }
    if (record.dueAt === undefined || record.dueAt > now) return false;
    const at = record.dueAt;
    switch (record.status) {
      case "CREATE PENDING":
        record.status = "CREATE IN_PROGRESS";
        record.updated = at;
        record.dueAt = at + Math.round(this.durationOf(durationKind(record)) * (1 - PENDING_SHARE));
        this.hooks.started(record);
        return true;
      case "CREATE IN_PROGRESS": {
        if (record.work === "running") return false;
        const failure = record.forcedFailure ?? record.outcome?.failureReason;
        record.status = failure === undefined ? "ACTIVE" : "CREATE FAILED";
        if (failure !== undefined) record.failureReason = failure;
        record.updated = at;
        record.dueAt = undefined;
        this.hooks.finished(record);
        return true;
      }
      case "CREATE STOPPING":
        record.status = "CREATE STOPPED";
        record.updated = at;
        record.dueAt = undefined;
        return true;
      case "DELETE PENDING":
        if (record.kind === "datasetGroup") {
          record.dueAt = undefined;
          this.scheduled.delete(record);
          this.hooks.removed(record);
          return true;
        }
        record.status = "DELETE IN_PROGRESS";
        record.updated = at;
        record.dueAt = at + Math.round(this.durationOf("delete") / 2);
        return true;
      case "DELETE IN_PROGRESS":
        record.dueAt = undefined;
        this.scheduled.delete(record);
        this.hooks.removed(record);
        return true;
      default:
        record.dueAt = undefined;
        return false;
    }
  }
}

/** Whose duration a create or update of this record takes (schemas have no lifecycle). */
function durationKind(record: ResourceRecord): LifecycleKind {
  return record.kind === "schema" ? "datasetGroup" : record.kind;
}
