/**
 * A data plane that reads no data, for tests of the control plane and for
 * `--placeholder-data-plane`: import jobs and solution versions succeed WITHOUT READING ANY
 * DATA, solution versions have no metrics, and the runtime and events paths refuse with a
 * clear InvalidInputException instead of inventing answers.
 */
import type { DataPlane, DataPlaneFactory } from "./dataplane";
import { invalidInput } from "./errors";

export const RUNTIME_PATHS = [
  "/recommendations",
  "/personalize-ranking",
  "/action-recommendations",
  "/events",
  "/items",
  "/users",
  "/actions",
  "/action-interactions",
] as const;

export const placeholderDataPlane: DataPlaneFactory = (): DataPlane => ({
  paths: RUNTIME_PATHS,
  importData: async () => ({}),
  train: async () => ({}),
  metrics: () => undefined,
  dropDataset: () => undefined,
  dropSolutionVersion: () => undefined,
  handle: async (method, path) => {
    throw invalidInput(
      `${method} ${path}: the emulator's data plane is not enabled, so there are no imported data, models, recommendations or events. Start the emulator with a data plane to use the runtime and events APIs.`,
    );
  },
});
