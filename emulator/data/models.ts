/**
 * Trained solution versions: the model, its offline metrics and where its data came from,
 * persisted under the data dir so campaigns answer the same after a restart.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { withFastShape, type Model } from "../ml/model";
import { arnFileName, readStored, writeStored } from "./persist";

export interface TrainedVersion {
  solutionVersionArn: string;
  datasetGroupArn: string;
  /** The interactions dataset trained on. */
  datasetArn: string;
  /** Streamed events [0, watermark) were part of training; later ones are added at query time. */
  watermark: number;
  model: Model;
  metrics: Record<string, number>;
}

const ARRAY_FIELDS = [
  "itemRank",
  "popularity",
  "neighborOffsets",
  "neighborItems",
  "neighborScores",
  "historyOffsets",
  "historyItems",
  "historyTimes",
  "historyTypes",
  "historyValues",
] as const;

const fileName = (arn: string) => `${arnFileName(arn)}.model`;

export class ModelStore {
  private readonly versions = new Map<string, TrainedVersion>();

  constructor(private readonly dir?: string) {
    if (dir && existsSync(dir)) {
      for (const f of readdirSync(dir)
        .filter((f) => f.endsWith(".model"))
        .sort()) {
        const { header, arrays } = readStored(join(dir, f));
        const meta = header as unknown as Omit<TrainedVersion, "model"> & {
          model: Pick<Model, "config" | "itemIds" | "userIds" | "eventTypes">;
        };
        const model = withFastShape({ ...meta.model, ...arrays } as unknown as Model);
        this.versions.set(meta.solutionVersionArn, { ...meta, model });
      }
    }
  }

  get(solutionVersionArn: string): TrainedVersion | undefined {
    return this.versions.get(solutionVersionArn);
  }

  put(version: TrainedVersion): void {
    this.versions.set(version.solutionVersionArn, version);
    if (!this.dir) return;
    const { model, ...meta } = version;
    const arrays = Object.fromEntries(ARRAY_FIELDS.map((f) => [f, model[f]]));
    writeStored(join(this.dir, fileName(version.solutionVersionArn)), {
      header: {
        ...meta,
        model: {
          config: model.config,
          itemIds: model.itemIds,
          userIds: model.userIds,
          eventTypes: model.eventTypes,
        },
      },
      arrays,
    });
  }

  drop(solutionVersionArn: string): void {
    this.versions.delete(solutionVersionArn);
    if (this.dir) rmSync(join(this.dir, fileName(solutionVersionArn)), { force: true });
  }
}
