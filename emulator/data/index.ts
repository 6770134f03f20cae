/**
 * The emulator's data plane: import jobs that read the CSV, training per recipe family,
 * offline metrics, and the runtime and events APIs. The server calls it through the seam
 * in ../dataplane.ts; see ../ml/ for the models themselves.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { trainingMinimumsProblem } from "../../schemas/validator";
import type {
  DataPlane,
  DataPlaneDeps,
  DataPlaneFactory,
  DataPlaneResponse,
  ImportJobSpec,
  Outcome,
  TrainingOutcome,
  TrainingSpec,
} from "../dataplane";
import { invalidInput, notFound } from "../errors";
import {
  SUPPORTED_RECIPES,
  familyOf,
  recipeId,
  recipeTypeOf,
  supportsUpdate,
  type Family,
} from "../ml/families";
import { FilterSyntaxError, compileFilter, parseFilter } from "../ml/filters";
import { emptyColumns } from "../ml/interactions";
import {
  best,
  popularityScores,
  rank,
  relatedScores,
  trainedHistory,
  userScores,
  userScoresOf,
  type HistoryEvent,
  type Scores,
  type Model,
} from "../ml/model";
import { trainingStats } from "../ml/train";
import { DatasetStore, type DatasetData } from "./datasets";
import { runImport } from "./imports";
import { ModelStore, type TrainedVersion } from "./models";
import {
  asBody,
  numResults,
  optionalString,
  requiredString,
  stringMap,
  type Body,
} from "./requests";
import { Trainer } from "./training";

export const DATA_PLANE_PATHS = [
  "/recommendations",
  "/personalize-ranking",
  "/action-recommendations",
  "/events",
] as const;

export const createDataPlane: DataPlaneFactory = (deps) => new EmulatorDataPlane(deps);

/** Id -> model index for a model's item or user ids, built once per model. */
type IdIndexes = WeakMap<Model, Map<string, number>>;
const itemIndexes: IdIndexes = new WeakMap();
const userIndexes: IdIndexes = new WeakMap();
function idIndex(cache: IdIndexes, model: Model, ids: readonly string[]): Map<string, number> {
  let m = cache.get(model);
  if (!m) {
    m = new Map(ids.map((id, i) => [id, i]));
    cache.set(model, m);
  }
  return m;
}
const itemIndex = (model: Model) => idIndex(itemIndexes, model, model.itemIds);
const userIndex = (model: Model) => idIndex(userIndexes, model, model.userIds);

export class EmulatorDataPlane implements DataPlane {
  readonly paths = DATA_PLANE_PATHS;
  private readonly datasets: DatasetStore;
  private readonly models: ModelStore;
  private readonly trainer = new Trainer();
  /** Per streamed-events table: rows by user, extended as events arrive. */
  private readonly streamedByUser = new WeakMap<
    object,
    { upTo: number; rows: Map<string, number[]> }
  >();

  constructor(private readonly deps: DataPlaneDeps) {
    const dir = deps.dataDir ? join(deps.dataDir, "dataplane") : undefined;
    this.datasets = new DatasetStore(dir && join(dir, "datasets"));
    this.models = new ModelStore(dir && join(dir, "models"));
  }

  async importData(spec: ImportJobSpec): Promise<Outcome> {
    const outcome = await runImport(
      spec,
      this.deps.objects,
      this.datasets,
      (work) => this.trainer.parse(work),
      this.deps.log,
    );
    // The dataset may have been deleted while a large import was parsed: keep nothing of it.
    if (
      this.deps.view.dataset(spec.datasetGroupArn, spec.datasetType)?.datasetArn !== spec.datasetArn
    ) {
      this.datasets.drop(spec.datasetArn);
    }
    return outcome;
  }

