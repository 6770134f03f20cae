/**
 * The program's own type-check, kept between runs: what `pulumi preview` and `pulumi up` check
 * before the program builds the stack (README, "Type-checking: where it happens").
 *
 * Left to the SDK's `cmd/run`, ts-node would type-check every module the program loads, with a
 * fresh compiler in every run: 2 to 3 times the program's transpile-only load, on every
 * preview. The tsconfig the language host reads (`tsconfig.program.json`, named in Pulumi.yaml)
 * sets `noCheck`, so ts-node only transpiles, and the program checks itself here: one
 * incremental TypeScript program over that tsconfig's `files` and the modules the program
 * requires without importing them, whose state (a .tsbuildinfo) and a record of the files it
 * depends on (path, size, mtime, hash) are kept in a cache directory, one per set of root files.
 * - A run whose files all match the record checks nothing.
 * - A run after an edit re-checks the edited files and those whose view of them changed.
 * - Type errors stop the program before it builds the stack, naming each file and line.
 */
import * as fs from "fs";
import * as path from "path";
import { RunError } from "@pulumi/pulumi";
import { atomicWrite } from "../schemas/atomic-write";
import { sha256Hex } from "./hash";

/** A diagnostic, as far as this module looks into one. */
interface Diagnostic {
  category: number;
  messageText: unknown;
}
type Diagnostics = readonly Diagnostic[];
type CompilerOptions = Record<string, unknown>;

/**
 * The part of the TypeScript compiler API this module calls, typed here rather than imported:
 * the program's check reaches this module, and `typescript.d.ts` (588 KB) would be parsed by
 * every check. `npm test`'s `tsc` holds the package to it (tests/program/typecheck.test.ts).
 */
export interface TypeScriptApi {
  version: string;
  sys: { readFile(path: string): string | undefined };
  DiagnosticCategory: { Error: number };
  readConfigFile(
    file: string,
    read: (path: string) => string | undefined,
  ): { config?: { compilerOptions?: { noCheck?: unknown } } };
  getParsedCommandLineOfConfigFile(
    file: string,
    extend: undefined,
    host: object,
  ): { options: CompilerOptions; fileNames: string[] } | undefined;
  getConfigFileParsingDiagnostics(parsed: object): Diagnostics;
  flattenDiagnosticMessageText(text: unknown, newLine: string): string;
  formatDiagnostics(
    diagnostics: Diagnostics,
    host: {
      getCanonicalFileName(file: string): string;
      getCurrentDirectory(): string;
      getNewLine(): string;
    },
  ): string;
  createIncrementalCompilerHost(options: CompilerOptions): {
    writeFile: (file: string, text: string, byteOrderMark: boolean) => void;
  };
  createIncrementalProgram(args: {
    rootNames: readonly string[];
    options: CompilerOptions;
    host?: object;
    configFileParsingDiagnostics?: Diagnostics;
  }): {
    getConfigFileParsingDiagnostics(): Diagnostics;
    getOptionsDiagnostics(): Diagnostics;
    getGlobalDiagnostics(): Diagnostics;
    getSyntacticDiagnostics(): Diagnostics;
    getSemanticDiagnostics(): Diagnostics;
    emit(): unknown;
    getProgram(): { getSourceFiles(): readonly { fileName: string; text: string }[] };
  };
}

/** Where the check keeps its state, unless TYPECHECK_CACHE_DIR names another directory. */
export const DEFAULT_CACHE_DIR = path.join("node_modules", ".cache", "program-typecheck");
const RECORD = "files.json";
const BUILD_INFO = "program.tsbuildinfo";

/** What a passing check read: a later run whose files all match it has nothing to check. */
interface CheckRecord {
  /** The compiler's version, options and root files: another key makes the record void. */
  key: string;
  /** When the check started: an mtime this recent cannot tell two edits apart. */
  startedMs: number;
  /**
   * Every file the program read (sources, declarations, libs), and those that decide where the
   * compiler finds a package (the package.json nearest each, npm's lockfiles): path, size,
   * mtime, sha256.
   */
  files: [string, number, number, string][];
}

