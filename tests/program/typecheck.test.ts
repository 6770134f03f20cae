// The program's own type-check (stack/typecheck.ts), run as `pulumi preview` runs the program:
// the SDK's cmd/run in a fresh process, registering ts-node from the tsconfig Pulumi.yaml names
// (bench/language-host.js, with the SDK's mock monitor in place of the engine). Each case works
// on a copy of the project, so that it can plant type errors.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostLaunch, loadOnce, projectCopy } from "../../bench/program-load.bench";
import * as ts from "typescript";
import { checkProgramTypes, TypeScriptApi } from "../../stack/typecheck";
import { editFile } from "../support/program";

// stack/typecheck.ts types the compiler API it calls instead of importing typescript.d.ts:
// this is where `tsc` holds the package to that shape.
const typescriptFits: TypeScriptApi = ts;

const ROOT = path.resolve(__dirname, "../..");
/** A cold check of the aws stack's program takes about 12 s on an idle 2-core machine. */
const LOADS_TIMEOUT_MS = 10 * 60_000;

describe("the program's own type-check under the language host", function () {
  this.timeout(LOADS_TIMEOUT_MS);
  let copy: string;
  let cache: string;

  before(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "typecheck-"));
    copy = projectCopy(dir);
    cache = path.join(dir, "cache");
  });
  after(() => fs.rmSync(path.dirname(copy), { recursive: true, force: true }));

  const load = (stack: string, env: NodeJS.ProcessEnv = {}) =>
    loadOnce(hostLaunch(stack, copy), {
      TYPECHECK_CACHE_DIR: cache,
      TRANSPILE_CACHE_DIR: path.join(path.dirname(cache), "transpiled"),
      ...env,
    });
  const edit = (file: string, before: string, after: string) => editFile(copy, file, before, after);
  const PLANTED = "\nexport const planted: number = 'text';\n";
  /** The check's record of what it read: one, while only the local stack has run. */
  const record = () => {
    const dirs = fs.readdirSync(cache);
    assert.strictEqual(dirs.length, 1, `one set of roots, not ${dirs.join(", ")}`);
    const file = path.join(cache, dirs[0], "files.json");
    return { text: fs.readFileSync(file, "utf8"), mtimeMs: fs.statSync(file).mtimeMs };
  };

  it("stops at a type error in any module the program imports, and checks nothing when nothing changed", async () => {
    await load("local");
    assert.match(record().text, /providers\/validate\.ts/);
    // Not a root of the check: a module index.ts reaches through stack/ and providers/.
    const undo = edit("providers/validate.ts", "\nexport function", `${PLANTED}export function`);
    try {
      await runsWithThePlantedError();
    } finally {
      undo();
    }
    await load("local");
    const fixed = record();
    // Nothing changed since: the run reads the record and writes nothing.
    await load("local");
    assert.deepStrictEqual(record(), fixed);
  });

  it("reads a file again when its mtime is too recent to tell two edits apart", async () => {
    // A coarse clock (1 or 2 s on some filesystems) gives an edit soon after the check read the
    // file the same mtime; with the same size, only the bytes tell the edit apart.
    const file = path.join(copy, "providers/validate.ts");
    const soon = new Date(Date.now() + 60_000);
    fs.utimesSync(file, soon, soon);
    // No record: this run checks, and records the file with that mtime.
    fs.rmSync(path.join(cache, fs.readdirSync(cache)[0], "files.json"));
    await load("local");
    const undo = edit(
      "providers/validate.ts",
      "canonical(value: unknown): string {",
      "canonical(value: unknown): number {",
    );
    fs.utimesSync(file, soon, soon);
    try {
      await assert.rejects(load("local"), /providers\/validate\.ts\(\d+,\d+\): error TS2322/);
    } finally {
      undo();
    }
  });

  it("checks again when a package.json or npm's record of node_modules changes", async () => {
    await load("local");
    const before = record();
    for (const file of ["package.json", "node_modules/.package-lock.json"])
      assert.match(
        before.text,
        new RegExp(`${path.join(copy, file).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}"`),
      );
    // Where the compiler finds a package's declarations (types, exports) is in its package.json.
    const undo = edit("package.json", '"private": true,', '"private": true, "types": "none.d.ts",');
    try {
      await load("local");
      assert.notDeepStrictEqual(record(), before, "the run checked nothing");
    } finally {
      undo();
    }
  });

  it("never lets its cache hide the type errors: a cache it cannot write, or one damaged", async () => {
    const undo = edit("providers/validate.ts", "\nexport function", `${PLANTED}export function`);
    try {
      // A regular file where the cache directory should be: nothing can be kept.
      const blocked = path.join(path.dirname(cache), "blocked");
      fs.writeFileSync(blocked, "");
      await assert.rejects(
        load("local", { TYPECHECK_CACHE_DIR: blocked }),
        /providers\/validate\.ts\(\d+,\d+\): error TS2322/,
      );
    } finally {
      undo();
    }
    // A .tsbuildinfo of the right version and the wrong shape, and no record: a full check.
    const [dir] = fs.readdirSync(cache);
    fs.rmSync(path.join(cache, dir, "files.json"));
    fs.writeFileSync(
      path.join(cache, dir, "program.tsbuildinfo"),
      JSON.stringify({
        version: require("typescript/package.json").version,
        root: 5,
        fileNames: 3,
        fileInfos: {},
      }),
    );
    await load("local");
    // A record of the right key and the wrong shape: a full check too.
    const recordFile = path.join(cache, dir, "files.json");
    const good = JSON.parse(fs.readFileSync(recordFile, "utf8"));
    fs.writeFileSync(recordFile, JSON.stringify({ ...good, files: 3 }));
    await load("local");
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(recordFile, "utf8")).key, good.key);
    assert.ok(Array.isArray(JSON.parse(fs.readFileSync(recordFile, "utf8")).files));
  });

  /** Runs of the local stack with the error PLANTED in providers/validate.ts. */
  async function runsWithThePlantedError() {
    await assert.rejects(load("local"), (error: Error) => {
      assert.match(error.message, /the program does not type-check \(1 error;/);
      assert.match(
        error.message,
        /providers\/validate\.ts\(\d+,\d+\): error TS2322: Type 'string'/,
      );
      return true;
    });
    // PULUMI_NODEJS_TRANSPILE_ONLY=false asks ts-node to check, which it refuses with the
    // tsconfig's transpiler (stack/cached-transpiler.js): the program never runs unchecked.
    await assert.rejects(
      load("local", { PULUMI_NODEJS_TRANSPILE_ONLY: "false" }),
      /Custom transpiler can only be used when transpileOnly is enabled/,
    );
    // CI's runs skip the check: npm test's tsc has checked the commit.
    await load("local", { PULUMI_NODEJS_TRANSPILE_ONLY: "true" });
  }

  it("checks the module an aws stack requires, which no import reaches", async () => {
    const undo = edit("stack/awsDataStore.ts", "\nexport const", `${PLANTED}export const`);
    try {
      await assert.rejects(load("dev"), /stack\/awsDataStore\.ts\(\d+,\d+\): error TS2322/);
      // The local stack's program neither loads nor checks it.
      await load("local");
    } finally {
      undo();
    }
  });
});

describe("when the program checks its own types", () => {
  it("calls the compiler API of the typescript package", () => {
    assert.strictEqual(typescriptFits.version, require("typescript/package.json").version);
  });

  const host = {
    PULUMI_NODEJS_TYPESCRIPT: "true",
    PULUMI_NODEJS_TSCONFIG_PATH: "tsconfig.program.json",
  };
  for (const [why, env] of [
    ["outside the language host (tests, the offline engine)", {}],
    [
      "with PULUMI_NODEJS_TRANSPILE_ONLY=true (CI)",
      { ...host, PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
    ],
    [
      "under a tsconfig without noCheck (ts-node has checked)",
      { ...host, PULUMI_NODEJS_TSCONFIG_PATH: "tsconfig.json" },
    ],
  ] as const) {
    it(`it does not ${why}`, () => {
      assert.strictEqual(checkProgramTypes(ROOT, [], env), "skipped");
    });
  }
});
