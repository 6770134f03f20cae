/**
 * The whole offline deploy (`OfflineEngine.up` of index.ts, as `npm start` runs it) against
 * the emulator's own work on the critical path, measured in the same run: the configured
 * lifecycle durations of the chain dataset group -> dataset -> import job -> solution version
 * -> campaign (the solution runs beside the dataset and import), with the import and training
 * times the data plane actually took. The ratio is what the engine, the providers' polling
 * and the program itself add on top of work the service must do anyway; it is also split at
 * the deploy's first Personalize call, since what comes before it (loading the program,
 * checks, the bucket) waits on no Personalize lifecycle. Also reports how many Describe calls
 * the providers made per resource while waiting, a preview's time, and what running the providers in the SDK's
 * real dynamic-provider host (a child process over gRPC, as under the CLI) costs against
 * loading them in the engine's own process, both deployed in this run.
 */
import { resolve } from "path";
import { DEFAULT_DURATIONS, PENDING_SHARE, startEmulator } from "../emulator";
import { createDataPlane } from "../emulator/data";
import type { DataPlaneFactory } from "../emulator/dataplane";
import { describesByKind, startApiRecorder } from "../offline/api-recorder";
import { readStack, stackEngine } from "../offline/stack-config";
import type { BenchReport } from "./index";

const ROOT = resolve(__dirname, "..");
/** The emulator's default, as `npm start` uses it. */
const DURATION_SCALE = 1;

export async function run(): Promise<BenchReport> {
  // The data plane's import and training, timed through the emulator's own seam.
  const work = { importMs: 0, trainMs: 0 };
  const timed =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>, into: keyof typeof work) =>
    async (...args: A): Promise<R> => {
      const started = performance.now();
      try {
        return await fn(...args);
      } finally {
        work[into] += performance.now() - started;
      }
    };
  const timedDataPlane: DataPlaneFactory = (deps) => {
    const plane = createDataPlane(deps);
    plane.importData = timed(plane.importData.bind(plane), "importMs");
    plane.train = timed(plane.train.bind(plane), "trainMs");
    return plane;
  };

  const emulator = await startEmulator({
    port: 0,
    durationScale: DURATION_SCALE,
    dataPlane: timedDataPlane,
  });
  // When the measured deploy made its first Personalize call.
  let firstCallAt: number | undefined;
  const recorder = await startApiRecorder(emulator.url, {
    onCall: (call) => {
      if (call.service === "personalize") firstCallAt ??= performance.now();
    },
  });
  try {
    // The same deploy with the providers loaded in this process, first (it also warms the
    // program's modules up, in favour of the real host's deploy that follows).
    const inProcess = stackEngine(readStack(ROOT, "local"), recorder.url, { host: "in-process" });
    let started = performance.now();
    await inProcess.up();
    const inProcessMs = performance.now() - started;
    await inProcess.destroy();
    work.importMs = 0;
    work.trainMs = 0;
    recorder.reset();

    // A preview as a pull request runs it: fresh engines (each starting its host), the
    // program's modules warm; the median of three.
    const previews: number[] = [];
    for (let i = 0; i < 3; i++) {
      const previewing = stackEngine(readStack(ROOT, "local"), recorder.url);
      started = performance.now();
      await previewing.preview();
      previews.push(performance.now() - started);
    }
    const previewMs = previews.sort((a, b) => a - b)[1];
    recorder.reset();

    const engine = stackEngine(readStack(ROOT, "local"), recorder.url);
    firstCallAt = undefined;
    started = performance.now();
    await engine.up();
    const deployMs = performance.now() - started;
    const beforeServiceMs = (firstCallAt ?? started) - started;
    const upCalls = [...recorder.calls];
    const personalizeResources = engine
      .resources()
      // The quality gate has the same token prefix, but no service resource to describe.
      .filter(
        (r) =>
          r.type.startsWith("pulumi-nodejs:dynamic/personalize:") &&
          !r.type.endsWith(":QualityGate"),
      ).length;

    recorder.reset();
    started = performance.now();
    await engine.up();
    const noopMs = performance.now() - started;
    const noopWrites = recorder.writes().length;

    started = performance.now();
    await engine.destroy();
    const destroyMs = performance.now() - started;

    const d = (kind: keyof typeof DEFAULT_DURATIONS) => DEFAULT_DURATIONS[kind] * DURATION_SCALE;
    const withWork = (duration: number, workMs: number) =>
      Math.max(duration, duration * PENDING_SHARE + workMs);
    const importMs = withWork(d("datasetImportJob"), work.importMs);
    const versionMs = withWork(d("solutionVersion"), work.trainMs);
    const floorMs =
      d("datasetGroup") +
      Math.max(d("dataset") + importMs, d("solution")) +
      versionMs +
      d("campaign");

    const describes = describesByKind(upCalls);
    const describeTotal = Object.values(describes).reduce((a, b) => a + b, 0);
    const perResource = describeTotal / personalizeResources;
    const ratio = deployMs / floorMs;
    const serviceRatio = (deployMs - beforeServiceMs) / floorMs;
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    return {
      name: "offline deploy (npm start's engine) vs the emulator's critical path",
      lines: [
        `deploy (engine.up of index.ts): ${s(deployMs)}`,
        `emulator critical path:         ${s(floorMs)} (lifecycles at scale ${DURATION_SCALE}, import ${s(work.importMs)}, training ${s(work.trainMs)})`,
        `ratio deploy / critical path:   ${ratio.toFixed(2)}x`,
        `  of which before the first Personalize call: ${s(beforeServiceMs)}; from it to the end ${s(deployMs - beforeServiceMs)} = ${serviceRatio.toFixed(2)}x the critical path`,
        `Describe calls during up:       ${describeTotal} for ${personalizeResources} Personalize resources = ${perResource.toFixed(1)} per resource`,
        `  by kind: ${Object.entries(describes)
          .map(([k, n]) => `${k} ${n}`)
          .join(", ")}`,
        `preview (engine.preview, real host, median of 3): ${s(previewMs)}`,
        `no-change up: ${s(noopMs)}, ${noopWrites} API writes; destroy: ${s(destroyMs)}`,
        `providers in the real host:     ${s(deployMs)} against ${s(inProcessMs)} loaded in process: ${deployMs >= inProcessMs ? "+" : "-"}${s(Math.abs(deployMs - inProcessMs))} (${(deployMs / inProcessMs).toFixed(2)}x)`,
      ],
      json: {
        deploySeconds: deployMs / 1000,
        criticalPathSeconds: floorMs / 1000,
        ratio,
        beforeServiceSeconds: beforeServiceMs / 1000,
        serviceRatio,
        importSeconds: work.importMs / 1000,
        trainingSeconds: work.trainMs / 1000,
        durationScale: DURATION_SCALE,
        describeCalls: describes,
        describeCallsPerResource: perResource,
        previewSeconds: previewMs / 1000,
        noopUpSeconds: noopMs / 1000,
        noopUpWrites: noopWrites,
        destroySeconds: destroyMs / 1000,
        inProcessDeploySeconds: inProcessMs / 1000,
        hostOverheadSeconds: (deployMs - inProcessMs) / 1000,
      },
    };
  } finally {
    await recorder.close();
    await emulator.close();
  }
}