/**
 * How long after a check's start an mtime still may not tell an edit from the checked text:
 * filesystems keep mtimes to 1 or 2 s (as git's "racily clean" entries,
 * https://git-scm.com/docs/racy-git).
 */
const MTIME_GRANULARITY_MS = 2000;

/** npm's lockfiles: every install, `npm link` among them, rewrites the one in node_modules. */
const LOCKFILES = ["package.json", "package-lock.json", "node_modules/.package-lock.json"];

/** `skipped` (not this run's to check), `up to date` (nothing to check) or `checked`. */
export type CheckOutcome = "skipped" | "up to date" | "checked";

/**
 * The tsconfig `cmd/run` registered ts-node with, if the program is to check itself: under
 * the language host (PULUMI_NODEJS_TYPESCRIPT), unless PULUMI_NODEJS_TRANSPILE_ONLY is `true`
 * (no check wanted), with a tsconfig that sets `noCheck`. Without `noCheck`, ts-node has checked
 * every module (pulumi/pulumi sdk/nodejs/cmd/run/run.ts), under a tsconfig that turns the
 * project's transpiler off (ts-node refuses a check beside it, stack/cached-transpiler.js).
 */
function tsconfigToCheck(env: NodeJS.ProcessEnv): string | undefined {
  if (env.PULUMI_NODEJS_TYPESCRIPT !== "true" || env.PULUMI_NODEJS_TRANSPILE_ONLY === "true")
    return;
  // As run.js reads it: relative to the working directory, the project's under the host.
  const tsconfig = path.resolve(env.PULUMI_NODEJS_TSCONFIG_PATH ?? "tsconfig.json");
  const ts = require("typescript") as TypeScriptApi;
  const own = ts.readConfigFile(tsconfig, ts.sys.readFile).config?.compilerOptions;
  return own?.noCheck ? tsconfig : undefined;
}

/**
 * Whether every file of `record` is as it was: the same size, and the same mtime where that
 * mtime had settled before the check that wrote the record, or else the same bytes.
 */
function unchanged(record: CheckRecord): boolean {
  const settled = record.startedMs - MTIME_GRANULARITY_MS;
  return record.files.every(([file, size, mtimeMs, hash]) => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      return false;
    }
    if (stat.size !== size) return false;
    if (stat.mtimeMs === mtimeMs && mtimeMs < settled) return true;
    return sha256Hex(fs.readFileSync(file)) === hash;
  });
}