  async train(spec: TrainingSpec): Promise<TrainingOutcome> {
    const started = Date.now();
    const id = recipeId(spec.recipeArn);
    const family = familyOf(spec.recipeArn);
    if (!family) {
      return {
        failureReason: `The emulator cannot train recipe ${id}; it trains ${SUPPORTED_RECIPES.join(", ")}.`,
      };
    }
    let eventValueThreshold: number | undefined;
    if (spec.eventValueThreshold !== undefined && spec.eventValueThreshold !== "") {
      eventValueThreshold = Number(spec.eventValueThreshold);
      if (!Number.isFinite(eventValueThreshold)) {
        return {
          failureReason: `solutionConfig.eventValueThreshold must be a number; got "${spec.eventValueThreshold}".`,
        };
      }
    }
    const config = { family, recipeId: id, eventType: spec.eventType, eventValueThreshold };
    let base: Model | undefined;
    if (spec.trainingMode === "UPDATE") {
      if (!supportsUpdate(family)) {
        return {
          failureReason: `trainingMode UPDATE is not supported for recipe ${id}; use FULL.`,
        };
      }
      base = spec.baseSolutionVersionArn
        ? this.models.get(spec.baseSolutionVersionArn)?.model
        : undefined;
      if (!base) {
        return {
          failureReason: `trainingMode UPDATE needs an ACTIVE solution version trained with FULL; solution ${spec.solutionArn} has none.`,
        };
      }
    }
    const dataset = this.deps.view.dataset(spec.datasetGroupArn, "INTERACTIONS");
    const stored = dataset ? this.datasets.get(dataset.datasetArn) : undefined;
    const data = (dataset && this.datasets.interactions(dataset.datasetArn)) ?? emptyColumns();
    const watermark = stored?.streamed?.length ?? 0;
    const problem = trainingMinimumsProblem(trainingStats(data, config));
    if (problem) return { failureReason: problem };

    const { model, metrics } = await this.trainer.run({ data, config, base });
    // The solution (and so this version) may have been deleted while the model trained.
    if (!this.deps.view.solutionVersion(spec.solutionVersionArn)) return {};
    this.models.put({
      solutionVersionArn: spec.solutionVersionArn,
      datasetGroupArn: spec.datasetGroupArn,
      datasetArn: dataset!.datasetArn,
      watermark,
      model,
      metrics,
    });
    return { trainingHours: Math.round(((Date.now() - started) / 3_600_000) * 1e6) / 1e6 };
  }

  metrics(solutionVersionArn: string): Record<string, number> | undefined {
    return this.models.get(solutionVersionArn)?.metrics;
  }

  dropDataset(datasetArn: string): void {
    this.datasets.drop(datasetArn);
  }

  dropSolutionVersion(solutionVersionArn: string): void {
    this.models.drop(solutionVersionArn);
  }

  async handle(method: string, path: string, body: unknown): Promise<DataPlaneResponse> {
    if (method !== "POST") throw invalidInput(`${method} ${path}: only POST is supported.`);
    switch (path) {
      case "/recommendations":
        return { status: 200, body: this.getRecommendations(asBody(body, "GetRecommendations")) };
      case "/personalize-ranking":
        return {
          status: 200,
          body: this.getPersonalizedRanking(asBody(body, "GetPersonalizedRanking")),
        };
      case "/action-recommendations":
        this.getActionRecommendations(asBody(body, "GetActionRecommendations"));
        return { status: 200 };
      case "/events":
        this.putEvents(asBody(body, "PutEvents"));
        return { status: 200 };
      default:
        throw notFound(`${path} is not a runtime or events operation of the emulator.`, 404);
    }
  }

  async close(): Promise<void> {
    this.datasets.flush();
    await this.trainer.close();
  }

  /** The ACTIVE campaign's trained version, or the service's error. */
  private campaignVersion(campaignArn: string): {
    version: TrainedVersion;
    family: Family;
  } {
    const campaign = this.deps.view.campaign(campaignArn);
    if (!campaign) throw notFound(`Campaign ${campaignArn} does not exist.`, 404);
    if (campaign.status !== "ACTIVE") {
      throw notFound(
        `Campaign ${campaignArn} is not ACTIVE (status ${campaign.status}); it answers once ACTIVE.`,
        404,
      );
    }
    const version = this.models.get(campaign.solutionVersionArn);
    if (!version) {
      throw notFound(
        `Campaign ${campaignArn} has no trained model for solution version ${campaign.solutionVersionArn}.`,
        404,
      );
    }
    return { version, family: version.model.config.family };
  }

