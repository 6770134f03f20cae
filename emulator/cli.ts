/**
 * `npm run emulator -- --port 4599 --data-dir .emulator`: runs the emulator until SIGINT or
 * SIGTERM, which close it cleanly (state flushed). Bad flags exit 2 naming the flag and the
 * value, as in every script of the project (`cli/args.ts`).
 */
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_OBJECT_BYTES,
  placeholderDataPlane as placeholder,
  startEmulator,
  type EmulatorOptions,
} from "./index";
import { numberFlag, parseCommandLine, runCommand, UsageError } from "../cli/args";

const HELP = `usage: npm run emulator -- [flags]

Local Amazon Personalize emulator: control plane (AWS JSON 1.1), runtime/events paths and an
S3 subset (path-style) on one port. Point clients at the printed URL.

  --host HOST             interface to bind (default 127.0.0.1; any other is warned about:
                          the emulator has no authentication)
  --allow-host NAME       also serve requests addressed to host NAME (the Host header); IP
                          addresses and localhost always are, other names are refused
                          (DNS-rebinding protection); repeatable
  --port N                port, 0 = any free port (default 4599)
  --data-dir DIR          keep resources and S3 objects in DIR across restarts (default: in memory)
  --account-id ID         12-digit account id in ARNs (default 000000000000)
  --duration-scale X      multiply every lifecycle duration; 0 = as fast as possible (default 1,
                          about 15 s for dataset group .. campaign)
  --throttle-rate R       fraction 0..1 of control-plane calls answered ThrottlingException (400)
  --error-rate R          fraction 0..1 of control-plane calls answered InternalFailure (500)
  --latency-ms N          milliseconds added to every control-plane call
  --fail NAME=REASON      resource NAME ends CREATE FAILED with REASON; an import job also
                          matches by the jobName prefix before a "-"; repeatable
  --seed N                seed for the throttle/error draws (default 1)
  --max-body-bytes N      largest API request body (default ${DEFAULT_MAX_BODY_BYTES}, 16 MiB)
  --max-object-bytes N    largest S3 object (default ${DEFAULT_MAX_OBJECT_BYTES}, 512 MiB)
  --placeholder-data-plane
                          do not read imported data or train: import jobs and solution
                          versions succeed without reading data, runtime calls are refused
                          (default: the emulator's data plane from emulator/data)
  --quiet                 print only the URL line (and warnings)
  --help                  show this help

The region comes from each request's SigV4 scope (unsigned requests: us-east-1); a region
does not see another's resources.`;

const FLAGS = {
  host: { type: "string" },
  "allow-host": { type: "string", multiple: true },
  port: { type: "string" },
  "data-dir": { type: "string" },
  "account-id": { type: "string" },
  "duration-scale": { type: "string" },
  "throttle-rate": { type: "string" },
  "error-rate": { type: "string" },
  "latency-ms": { type: "string" },
  fail: { type: "string", multiple: true },
  seed: { type: "string" },
  "max-body-bytes": { type: "string" },
  "max-object-bytes": { type: "string" },
  "placeholder-data-plane": { type: "boolean" },
  quiet: { type: "boolean" },
} as const;

export type CliOptions = EmulatorOptions & { placeholderDataPlane?: boolean };

/**
 * The command line as emulator options (`cli/args.ts` reads it: `--flag value` or
 * `--flag=value`); `"help"` for `--help`. Throws a UsageError naming the bad flag or value.
 */
export function parseEmulatorArgs(argv: string[]): CliOptions | "help" {
  const parsed = parseCommandLine(argv, FLAGS);
  if (parsed === "help") return "help";
  const { values } = parsed;
  const options: CliOptions = { port: 4599, quiet: values.quiet ?? false };
  const faults: NonNullable<EmulatorOptions["faults"]> = {};
  const whole = { integer: true };
  if (values.host !== undefined) options.host = values.host;
  for (const name of values["allow-host"] ?? []) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name))
      throw new UsageError(`--allow-host needs a host name, got ${JSON.stringify(name)}`);
    options.allowedHosts = [...(options.allowedHosts ?? []), name];
  }
  if (values.port !== undefined)
    options.port = numberFlag("--port", values.port, { ...whole, min: 0, max: 65535 });
  if (values["data-dir"] !== undefined) options.dataDir = values["data-dir"];
  const id = values["account-id"];
  if (id !== undefined) {
    if (!/^\d{12}$/.test(id))
      throw new UsageError(`--account-id needs 12 digits, got ${JSON.stringify(id)}`);
    options.accountId = id;
  }
  const scale = values["duration-scale"];
  if (scale !== undefined)
    options.durationScale = numberFlag("--duration-scale", scale, { min: 0 });
  const rate = (flag: string, text: string) => numberFlag(flag, text, { min: 0, max: 1 });
  if (values["throttle-rate"] !== undefined)
    faults.throttleRate = rate("--throttle-rate", values["throttle-rate"]);
  if (values["error-rate"] !== undefined)
    faults.errorRate = rate("--error-rate", values["error-rate"]);
  if (values["latency-ms"] !== undefined)
    faults.latencyMs = numberFlag("--latency-ms", values["latency-ms"], { min: 0 });
  if (values.seed !== undefined)
    faults.seed = numberFlag("--seed", values.seed, { ...whole, min: 0, max: 2 ** 32 });
  for (const spec of values.fail ?? []) {
    const eq = spec.indexOf("=");
    if (eq <= 0 || eq === spec.length - 1)
      throw new UsageError(`--fail needs NAME=REASON, got ${JSON.stringify(spec)}`);
    faults.failures = { ...faults.failures, [spec.slice(0, eq)]: spec.slice(eq + 1) };
  }
  for (const [flag, key] of [
    ["max-body-bytes", "maxBodyBytes"],
    ["max-object-bytes", "maxObjectBytes"],
  ] as const) {
    const text = values[flag];
    if (text !== undefined) options[key] = numberFlag(`--${flag}`, text, { ...whole, min: 1 });
  }
  if (values["placeholder-data-plane"]) options.placeholderDataPlane = true;
  if (Object.keys(faults).length > 0) options.faults = faults;
  return options;
}

async function main(argv: string[]): Promise<number> {
  const options = parseEmulatorArgs(argv);
  if (options === "help") {
    console.log(HELP);
    return 0;
  }
  const { quiet, placeholderDataPlane, ...emulatorOptions } = options;
  const dataPlane = placeholderDataPlane ? placeholder : undefined;
  const emulator = await startEmulator({ ...emulatorOptions, dataPlane, quiet: true }).catch(
    (err: NodeJS.ErrnoException) => {
      // A data dir that cannot be created or read fails here with a bare fs error.
      if (
        emulatorOptions.dataDir !== undefined &&
        err.syscall !== undefined &&
        err.code !== "EADDRINUSE"
      )
        throw new Error(
          `--data-dir ${JSON.stringify(emulatorOptions.dataDir)} cannot be used: ${err.message}`,
        );
      throw err;
    },
  );
  console.log(emulator.url);
  if (!quiet) {
    console.error(
      `Personalize emulator listening on ${emulator.url}${options.dataDir ? ` (data dir ${options.dataDir})` : " (state in memory)"}; Ctrl-C to stop`,
    );
    console.error(`  aws --endpoint-url ${emulator.url} personalize list-dataset-groups`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => {
        if (!quiet) console.error(`Personalize emulator stopped (${signal})`);
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`npm run emulator: error while stopping: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  return 0;
}

if (require.main === module) runCommand("npm run emulator", () => main(process.argv.slice(2)));
