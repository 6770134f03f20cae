/**
 * `npm run emulator -- --port 4599 --data-dir .emulator`: runs the emulator until SIGINT or
 * SIGTERM, which close it cleanly (state flushed). Bad flags exit 2 naming the flag.
 */
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_OBJECT_BYTES,
  placeholderDataPlane as placeholder,
  startEmulator,
  type EmulatorOptions,
} from "./index";

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

export class UsageError extends Error {}

export type CliOptions = EmulatorOptions & { help?: boolean; placeholderDataPlane?: boolean };

/** Parses the command line into options; throws UsageError naming the bad flag or value. */
export function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { port: 4599, quiet: false };
  const faults: NonNullable<EmulatorOptions["faults"]> = {};
  const number = (
    flag: string,
    text: string | undefined,
    min: number,
    max = Infinity,
    integer = false,
  ): number => {
    const value = Number(text);
    if (
      text === undefined ||
      text === "" ||
      !Number.isFinite(value) ||
      value < min ||
      value > max ||
      (integer && !Number.isInteger(value))
    )
      throw new UsageError(
        `${flag} needs ${integer ? "an integer" : "a number"}${max < Infinity ? ` from ${min} to ${max}` : ` >= ${min}`}, got ${JSON.stringify(text ?? null)}`,
      );
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--help":
      case "-h":
        options.help = true;
        break;
      case "--host":
        options.host = value();
        break;
      case "--allow-host": {
        const name = value();
        if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name))
          throw new UsageError(`--allow-host needs a host name, got ${JSON.stringify(name)}`);
        options.allowedHosts = [...(options.allowedHosts ?? []), name];
        break;
      }
      case "--port":
        options.port = number(flag, value(), 0, 65535, true);
        break;
      case "--data-dir":
        options.dataDir = value();
        break;
      case "--account-id": {
        const id = value();
        if (!/^\d{12}$/.test(id))
          throw new UsageError(`--account-id needs 12 digits, got ${JSON.stringify(id)}`);
        options.accountId = id;
        break;
      }
      case "--duration-scale":
        options.durationScale = number(flag, value(), 0);
        break;
      case "--throttle-rate":
        faults.throttleRate = number(flag, value(), 0, 1);
        break;
      case "--error-rate":
        faults.errorRate = number(flag, value(), 0, 1);
        break;
      case "--latency-ms":
        faults.latencyMs = number(flag, value(), 0);
        break;
      case "--seed":
        faults.seed = number(flag, value(), 0, 2 ** 32, true);
        break;
      case "--fail": {
        const spec = value();
        const eq = spec.indexOf("=");
        if (eq <= 0 || eq === spec.length - 1)
          throw new UsageError(`--fail needs NAME=REASON, got ${JSON.stringify(spec)}`);
        faults.failures = { ...faults.failures, [spec.slice(0, eq)]: spec.slice(eq + 1) };
        break;
      }
      case "--max-body-bytes":
        options.maxBodyBytes = number(flag, value(), 1, Infinity, true);
        break;
      case "--max-object-bytes":
        options.maxObjectBytes = number(flag, value(), 1, Infinity, true);
        break;
      case "--quiet":
        options.quiet = true;
        break;
      case "--placeholder-data-plane":
        options.placeholderDataPlane = true;
        break;
      default:
        throw new UsageError(`unknown flag ${JSON.stringify(flag)}; see --help`);
    }
  }
  if (Object.keys(faults).length > 0) options.faults = faults;
  return options;
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`emulator: ${err.message}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(HELP);
    return;
  }
  const { quiet, placeholderDataPlane, help: _help, ...emulatorOptions } = options;
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
        console.error(`emulator: error while stopping: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`emulator: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