  private getRecommendations(body: Body): unknown {
    const recommenderArn = optionalString(body, "recommenderArn");
    if (recommenderArn) {
      throw notFound(
        `Recommender ${recommenderArn} does not exist (the emulator has no recommenders).`,
        404,
      );
    }
    const campaignArn = requiredString(body, "campaignArn", "GetRecommendations");
    const userId = optionalString(body, "userId");
    const itemId = optionalString(body, "itemId");
    const k = numResults(body);
    if (body.metadataColumns !== undefined) {
      throw invalidInput(
        "metadataColumns are not supported by the emulator; remove them from the request.",
      );
    }
    if (body.promotions !== undefined) {
      throw invalidInput(
        "promotions are not supported by the emulator; remove them from the request.",
      );
    }
    const { version, family } = this.campaignVersion(campaignArn);
    const model = version.model;
    const type = recipeTypeOf(family);
    let scores: Scores;
    let exclude: number | undefined;
    if (type === "PERSONALIZED_RANKING") {
      throw invalidInput(
        `Campaign ${campaignArn} serves recipe ${model.config.recipeId} (PERSONALIZED_RANKING); call GetPersonalizedRanking instead.`,
      );
    } else if (type === "RELATED_ITEMS") {
      if (!itemId)
        throw invalidInput(
          `itemId is required for campaign ${campaignArn} (RELATED_ITEMS recipe ${model.config.recipeId}).`,
        );
      exclude = itemIndex(model).get(itemId) ?? -1;
      scores = relatedScores(model, exclude);
    } else if (type === "USER_PERSONALIZATION") {
      if (!userId)
        throw invalidInput(
          `userId is required for campaign ${campaignArn} (USER_PERSONALIZATION recipe ${model.config.recipeId}).`,
        );
      scores = userScoresOf(
        model,
        userIndex(model).get(userId) ?? -1,
        this.streamedSince(version, userId),
      );
    } else {
      scores = popularityScores(model);
    }
    const filtered = this.filterFor(body, version, userId);
    const excluded =
      exclude === undefined && !filtered
        ? undefined
        : (j: number) => j === exclude || (filtered ? filtered(j) : false);
    const items = best(model, scores, k, excluded);
    return {
      itemList: items.map((s) => ({ itemId: model.itemIds[s.item], score: round(s.score) })),
      recommendationId: `RID-${randomUUID()}`,
    };
  }

  private getPersonalizedRanking(body: Body): unknown {
    const campaignArn = requiredString(body, "campaignArn", "GetPersonalizedRanking");
    const userId = requiredString(body, "userId", "GetPersonalizedRanking");
    const inputList = body.inputList;
    if (
      !Array.isArray(inputList) ||
      inputList.length < 1 ||
      inputList.length > 500 ||
      !inputList.every((v) => typeof v === "string" && v.length >= 1 && v.length <= 256)
    ) {
      throw invalidInput(
        `inputList must be a list of 1 to 500 item ids; got ${JSON.stringify(inputList)?.slice(0, 100)}.`,
      );
    }
    const { version, family } = this.campaignVersion(campaignArn);
    const model = version.model;
    if (recipeTypeOf(family) !== "PERSONALIZED_RANKING") {
      throw invalidInput(
        `Campaign ${campaignArn} serves recipe ${model.config.recipeId} (${recipeTypeOf(family)}); GetPersonalizedRanking needs a PERSONALIZED_RANKING campaign.`,
      );
    }
    const index = itemIndex(model);
    const filtered = this.filterFor(body, version, userId);
    const ids = (inputList as string[]).filter((id) => {
      const j = index.get(id);
      return !(filtered && j !== undefined && filtered(j));
    });
    const scores = userScores(model, this.history(version, userId));
    const ranked = rank(
      model,
      scores,
      ids.map((id) => index.get(id) ?? -1),
    );
    return {
      personalizedRanking: ranked.map(({ position, score }) =>
        model.popularity[index.get(ids[position]) ?? -1] > 0
          ? { itemId: ids[position], score: round(score) }
          : { itemId: ids[position] },
      ),
      recommendationId: `RID-${randomUUID()}`,
    };
  }

