export * from "./config";
export * from "./policies";
export { DataStore } from "./datastore";
export type { DataStoreArgs } from "./datastore";
export { PersonalizePipeline } from "./pipeline";
export type { PersonalizePipelineArgs } from "./pipeline";
export { buildWorkshopStack, sha256Hex, PROJECT_DIR } from "./workshop";
export type { WorkshopOutputs } from "./workshop";
