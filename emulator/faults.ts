/**
 * Fault injection for reliability tests: a fraction of control-plane calls throttled or
 * failed with HTTP 500, added latency, named resources forced to end CREATE FAILED (the
 * latter is applied by the model at create time), and scripted answers for particular calls
 * (the next DescribeCampaign answers AccessDeniedException, say). Random draws come from a
 * seeded generator, so a test with a fixed seed sees the same sequence every run.
 */
import { ServiceError } from "./errors";
import { seededRandom } from "./random";

export interface FaultOptions {
  /** Fraction (0..1) of control-plane calls answered with ThrottlingException (HTTP 400). */
  throttleRate?: number;
  /** Fraction (0..1) of control-plane calls answered with InternalFailure (HTTP 500). */
  errorRate?: number;
  /** Milliseconds added before every control-plane answer. */
  latencyMs?: number;
  /**
   * Resource name -> the failureReason it ends CREATE FAILED with. An import job also matches
   * by the prefix of its jobName before a `-` (the providers add a suffix to each jobName).
   */
  failures?: Record<string, string>;
  /** Seed for the random draws; the same seed gives the same sequence of faults. */
  seed?: number;
  /** Errors for particular calls, in order; each is used up after `times` answers. */
  scripted?: ScriptedFault[];
}

/** One scripted error: the calls of `operation` after the first `after` fail with `code`. */
export interface ScriptedFault {
  /** The control-plane operation, as in X-Amz-Target: `DescribeCampaign`. */
  operation: string;
  /** The error code: `AccessDeniedException`, `ThrottlingException`, ... */
  code: string;
  message?: string;
  /** HTTP status; default 400 (500 for `InternalFailure` and `ServiceUnavailable`). */
  status?: number;
  /** How many calls fail; default 1. */
  times?: number;
  /** How many calls of the operation succeed first; default 0. */
  after?: number;
}

function checkRate(name: string, value: number | undefined): void {
  if (value !== undefined && !(value >= 0 && value <= 1))
    throw new Error(`${name} must be a number from 0 to 1, got ${String(value)}`);
}

export class Faults {
  private next: () => number;
  /** Per scripted fault: calls of its operation seen so far. */
  private seen: number[];

  constructor(private options: FaultOptions = {}) {
    checkRate("throttleRate", options.throttleRate);
    checkRate("errorRate", options.errorRate);
    if (options.latencyMs !== undefined && !(options.latencyMs >= 0))
      throw new Error(`latencyMs must be a non-negative number, got ${String(options.latencyMs)}`);
    this.next = seededRandom(options.seed ?? 1);
    for (const fault of options.scripted ?? []) {
      if (!fault.operation || !fault.code)
        throw new Error(
          `a scripted fault needs an operation and a code, got ${JSON.stringify(fault)}`,
        );
    }
    this.seen = (options.scripted ?? []).map(() => 0);
  }

  get latencyMs(): number {
    return this.options.latencyMs ?? 0;
  }

  /**
   * The failureReason `name` is forced to end with. With `byPrefix` (import jobs), a NAME also
   * matches every name that starts with `NAME-`; the longest such NAME wins.
   */
  failureFor(name: string, byPrefix = false): string | undefined {
    const failures = this.options.failures ?? {};
    if (Object.prototype.hasOwnProperty.call(failures, name)) return failures[name];
    if (!byPrefix) return undefined;
    let prefix: string | undefined;
    for (const key of Object.keys(failures))
      if (name.startsWith(`${key}-`) && (prefix === undefined || key.length > prefix.length))
        prefix = key;
    return prefix === undefined ? undefined : failures[prefix];
  }

  /** Throws the injected error for this call, if the draw says so. */
  draw(operation: string): void {
    const scripted = this.options.scripted ?? [];
    for (let i = 0; i < scripted.length; i++) {
      const fault = scripted[i];
      if (fault.operation !== operation) continue;
      const n = this.seen[i]++;
      const after = fault.after ?? 0;
      if (n >= after && n < after + (fault.times ?? 1)) {
        const server = fault.code === "InternalFailure" || fault.code === "ServiceUnavailable";
        throw new ServiceError(
          fault.code,
          fault.message ?? `${fault.code} (scripted for ${operation})`,
          fault.status ?? (server ? 500 : 400),
        );
      }
    }
    const throttle = this.options.throttleRate ?? 0;
    const error = this.options.errorRate ?? 0;
    if (throttle === 0 && error === 0) return;
    const x = this.next();
    if (x < throttle)
      throw new ServiceError(
        "ThrottlingException",
        `Rate exceeded (injected by --throttle-rate for ${operation})`,
        400,
      );
    if (x < throttle + error)
      throw new ServiceError(
        "InternalFailure",
        `The server encountered an internal error (injected by --error-rate for ${operation})`,
        500,
      );
  }
}