  private getActionRecommendations(body: Body): never {
    const campaignArn = requiredString(body, "campaignArn", "GetActionRecommendations");
    const { version, family } = this.campaignVersion(campaignArn);
    throw invalidInput(
      `Campaign ${campaignArn} serves recipe ${version.model.config.recipeId} (${recipeTypeOf(family)}); GetActionRecommendations needs a PERSONALIZED_ACTIONS campaign, which the emulator does not train.`,
    );
  }

  private putEvents(body: Body): void {
    const trackingId = requiredString(body, "trackingId", "PutEvents");
    const sessionId = requiredString(body, "sessionId", "PutEvents");
    const userId = optionalString(body, "userId");
    const list = body.eventList;
    if (!Array.isArray(list) || list.length < 1 || list.length > 10) {
      throw invalidInput(
        `eventList must hold 1 to 10 events; got ${Array.isArray(list) ? `${list.length}` : JSON.stringify(list)?.slice(0, 100)}.`,
      );
    }
    const events = list.map((raw, i) => {
      if (raw === null || raw === undefined) {
        throw invalidInput(`PutEvents eventList[${i}]: each event must be a JSON object.`);
      }
      const e = asBody(raw, `PutEvents eventList[${i}]`);
      const eventType = requiredString(e, "eventType", `PutEvents eventList[${i}]`);
      const itemId = optionalString(e, "itemId");
      const sentAt = e.sentAt;
      if (typeof sentAt !== "number" || !Number.isFinite(sentAt) || sentAt < 0) {
        throw invalidInput(
          `eventList[${i}].sentAt must be a timestamp in epoch seconds; got ${JSON.stringify(sentAt)}.`,
        );
      }
      const value = e.eventValue;
      if (
        value !== undefined &&
        value !== null &&
        (typeof value !== "number" || !Number.isFinite(value))
      ) {
        throw invalidInput(
          `eventList[${i}].eventValue must be a number; got ${JSON.stringify(value)}.`,
        );
      }
      return { eventType, itemId, sentAt, value: typeof value === "number" ? value : undefined };
    });
    const tracker = this.deps.view.eventTrackerByTrackingId(trackingId);
    if (!tracker || tracker.status !== "ACTIVE") {
      throw invalidInput(
        tracker
          ? `The event tracker with trackingId ${trackingId} is not ACTIVE (status ${tracker.status}).`
          : `No event tracker has trackingId ${trackingId}.`,
      );
    }
    const dataset = this.deps.view.dataset(tracker.datasetGroupArn, "INTERACTIONS");
    if (!dataset) {
      throw invalidInput(
        `Dataset group ${tracker.datasetGroupArn} has no interactions dataset to record events in; create one first.`,
      );
    }
    const d = this.datasets.ensure(dataset.datasetArn, tracker.datasetGroupArn, "INTERACTIONS");
    // Anonymous sessions are recorded under the session id, as the service does.
    const user = userId ?? sessionId;
    for (const e of events) {
      if (e.itemId === undefined) continue;
      d.streamed!.append(user, e.itemId, e.sentAt, e.eventType, e.value);
    }
    this.datasets.saveEventsSoon(d);
  }

  /** The user's history: what training saw, then events streamed since. */
  private history(version: TrainedVersion, userId: string): HistoryEvent[] {
    const model = version.model;
    const history = trainedHistory(model, userIndex(model).get(userId) ?? -1);
    for (const e of this.streamedSince(version, userId)) history.push(e);
    return history;
  }

