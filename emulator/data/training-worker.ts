/** The worker thread: trains models and parses imports for the main thread. */
import { parentPort } from "node:worker_threads";
import { parseImport } from "./imports";
import { trainAndEvaluate, transferables, type WorkerRequest } from "./training";

parentPort!.on("message", (msg: { id: number } & WorkerRequest) => {
  try {
    if (msg.kind === "train") {
      const result = trainAndEvaluate(msg.job);
      parentPort!.postMessage({ id: msg.id, result }, transferables(result.model));
    } else {
      const result = parseImport(msg.work);
      const transfer = "interactions" in result ? transferables(result.interactions) : [];
      parentPort!.postMessage({ id: msg.id, result }, transfer);
    }
  } catch (err) {
    parentPort!.postMessage({
      id: msg.id,
      error: err instanceof Error ? err.message : String(err),
    });
  }
});