/** The package.json nearest each of `files` (where the compiler learnt the package's layout). */
function packageFiles(files: readonly string[]): string[] {
  const found = new Set<string>();
  const seen = new Set<string>();
  for (const file of files) {
    for (let dir = path.dirname(file); !seen.has(dir); dir = path.dirname(dir)) {
      seen.add(dir);
      const manifest = path.join(dir, "package.json");
      if (fs.existsSync(manifest)) {
        found.add(manifest);
        break;
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return [...found];
}

/** The record in `file`, if there is one of the expected shape. */
function readRecord(file: string): CheckRecord | undefined {
  let record: Partial<CheckRecord>;
  try {
    record = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<CheckRecord>;
  } catch {
    return undefined;
  }
  const valid =
    typeof record?.key === "string" &&
    typeof record.startedMs === "number" &&
    Array.isArray(record.files) &&
    record.files.every((entry) => Array.isArray(entry) && entry.length === 4);
  return valid ? (record as CheckRecord) : undefined;
}

/**
 * Type-checks the program as the tsconfig the host read describes it (its `files` and
 * `alsoRequired`, its options with `noCheck` off), unless the host has done so or was told not
 * to (see tsconfigToCheck). Throws, with every error's file, line and text, when the program
 * does not type-check.
 */
export function checkProgramTypes(
  projectDir: string,
  alsoRequired: readonly string[] = [],
  env = process.env,
): CheckOutcome {
  const tsconfig = tsconfigToCheck(env);
  if (!tsconfig) return "skipped";
  const ts = require("typescript") as TypeScriptApi;
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic: Diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  });
  if (!parsed) throw new Error(`cannot read ${tsconfig}`);
  const roots = [
    ...parsed.fileNames,
    ...alsoRequired.map((file) => path.resolve(projectDir, file)),
  ];
  // A directory per set of roots: stacks of both targets each keep theirs.
  const cacheDir = path.join(
    path.resolve(projectDir, env.TYPECHECK_CACHE_DIR || DEFAULT_CACHE_DIR),
    sha256Hex(roots.join("\n")).slice(0, 12),
  );
  const options: CompilerOptions = {
    ...parsed.options,
    noCheck: false,
    noEmit: true,
    incremental: true,
    tsBuildInfoFile: path.join(cacheDir, BUILD_INFO),
  };
  const key = sha256Hex(JSON.stringify([ts.version, options, roots]));
  const recordFile = path.join(cacheDir, RECORD);
  const record = readRecord(recordFile);
  if (record?.key === key && unchanged(record)) return "up to date";

  const startedMs = Date.now();
  // The cache is an aid, never a reason to fail: what cannot be kept costs a full check later.
  const save = (file: string, text: string) => {
    try {
      // Two programs checking at once each leave a whole file.
      fs.mkdirSync(path.dirname(file), { recursive: true });
      atomicWrite(file, Buffer.from(text));
    } catch (error) {
      process.stderr.write(`type-check cache not saved (${file}): ${(error as Error).message}\n`);
    }
  };
  const forget = (file: string) => {
    try {
      fs.rmSync(file, { force: true });
    } catch {
      // Nothing there to mislead a later run, or nothing that can be removed: a later run
      // finds no record, or a record whose files differ.
    }
  };
  const check = () => {
    // A host per attempt: it keeps what it has read.
    const host = ts.createIncrementalCompilerHost(options);
    host.writeFile = (file, text) => save(file, text);
    const program = ts.createIncrementalProgram({
      rootNames: roots,
      options,
      host,
      configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsed),
    });
    const errors = [
      ...program.getConfigFileParsingDiagnostics(),
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...program.getSyntacticDiagnostics(),
      ...program.getSemanticDiagnostics(),
    ].filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error);
    // With noEmit, this writes the .tsbuildinfo alone: the next run re-checks only what changed.
    program.emit();
    return { program, errors };
  };
  let checked: ReturnType<typeof check>;
  try {
    checked = check();
  } catch {
    // A .tsbuildinfo the compiler cannot read (damaged from outside): check without it.
    forget(path.join(cacheDir, BUILD_INFO));
    checked = check();
  }
  const { program, errors } = checked;
  if (errors.length) {
    forget(recordFile);
    const text = ts.formatDiagnostics(errors, {
      getCanonicalFileName: (file) => file,
      getCurrentDirectory: () => projectDir,
      getNewLine: () => "\n",
    });
    // A RunError: the host prints the message alone, without this function's stack.
    throw new RunError(
      `the program does not type-check (${errors.length} error${errors.length > 1 ? "s" : ""}; ` +
        `PULUMI_NODEJS_TRANSPILE_ONLY=true skips the check):\n${text.trimEnd()}`,
    );
  }
  const files: CheckRecord["files"] = [];
  const entry = (file: string, bytes: Buffer) => {
    const { size, mtimeMs } = fs.statSync(file);
    files.push([file, size, mtimeMs, sha256Hex(bytes)]);
  };
  const sources = program.getProgram().getSourceFiles();
  for (const { fileName, text } of sources) {
    const bytes = fs.readFileSync(fileName);
    // A file saved while the check ran: what was checked is not what is there, so no record
    // (the compiler's text has no byte-order mark).
    if (bytes.toString("utf8").replace(/^\uFEFF/, "") !== text) return "checked";
    entry(fileName, bytes);
  }
  const lockfiles = LOCKFILES.map((file) => path.join(projectDir, file));
  const manifests = packageFiles(sources.map(({ fileName }) => fileName));
  for (const file of new Set([...lockfiles.filter((f) => fs.existsSync(f)), ...manifests]))
    entry(file, fs.readFileSync(file));
  save(recordFile, JSON.stringify({ key, startedMs, files } satisfies CheckRecord));
  return "checked";
}
