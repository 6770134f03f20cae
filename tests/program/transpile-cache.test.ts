// The project's transpiler for ts-node (stack/cached-transpiler.js, named by tsconfig.json and
// inherited by tsconfig.program.json): TypeScript's output of each module, kept between runs. Run as
// the language host runs the program: the SDK's cmd/run in a fresh process registering ts-node
// from that tsconfig (bench/language-host.js), on a copy of the project that the cases edit.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { hostLaunch, loadOnce, projectCopy } from "../../bench/program-load.bench";
import { sha256Hex } from "../../stack/hash";
import { editFile, hostCompiler } from "../support/program";

const ROOT = path.resolve(__dirname, "../..");
/** Each case loads the program two or three times: about 2 to 7 s each on an idle 2-core machine. */
const LOADS_TIMEOUT_MS = 5 * 60_000;

interface Kept {
  source: string;
  outputText: string;
  sourceMapText?: string;
}

describe("the program's transpiler under the language host", function () {
  this.timeout(LOADS_TIMEOUT_MS);
  let dir: string;
  let copy: string;
  let cache: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "transpile-"));
    copy = projectCopy(dir);
  });
  beforeEach(() => {
    cache = fs.mkdtempSync(path.join(dir, "cache-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Transpile-only: the program's type-check is tests/program/typecheck.test.ts's.
  const load = (env: NodeJS.ProcessEnv = {}) =>
    loadOnce(hostLaunch("local", copy), {
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      TRANSPILE_CACHE_DIR: cache,
      ...env,
    });
  /** The cache's files, by the module each holds: what its `source` is the hash of. */
  const kept = () =>
    new Map(
      fs.readdirSync(cache).map((name) => {
        const file = path.join(cache, name);
        return [file, JSON.parse(fs.readFileSync(file, "utf8")) as Kept] as const;
      }),
    );
  const keptFor = (module: string) => {
    const hash = sha256Hex(fs.readFileSync(path.join(copy, module)));
    const found = [...kept()].filter(([, entry]) => entry.source === hash);
    assert.strictEqual(found.length, 1, `one cache file for ${module}'s text`);
    return found[0];
  };
  const edit = (file: string, before: string, after: string) => editFile(copy, file, before, after);

  it("keeps each module's output, serves it to the next run, and transpiles an edited module again", async () => {
    await load();
    const first = kept();
    // index.ts and every module it loads from the project: stack/, providers/, schemas/.
    assert.ok(first.size > 20, `${first.size} modules kept`);
    const [file, entry] = keptFor("index.ts");
    assert.match(entry.outputText, /require\("\.\/stack"\)/);
    assert.match(entry.sourceMapText ?? "", /"sources":\["[^"]*index\.ts"\]/);

    // The next run takes the output from the cache, not from TypeScript: a kept output that
    // throws is what runs.
    fs.writeFileSync(
      file,
      JSON.stringify({ ...entry, outputText: `throw new Error("served from the cache");` }),
    );
    await assert.rejects(load(), /served from the cache/);

    // An edit of the module: its text is not what the output was made from.
    const undo = edit("index.ts", "const config =", "// edited\nconst config =");
    try {
      await load();
      assert.match(keptFor("index.ts")[1].outputText, /require\("\.\/stack"\)/);
      // One file per module: the edited module's output replaced the one before.
      assert.strictEqual(kept().size, first.size);
    } finally {
      undo();
    }
  });

  it("maps an error's stack to the TypeScript source, from a kept output too", async () => {
    const marker = "planted-runtime-error";
    const undo = edit(
      "index.ts",
      "const config =",
      `throw new Error("${marker}");\nconst config =`,
    );
    try {
      const line =
        fs
          .readFileSync(path.join(copy, "index.ts"), "utf8")
          .split("\n")
          .findIndex((text) => text.includes(marker)) + 1;
      const at = new RegExp(`${marker}[^]*index\\.ts:${line}:`);
      // Transpiled, then served from the cache.
      await assert.rejects(load(), at);
      keptFor("index.ts");
      await assert.rejects(load(), at);
    } finally {
      undo();
    }
  });

  it("never keeps output with a syntax error: ts-node reports it on every run", async () => {
    const undo = edit("stack/arns.ts", "\nexport ", "\nexport const = 1;\nexport ");
    try {
      for (let run = 0; run < 2; run++) {
        await assert.rejects(load(), /stack\/arns\.ts\(\d+,\d+\): error TS1\d+/);
      }
      const hash = sha256Hex(fs.readFileSync(path.join(copy, "stack/arns.ts")));
      assert.ok(![...kept().values()].some((entry) => entry.source === hash));
    } finally {
      undo();
    }
  });

  it("removes files left unwritten for 30 days, and temporary files a killed process left", async () => {
    const DAY = 24 * 3600 * 1000;
    const aged = (name: string, ageMs: number) => {
      const file = path.join(cache, name);
      fs.writeFileSync(file, "{}");
      const at = new Date(Date.now() - ageMs);
      fs.utimesSync(file, at, at);
      return file;
    };
    const gone = aged("0123456789abcdef0123456789abcdef.json", 31 * DAY);
    const recent = aged("fedcba9876543210fedcba9876543210.json", 29 * DAY);
    const killed = aged("0123456789abcdef0123456789abcdef.json.123.abcd.tmp", 2 * 3600 * 1000);
    const writing = aged("fedcba9876543210fedcba9876543210.json.456.ef01.tmp", 60 * 1000);
    // A run that writes (this cache is new) sweeps it.
    await load();
    assert.ok(!fs.existsSync(gone), "a file unwritten for 31 days is removed");
    assert.ok(!fs.existsSync(killed), "a temporary file of 2 hours is removed");
    assert.ok(fs.existsSync(recent), "a file of 29 days stays");
    assert.ok(fs.existsSync(writing), "a temporary file of a minute stays");
  });

  it("loads with a cache it cannot write, or one damaged", async () => {
    // A regular file where the cache directory should be: nothing can be kept.
    const blocked = path.join(dir, "blocked");
    fs.writeFileSync(blocked, "");
    await load({ TRANSPILE_CACHE_DIR: blocked });

    await load();
    const [file, entry] = keptFor("index.ts");
    for (const damaged of ["{ not json", JSON.stringify({ ...entry, outputText: 3 }), "null"]) {
      fs.writeFileSync(file, damaged);
      await load();
      // Transpiled again, and kept whole.
      assert.deepStrictEqual(keptFor("index.ts"), [file, entry]);
    }
  });
});

describe("the program's transpiler", () => {
  it("emits what ts-node's own transpiler emits, for every module of the project", function () {
    this.timeout(LOADS_TIMEOUT_MS);
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "transpile-"));
    const previous = process.env.TRANSPILE_CACHE_DIR;
    process.env.TRANSPILE_CACHE_DIR = cache;
    try {
      // As cmd/run registers ts-node, from tsconfig.program.json, with the transpiler it
      // inherits from tsconfig.json and without (null, not undefined: ts-node lays options that
      // are not undefined over the tsconfig's): ts-node's own.
      const service = (transpiler: "inherited" | null) =>
        hostCompiler("true", transpiler === null ? { transpiler: null as unknown as string } : {});
      const cached = service("inherited");
      assert.match(String(cached.options.transpiler), /cached-transpiler\.js$/);
      const plain = service(null);
      assert.strictEqual(plain.options.transpiler, null);
      // Every module of the project, as mocha, npm start and the scripts load them too.
      const { fileNames } = ts.getParsedCommandLineOfConfigFile(
        path.join(ROOT, "tsconfig.json"),
        {},
        {
          ...ts.sys,
          onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)),
        },
      )!;
      const modules = fileNames.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"));
      assert.ok(modules.length > 100, `${modules.length} modules`);
      for (const file of modules) {
        const code = fs.readFileSync(file, "utf8");
        const expected = plain.compile(code, file);
        assert.strictEqual(cached.compile(code, file), expected, `${file}, transpiled`);
        assert.strictEqual(cached.compile(code, file), expected, `${file}, from the cache`);
      }
      assert.strictEqual(fs.readdirSync(cache).length, modules.length);
    } finally {
      if (previous === undefined) delete process.env.TRANSPILE_CACHE_DIR;
      else process.env.TRANSPILE_CACHE_DIR = previous;
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});