  /** The user's events streamed since the version was trained, oldest first. */
  private streamedSince(version: TrainedVersion, userId: string): HistoryEvent[] {
    const d = this.datasets.get(version.datasetArn);
    if (!d?.streamed || d.streamed.length <= version.watermark) return [];
    const index = itemIndex(version.model);
    const table = d.streamed;
    const out: HistoryEvent[] = [];
    for (const r of this.streamedRows(d, userId)) {
      if (r < version.watermark) continue;
      const t = table.types[r];
      const v = table.values[r];
      out.push({
        item: index.get(table.itemVocab.ids[table.items[r]]) ?? -1,
        time: table.times[r],
        eventType: t < 0 ? undefined : table.typeVocab.ids[t],
        value: Number.isNaN(v) ? undefined : v,
      });
    }
    return out;
  }

  private streamedRows(d: DatasetData, userId: string): number[] {
    const table = d.streamed!;
    let entry = this.streamedByUser.get(table);
    if (!entry) {
      entry = { upTo: 0, rows: new Map() };
      this.streamedByUser.set(table, entry);
    }
    for (; entry.upTo < table.length; entry.upTo++) {
      const id = table.userVocab.ids[table.users[entry.upTo]];
      let rows = entry.rows.get(id);
      if (!rows) entry.rows.set(id, (rows = []));
      rows.push(entry.upTo);
    }
    return entry.rows.get(userId) ?? [];
  }

  /** The request's filter as "is this model item filtered out", or undefined without one. */
  private filterFor(
    body: Body,
    version: TrainedVersion,
    userId: string | undefined,
  ): ((item: number) => boolean) | undefined {
    const filterArn = optionalString(body, "filterArn");
    const filterValues = stringMap(body, "filterValues");
    if (!filterArn) return undefined;
    const filter = this.deps.view.filter(filterArn);
    if (!filter) throw notFound(`Filter ${filterArn} does not exist.`, 404);
    if (filter.status !== "ACTIVE") {
      throw invalidInput(`Filter ${filterArn} is not ACTIVE (status ${filter.status}).`);
    }
    if (filter.datasetGroupArn !== version.datasetGroupArn) {
      throw invalidInput(
        `Filter ${filterArn} belongs to dataset group ${filter.datasetGroupArn}, not to the campaign's ${version.datasetGroupArn}.`,
      );
    }
    const model = version.model;
    const userEventTypes = new Map<string, Set<string>>();
    if (userId) {
      for (const e of this.history(version, userId)) {
        if (e.item < 0 || e.eventType === undefined) continue;
        const id = model.itemIds[e.item];
        let set = userEventTypes.get(id);
        if (!set) userEventTypes.set(id, (set = new Set()));
        set.add(e.eventType);
      }
    }
    const itemsArn = this.deps.view.dataset(version.datasetGroupArn, "ITEMS")?.datasetArn;
    const items = itemsArn ? this.datasets.get(itemsArn)?.records : undefined;
    let test: (itemId: string) => boolean;
    try {
      test = compileFilter(parseFilter(filter.filterExpression), filterValues, {
        userEventTypes,
        hasItemField: (field) => !!items && field in items.columns,
        itemField: (itemId, field) => {
          const at = items?.index.get(itemId);
          const v = at === undefined ? undefined : items!.columns[field]?.[at];
          return v === undefined || v === null ? undefined : String(v).split("|");
        },
      });
    } catch (err) {
      if (!(err instanceof FilterSyntaxError)) throw err;
      throw invalidInput(
        `The emulator cannot apply filter ${filterArn} with expression ${JSON.stringify(filter.filterExpression)}: ${err.message}.`,
      );
    }
    const cache = new Int8Array(model.itemIds.length).fill(-1);
    return (j) => {
      if (cache[j] < 0) cache[j] = test(model.itemIds[j]) ? 1 : 0;
      return cache[j] === 1;
    };
  }
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
