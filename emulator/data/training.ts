/**
 * Runs training and import parsing off the server's event loop. Small work (the size of
 * tests and of the workshop sample) runs inline in milliseconds; larger work goes to a
 * worker thread, so the server keeps answering Describe and runtime calls meanwhile.
 */
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { InteractionColumns } from "../ml/interactions";
import { computeMetrics } from "../ml/metrics";
import { withFastShape, type Model, type TrainingConfig } from "../ml/model";
import { parseImport, type ParseWork, type Parsed } from "./imports";
import { trainModel } from "../ml/train";
import { moduleGraph, projectCompiler } from "../../providers/module-graph";

export interface TrainingJob {
  data: InteractionColumns;
  config: TrainingConfig;
  /** trainingMode UPDATE: the version whose item-to-item neighbours are kept. */
  base?: Model;
}

/** A message to the worker thread. */
export type WorkerRequest =
  { kind: "train"; job: TrainingJob } | { kind: "parse"; work: ParseWork };

export interface TrainingResult {
  model: Model;
  metrics: Record<string, number>;
}

/** Below this many interactions, training runs inline. */
export const INLINE_TRAINING_ROWS = 20000;
/** An idle worker thread is stopped after this long. */
export const WORKER_IDLE_MS = 30_000;
/** Below this many bytes of CSV, an import is parsed inline. */
export const INLINE_IMPORT_BYTES = 1 << 20;

export function trainAndEvaluate(job: TrainingJob): TrainingResult {
  // Metrics first: their holdout model is garbage before the real one is built, so the two
  // are not held at once.
  const metrics = computeMetrics(job.data, job.config);
  const model = trainModel(job.data, job.config, job.base);
  return { model, metrics };
}

/** The buffers a result can hand over without copying. */
export function transferables(value: object): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of Object.values(value)) {
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  }
  return [...out];
}

export class Trainer {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve(r: unknown): void; reject(e: Error): void }
  >();

  constructor(
    private readonly inlineRows = INLINE_TRAINING_ROWS,
    private readonly inlineBytes = INLINE_IMPORT_BYTES,
  ) {}

  async run(job: TrainingJob): Promise<TrainingResult> {
    if (job.data.length < this.inlineRows) {
      // Yield once so the caller's status change is visible before the work starts.
      await new Promise((resolve) => setImmediate(resolve));
      return trainAndEvaluate(job);
    }
    const result = (await this.post(
      { kind: "train", job },
      transferables(job.data),
    )) as TrainingResult;
    return { model: withFastShape(result.model), metrics: result.metrics };
  }

  /**
   * Checks and converts an import's files. The worker reads files in the data dir itself, by
   * path; objects held in memory go to it as a copy, since the store keeps its own.
   */
  async parse(work: ParseWork): Promise<Parsed> {
    const bytes = work.files.reduce((n, f) => n + f.body.size, 0);
    if (bytes < this.inlineBytes) {
      await new Promise((resolve) => setImmediate(resolve));
      return parseImport(work);
    }
    return (await this.post({ kind: "parse", work }, [])) as Parsed;
  }

  private post(message: WorkerRequest, transfer: ArrayBuffer[]): Promise<unknown> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, ...message }, transfer);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const underTsNode = __filename.endsWith(".ts");
    const entry = join(__dirname, `training-worker${underTsNode ? ".ts" : ".js"}`);
    // Under ts-node the worker gets its modules already transpiled here: registering ts-node
    // in the worker (a worker does not inherit -r hooks) would load TypeScript a second
    // time, about 100 MB.
    const code = underTsNode
      ? `const Module = require("node:module"); const { workerData } = require("node:worker_threads");
         Module._extensions[".ts"] = (module, file) => module._compile(workerData.compiled[file], file);
         require(${JSON.stringify(entry)});`
      : `require(${JSON.stringify(entry)});`;
    const worker = new Worker(code, {
      eval: true,
      workerData: underTsNode ? { compiled: transpiledGraph(entry) } : undefined,
    });
    worker.on("message", (msg: { id: number; result?: unknown; error?: string }) => {
      const waiter = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.idle(worker);
      if (!waiter) return;
      if (msg.result) waiter.resolve(msg.result);
      else waiter.reject(new Error(msg.error ?? "the data-plane worker failed"));
    });
    const fail = (err: Error) => {
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
      if (this.worker === worker) this.worker = undefined;
    };
    worker.on("error", fail);
    worker.on("exit", (code) =>
      fail(new Error(`the data-plane worker thread exited (code ${code})`)),
    );
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /**
   * An idle worker is let go after a while: it holds ts-node and a heap of its own, which is
   * worth keeping between back-to-back jobs but not for the life of the server.
   */
  private idle(worker: Worker): void {
    worker.unref();
    const timer = setTimeout(() => {
      if (this.worker === worker && this.pending.size === 0) {
        this.worker = undefined;
        void worker.terminate();
      }
    }, WORKER_IDLE_MS);
    timer.unref();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}

let transpiled: Record<string, string> | undefined;

/**
 * The project's .ts modules that `entry` requires, directly or not, transpiled to CommonJS by
 * the ts-node that runs this process, keyed by path: the project's transpiler, which keeps each
 * module's output between runs (stack/cached-transpiler.js), so a first training need not
 * transpile its graph cold (about 1 s on the main thread). Under another TypeScript loader,
 * TypeScript's transpileModule. Computed once per process.
 */
export function transpiledGraph(entry: string): Record<string, string> {
  if (transpiled) return transpiled;
  const { service, ts, options } = projectCompiler();
  const transpile = (text: string, file: string) =>
    service
      ? service.compile(text, file)
      : ts.transpileModule(text, { fileName: file, compilerOptions: options }).outputText;
  const out: Record<string, string> = {};
  // Other files (JSON) the worker's require reads itself.
  for (const [file, { code }] of moduleGraph([entry], (file, text) =>
    file.endsWith(".ts") ? transpile(text, file) : text,
  ))
    if (file.endsWith(".ts")) out[file] = code;
  transpiled = out;
  return out;
}
