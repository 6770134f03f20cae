/**
 * The command lines of the project's scripts (`npm start`, and `npm run` emulator, validate,
 * generate-data, bench, flaky-deploys, generate-service-model and docs), read with Node's
 * `util.parseArgs` and refused in one wording. `--flag value` and `--flag=value` are both
 * accepted; a value that starts with `-` must be written `--flag=-1`, as `util.parseArgs`
 * wants. Every problem is a {@link UsageError} naming the flag and the value, and
 * {@link runCommand} prints it the same way for every script and exits 2.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";

/** A command line the script cannot run: the message names the flag and the value. */
export class UsageError extends Error {}

/** One flag, as `util.parseArgs` declares it (`--name`; `short` is a one-letter alias). */
export interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** Repeatable: the values come as a list, in order. */
  readonly multiple?: boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The parsed flags: strings, booleans, or lists of strings for repeatable ones. */
export type FlagValues<S extends FlagSpecs> = {
  -readonly [K in keyof S]?: S[K]["type"] extends "boolean"
    ? boolean
    : S[K]["multiple"] extends true
      ? string[]
      : string;
};

export interface CommandLine<S extends FlagSpecs> {
  readonly values: FlagValues<S>;
  /** Arguments that are not flags (only when `positionals` allows them). */
  readonly positionals: string[];
}

/**
 * Parses `argv` against `flags`. `--help` (and `-h`) anywhere before `--` wins over everything
 * else and returns `"help"`, so a user who asks for help gets it even with a bad flag beside it.
 * Refused, as {@link UsageError}: an unknown flag, a string flag without a value (or whose value
 * looks like the next flag), a value given to a boolean flag, a flag given twice that is not
 * repeatable, and arguments that are not flags unless `positionals` is true.
 */
export function parseCommandLine<S extends FlagSpecs>(
  argv: readonly string[],
  flags: S,
  options: { positionals?: boolean } = {},
): CommandLine<S> | "help" {
  const end = argv.indexOf("--");
  if ((end < 0 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h")) {
    return "help";
  }
  // Not strict: the tokens are checked below, so that every script words its errors alike.
  const { tokens } = parseArgs({
    args: [...argv],
    options: flags as Record<string, FlagSpec>,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      if (!options.positionals) throw new UsageError(`unexpected argument ${quote(token.value)}`);
      positionals.push(token.value);
      continue;
    }
    const spec = flags[token.name];
    const flag = token.rawName;
    if (spec === undefined || (flag.length === 2 && spec.short !== flag[1])) {
      throw new UsageError(`unknown flag ${quote(flag)}`);
    }
    const name = `--${token.name}`;
    if (spec.type === "boolean") {
      if (token.value !== undefined) {
        throw new UsageError(`${name} takes no value, got ${quote(token.value)}`);
      }
      values[token.name] = true;
      continue;
    }
    if (token.value === undefined) throw new UsageError(`${name} needs a value`);
    // `--state --keep`: util.parseArgs took the next flag as the value.
    if (!token.inlineValue && token.value.startsWith("-")) {
      throw new UsageError(
        `${name} needs a value, got the flag ${quote(token.value)} (write ${name}=${token.value} ` +
          `for a value that starts with "-")`,
      );
    }
    if (spec.multiple) {
      values[token.name] = [...((values[token.name] as string[] | undefined) ?? []), token.value];
    } else if (token.name in values) {
      throw new UsageError(
        `${name} is given twice (${quote(String(values[token.name]))} and ${quote(token.value)})`,
      );
    } else {
      values[token.name] = token.value;
    }
  }
  return { values: values as FlagValues<S>, positionals };
}

const quote = (text: string) => JSON.stringify(text);

/**
 * A flag's value as a number, or a {@link UsageError} in the common wording:
 * `--users must be a whole number >= 0, got "1.5"`.
 */
export function numberFlag(
  flag: string,
  text: string,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const { min, max, integer = false } = range;
  const value = text.trim() === "" ? NaN : Number(text);
  const ok =
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    (min === undefined || value >= min) &&
    (max === undefined || value <= max);
  if (ok) return value;
  const kind = integer ? "a whole number" : "a number";
  const bounds =
    min !== undefined && max !== undefined
      ? ` from ${min} to ${max}`
      : min !== undefined
        ? ` >= ${min}`
        : max !== undefined
          ? ` <= ${max}`
          : "";
  throw new UsageError(`${flag} must be ${kind}${bounds}, got ${quote(text)}`);
}

/** A flag's value as an http(s) URL, or `--endpoint must be an http(s) URL, got "..."`. */
export function urlFlag(flag: string, text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.host === "") {
    throw new UsageError(`${flag} must be an http(s) URL, got ${quote(text)}`);
  }
  return text;
}

/**
 * A path the user typed, made absolute from the directory they typed it in: npm runs scripts in
 * the project directory and passes the caller's directory as INIT_CWD.
 */
export function userPath(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path);
}

/**
 * How every script reports a usage error, on stderr: `npm start: unknown flag "--x"` and a
 * pointer to the help. The exit status is 2.
 */
export function usageMessage(command: string, message: string): string {
  return `${command}: ${message}\nRun "${command} -- --help" for the flags.`;
}

/**
 * Runs a script's `main` with the common handling: a {@link UsageError} is printed with
 * {@link usageMessage} and exits 2; `main`'s number is the exit status; any other error is
 * printed as `command: message` and exits 1. `--help` is the script's to print (it gets
 * `"help"` from {@link parseCommandLine}).
 */
export function runCommand(command: string, main: () => number | Promise<number>): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err: unknown) => {
        if (err instanceof UsageError) {
          console.error(usageMessage(command, err.message));
          process.exitCode = 2;
          return;
        }
        console.error(`${command}: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
      },
    );
}
