/*
 * The transpiler ts-node uses for every TypeScript module of the project, named in tsconfig.json
 * (`"ts-node": { "transpiler": ... }`, https://typestrong.org/ts-node/docs/transpilers) and, through
 * `extends`, in tsconfig.program.json: under `pulumi preview` and `pulumi up`, `npm start`, mocha,
 * the bench and the scripts. TypeScript's own `transpileModule`, which gives what ts-node's default
 * gives under `"module": "commonjs"`, with each module's output kept between runs.
 *
 * Transpiling is most of a transpile-only load: a fresh process runs TypeScript's emitter cold
 * for every module it loads, about 1.3 s of CPU for the local stack's program (a CPU profile of
 * one load; in `npm run bench -- --only program-load`, ts-node's own transpiler takes 1.5 s more
 * than this one), and the offline engine transpiled the program again for every deploy. Here a module whose text, compiler options, file name and TypeScript version
 * are those of the run before gets that run's JavaScript and source map back from a file, and
 * TypeScript transpiles only what changed.
 * - One file per module and set of options (and TypeScript, and this file's own code), holding
 *   the SHA-256 of the source it was made from: an edit replaces the module's file. Files left
 *   unwritten for 30 days (of modules gone, of options or a TypeScript no longer used) are
 *   removed by the first process that writes after that; one still in use is made again.
 * - Output with diagnostics (a syntax error) is never kept: ts-node reports them every run.
 * - A cache file that cannot be read or is damaged costs a transpile; one that cannot be written
 *   is reported once, and the module loads all the same.
 *
 * ts-node's `transformers` option is not applied (nothing in the project sets it).
 *
 * Plain JavaScript: ts-node requires its transpiler before it can compile TypeScript.
 * ts-node accepts a custom transpiler only when it transpiles without checking: a run that has
 * ts-node check (PULUMI_NODEJS_TRANSPILE_ONLY=false, or ts-node without --transpile-only) is
 * refused, unless its tsconfig sets `"ts-node": { "transpiler": null }`. The program checks its
 * own types instead (stack/typecheck.ts, README "Type-checking: where it happens").
 */
/* global require, process, __dirname, __filename, exports */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

/** Where the outputs are kept, unless TRANSPILE_CACHE_DIR names another directory. */
const DEFAULT_CACHE_DIR = path.join("node_modules", ".cache", "ts-transpile");
const PROJECT_DIR = path.resolve(__dirname, "..");
/** How long a cache file may go unwritten before a process that writes removes it. */
const KEEP_MS = 30 * 24 * 3600 * 1000;
/** How long a temporary file may stay: one this old was left by a process that was killed. */
const TEMP_KEEP_MS = 3600 * 1000;

const sha256 = (text) => crypto.createHash("sha256").update(text).digest("hex");
/** This file's own code: another version of it makes every kept output a miss. */
const OWN_CODE = sha256(fs.readFileSync(__filename));

/** Removes what `dir` holds past its time; once per process and directory, after a write. */
const swept = new Set();
function sweep(dir) {
  if (swept.has(dir)) return;
  swept.add(dir);
  const now = Date.now();
  try {
    for (const name of fs.readdirSync(dir)) {
      const file = path.join(dir, name);
      const age = now - fs.statSync(file).mtimeMs;
      if (age > (name.endsWith(".tmp") ? TEMP_KEEP_MS : KEEP_MS)) fs.rmSync(file, { force: true });
    }
  } catch {
    // Another process sweeping too, or a file gone meanwhile: the next process sweeps again.
  }
}

/**
 * A transpiler keeping its outputs in the cache directory: `ts` (the TypeScript module at
 * `compilerPath`) with `compilerOptions`; `variant` names anything else that decides the output.
 * `transpile(input, fileName)` returns transpileModule's result, from the cache when the run
 * before made it from the same text; a result with diagnostics is never kept.
 */
function keptTranspiler({ ts, compilerPath, compilerOptions, variant = "" }) {
  const cacheDir = path.resolve(PROJECT_DIR, process.env.TRANSPILE_CACHE_DIR || DEFAULT_CACHE_DIR);
  // Everything besides the text that decides the output.
  const setting = JSON.stringify([OWN_CODE, compilerPath, ts.version, compilerOptions, variant]);
  let unwritable = false;

  /** The kept output of `fileName` for `source` (its hash), if there is one. */
  const read = (file, source) => {
    let kept;
    try {
      kept = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      return undefined; // none yet, or damaged: transpiled again and replaced
    }
    const valid =
      kept !== null &&
      typeof kept === "object" &&
      kept.source === source &&
      typeof kept.outputText === "string" &&
      (kept.sourceMapText === undefined || typeof kept.sourceMapText === "string");
    return valid ? { outputText: kept.outputText, sourceMapText: kept.sourceMapText } : undefined;
  };

  const write = (file, entry) => {
    if (unwritable) return;
    // A file of its own, then renamed over: two processes loading at once each leave a whole one.
    const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      fs.writeFileSync(temp, JSON.stringify(entry));
      fs.renameSync(temp, file);
      sweep(cacheDir);
    } catch (error) {
      unwritable = true;
      try {
        fs.rmSync(temp, { force: true });
      } catch {
        // No directory to have made it in.
      }
      process.stderr.write(
        `transpile cache not saved (${cacheDir}): ${error.message}; ` +
          "every module is transpiled in every run\n",
      );
    }
  };

  return {
    transpile(input, fileName) {
      const file = path.join(cacheDir, `${sha256(`${setting}\n${fileName}`).slice(0, 32)}.json`);
      const source = sha256(input);
      const kept = read(file, source);
      if (kept) return kept;
      const result = ts.transpileModule(input, {
        fileName,
        compilerOptions,
        reportDiagnostics: true,
      });
      if (!result.diagnostics?.length) {
        write(file, { source, outputText: result.outputText, sourceMapText: result.sourceMapText });
      }
      return result;
    },
  };
}
exports.keptTranspiler = keptTranspiler;

/** ts-node's TranspilerModule `create` (ts-node/dist/transpilers/types.d.ts). */
exports.create = function create({ service, nodeModuleEmitKind }) {
  // The compiler ts-node uses: the one named (cmd/run names one), else the project's.
  const compiler = service.options.compiler || "typescript";
  const compilerPath = service.projectLocalResolveHelper(compiler, true);
  const compilerOptions = service.config.options;
  const kept = keptTranspiler({
    ts: require(compilerPath),
    compilerPath,
    compilerOptions,
    variant: nodeModuleEmitKind ?? "",
  });
  return {
    transpile(input, { fileName }) {
      if (nodeModuleEmitKind) {
        // ts-node asks for these under module node16/nodenext only, where a module's format
        // depends on its package.json, which transpileModule does not read.
        throw new Error(
          `${fileName}: stack/cached-transpiler.js emits for "module": "commonjs", not ` +
            `${compilerOptions.module} (${nodeModuleEmitKind}); set "module": "commonjs" ` +
            'in tsconfig.json, or remove its "ts-node" transpiler',
        );
      }
      return kept.transpile(input, fileName);
    },
  };
};
