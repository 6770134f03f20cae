/**
 * The local, lifecycle-faithful Personalize emulator: `startEmulator(options)` serves the
 * Personalize control plane, the runtime/events paths (through the data plane) and an S3
 * subset on one port. See cli.ts for the command line and the README section for the flags.
 */
import type { AddressInfo } from "node:net";
import type { Clock } from "./clock";
import { SystemClock } from "./clock";
import {
  DEFAULT_DURATIONS,
  controlPlaneView,
  createControlPlane,
  type LifecycleKind,
} from "./control";
import type { DataPlane, DataPlaneFactory } from "./dataplane";
import { Faults, type FaultOptions } from "./faults";
import { isLoopback } from "./http/hosts";
import { createFrontDoor } from "./http/server";
import { isRegion } from "./http/signing";
import { S3Store } from "./s3";
import { DiskStore } from "./store";

export { ManualClock, SystemClock, type Clock } from "./clock";
export type { FaultOptions } from "./faults";
export { DEFAULT_DURATIONS, PENDING_SHARE, type LifecycleKind } from "./control";
export { placeholderDataPlane } from "./placeholder-dataplane";
export type { DataPlane, DataPlaneFactory } from "./dataplane";

/** Largest control-plane / runtime request body by default: 16 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Largest S3 object (single PutObject) by default: 512 MiB, held in memory while received. */
export const DEFAULT_MAX_OBJECT_BYTES = 512 * 1024 * 1024;

export interface EmulatorOptions {
  /**
   * Interface to bind. Any other than loopback is warned about: the emulator has no
   * authentication. @default "127.0.0.1"
   */
  host?: string;
  /**
   * Host names (of the Host header) served besides IP addresses and `localhost`; requests
   * addressed to any other name are refused (DNS-rebinding protection).
   */
  allowedHosts?: readonly string[];
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** Keep resources and S3 objects here across restarts; in memory when unset. */
  dataDir?: string;
  /** Account id in ARNs. @default "000000000000" */
  accountId?: string;
  /** Multiplies every lifecycle duration; 0 = as fast as possible. @default 1 (about 15 s for the workshop chain) */
  durationScale?: number;
  /** Per lifecycle kind, the total create (or delete/stop) duration in ms before scaling. */
  durations?: Partial<Record<LifecycleKind, number>>;
  /** Time source for lifecycles; a `ManualClock` makes tests deterministic. @default SystemClock */
  clock?: Clock;
  faults?: FaultOptions;
  /** Largest control-plane / runtime request body. @default 16 MiB */
  maxBodyBytes?: number;
  /** Largest S3 object. @default 512 MiB */
  maxObjectBytes?: number;
  /**
   * The data plane. @default the emulator's own (emulator/data: imports read the CSV, training
   * is real); `placeholderDataPlane` reads no data and answers no runtime calls.
   */
  dataPlane?: DataPlaneFactory;
  /** Region used for unsigned requests. @default "us-east-1" */
  defaultRegion?: string;
  /** Suppress log lines (warnings and emulator bugs are still logged). @default true for the programmatic API */
  quiet?: boolean;
  /** Where log lines go. @default console.error */
  log?: (line: string) => void;
}

export interface RunningEmulator {
  /** `http://HOST:PORT` */
  url: string;
  port: number;
  /** Stops accepting requests, closes connections, flushes state to the data dir. */
  close(): Promise<void>;
  /** The lifecycle clock (a ManualClock when one was passed in). */
  clock: Clock;
  /** Replaces the fault-injection settings at run time. */
  setFaults(faults: FaultOptions): void;
  /** The data plane in use. */
  dataPlane: DataPlane;
}

function checkNumber(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value >= min))
    throw new Error(`${name} must be a number >= ${min}, got ${String(value)}`);
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  checkNumber("durationScale", options.durationScale, 0);
  checkNumber("port", options.port, 0);
  checkNumber("maxBodyBytes", options.maxBodyBytes, 1);
  checkNumber("maxObjectBytes", options.maxObjectBytes, 1);
  for (const [kind, ms] of Object.entries(options.durations ?? {})) {
    if (!(kind in DEFAULT_DURATIONS))
      throw new Error(
        `durations.${kind}: unknown lifecycle kind; use one of ${Object.keys(DEFAULT_DURATIONS).join(", ")}`,
      );
    checkNumber(`durations.${kind}`, ms, 0);
  }
  const accountId = options.accountId ?? "000000000000";
  if (!/^\d{12}$/.test(accountId))
    throw new Error(`accountId must be 12 digits, got ${JSON.stringify(accountId)}`);
  const defaultRegion = options.defaultRegion ?? "us-east-1";
  if (!isRegion(defaultRegion))
    throw new Error(
      `defaultRegion must be an AWS region such as us-east-1, got ${JSON.stringify(defaultRegion)}`,
    );
  const clock = options.clock ?? new SystemClock();
  const scale = options.durationScale ?? 1;
  const durations = { ...DEFAULT_DURATIONS, ...options.durations };
  let faults = new Faults(options.faults);
  const warn = options.log ?? ((line: string) => console.error(line));
  const log = options.quiet === false ? warn : () => undefined;

  const disk = options.dataDir ? new DiskStore(options.dataDir) : undefined;
  // No writes while loading (the state is being rebuilt) or after close (the dir may be gone).
  let loading = true;
  let closed = false;
  const persist = () => {
    if (!disk || loading || closed) return;
    disk.save({ version: 1, resources: controlPlane.snapshot(), buckets: s3.snapshot() });
  };
  const controlPlane = createControlPlane({
    clock,
    accountId,
    durationOf: (kind) => durations[kind] * scale,
    failureFor: (name, kind) => faults.failureFor(name, kind === "datasetImportJob"),
    changed: persist,
  });
  const s3 = new S3Store(() => clock.now(), persist, disk);
  const state = disk?.load();
  if (state) s3.load(state.buckets);
  disk?.sweep(s3.blobs());
  // Loaded only when used: the data plane pulls in the CSV validator and the trainers.
  const factory =
    options.dataPlane ?? (require("./data") as typeof import("./data")).createDataPlane;
  const dataPlane = factory({
    objects: s3,
    view: controlPlaneView(controlPlane),
    dataDir: options.dataDir,
    log,
  });
  controlPlane.dataPlane = dataPlane;
  if (state) controlPlane.load(state.resources);
  loading = false;
  persist();

  const host = options.host ?? "127.0.0.1";
  const allowedHosts = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase()));
  if (!isLoopback(host)) allowedHosts.add(host.toLowerCase());
  const server = createFrontDoor({
    controlPlane,
    s3,
    dataPlane,
    faults: () => faults,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxObjectBytes: options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
    defaultRegion,
    accountId,
    allowedHosts,
    log: warn,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  if (!isLoopback(host))
    warn(
      `Warning: the Personalize emulator listens on ${host}, not only on loopback: anyone who can reach ${url} can read and change its resources and S3 objects (it has no authentication).`,
    );
  log(
    `Personalize emulator listening on ${url}${options.dataDir ? ` (data dir ${options.dataDir})` : " (in memory)"}`,
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    clock,
    dataPlane,
    setFaults: (next) => {
      faults = new Faults(next);
    },
    close: () =>
      (closing ??= (async () => {
        controlPlane.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await dataPlane.close?.();
        persist();
        closed = true;
        log("Personalize emulator stopped");
      })()),
  };
}
