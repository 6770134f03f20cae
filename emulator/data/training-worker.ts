/** The training worker thread: receives a TrainingJob, answers with the trained model. */
import { parentPort } from "node:worker_threads";
import { trainAndEvaluate, transferables, type TrainingJob } from "./training";

parentPort!.on("message", (msg: { id: number; job: TrainingJob }) => {
  try {
    const result = trainAndEvaluate(msg.job);
    parentPort!.postMessage({ id: msg.id, result }, transferables(result.model));
  } catch (err) {
    parentPort!.postMessage({
      id: msg.id,
      error: err instanceof Error ? err.message : String(err),
    });
  }
});
