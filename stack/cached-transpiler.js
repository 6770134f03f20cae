/*
 * The transpiler ts-node uses for every TypeScript module of the project, named in tsconfig.json
 * (`"ts-node": { "transpiler": ... }`, https://typestrong.org/ts-node/docs/transpilers) and, through
 * `extends`, in tsconfig.program.json: under `pulumi preview` and `pulumi up`, `npm start`, mocha,
 * the bench and the scripts. TypeScript's own `transpileModule`, as ts-node's default, with each
 * module's output kept between runs.
 *
 * Transpiling is most of a transpile-only load: a fresh process runs TypeScript's emitter cold
 * for every module it loads, about 1.3 s of CPU for the local stack's program
 * (`npm run bench -- --only program-load`), and the offline engine transpiles the program again
 * for every deploy. Here a module whose text, compiler options, file name and TypeScript version
 * are those of the run before gets that run's JavaScript and source map back from a file, and
 * TypeScript transpiles only what changed.
 * - One file per module (and per set of options), holding the SHA-256 of the source it was made
 *   from: an edit replaces the file, so the cache never grows past the modules there are.
 * - Output with diagnostics (a syntax error) is never kept: ts-node reports them every run.
 * - A cache file that cannot be read or is damaged costs a transpile; one that cannot be written
 *   is reported once, and the module loads all the same.
 *
 * Plain JavaScript: ts-node requires its transpiler before it can compile TypeScript.
 * ts-node accepts a custom transpiler only when it transpiles without checking: a run that has
 * ts-node check (PULUMI_NODEJS_TRANSPILE_ONLY=false, or ts-node without --transpile-only) is
 * refused, unless its tsconfig sets `"ts-node": { "transpiler": null }`. The program checks its
 * own types instead (stack/typecheck.ts, README "Type-checking: where it happens").
 */
/* global require, process, __dirname, exports */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

/** Where the outputs are kept, unless TRANSPILE_CACHE_DIR names another directory. */
const DEFAULT_CACHE_DIR = path.join("node_modules", ".cache", "ts-transpile");
/** The layout of a cache file: another one makes every file a miss. */
const FORMAT = 1;
const PROJECT_DIR = path.resolve(__dirname, "..");

const sha256 = (text) => crypto.createHash("sha256").update(text).digest("hex");

/** ts-node's TranspilerModule `create` (ts-node/dist/transpilers/types.d.ts). */
exports.create = function create({ service, nodeModuleEmitKind }) {
  // The compiler ts-node uses: the one named (cmd/run names one), else the project's.
  const compiler = service.options.compiler || "typescript";
  const ts = require(service.projectLocalResolveHelper(compiler, true));
  const compilerOptions = service.config.options;
  const cacheDir = path.resolve(PROJECT_DIR, process.env.TRANSPILE_CACHE_DIR || DEFAULT_CACHE_DIR);
  // Everything besides the text that decides the output.
  const setting = JSON.stringify([FORMAT, ts.version, compilerOptions, nodeModuleEmitKind ?? ""]);
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
    } catch (error) {
      unwritable = true;
      try {
        fs.rmSync(temp, { force: true });
      } catch {
        // No directory to have made it in.
      }
      process.stderr.write(
        `transpile cache not saved (${cacheDir}): ${error.message}; ` +
          "ts-node transpiles every module in every run\n",
      );
    }
  };

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
};
