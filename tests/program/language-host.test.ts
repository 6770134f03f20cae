// `pulumi preview` and `pulumi up` compile the program with ts-node, registered by the SDK's
// `cmd/run` (node_modules/@pulumi/pulumi/cmd/run/run.js): it reads the tsconfig the language host
// names (PULUMI_NODEJS_TSCONFIG_PATH, else tsconfig.json) and lays that file's own
// compilerOptions over defaults of its own. These tests build ts-node's compiler the same way and
// hold it to what `npm test` type-checks. Loading the whole program that way, timed, is
// `npm run bench -- --only program-load`.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { hostCompiler, hostTsconfig } from "../support/program";

const ROOT = path.resolve(__dirname, "../..");

describe("the program under the nodejs language host", () => {
  it("compiles transpile-only (PULUMI_NODEJS_TRANSPILE_ONLY=true, or noCheck in the tsconfig)", () => {
    const program = path.join(ROOT, "index.ts");
    const js = hostCompiler("true").compile(fs.readFileSync(program, "utf8"), program);
    assert.match(js, /require\("\.\/stack"\)/);
  });

  it("transpiles by default too (noCheck): the program checks its own types, kept between runs", () => {
    // README, "Type-checking": ts-node's check would start afresh in every run; the program's
    // (stack/typecheck.ts, tests/program/typecheck.test.ts) keeps what it checked.
    const byDefault = hostCompiler(undefined);
    assert.ok(byDefault.options.transpileOnly, "ts-node only transpiles under the host");
    // Transpile-only output is the type-checked output: tsc refuses code where they differ.
    assert.strictEqual(byDefault.config.options.isolatedModules, true);
  });

  it("compiles with the options npm test type-checks the project with", () => {
    const checked = ts.getParsedCommandLineOfConfigFile(
      path.join(ROOT, "tsconfig.json"),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)) },
    )!.options;
    const host = hostCompiler(undefined).config.options;
    for (const option of [
      "target",
      "module",
      "moduleResolution",
      "strict",
      "esModuleInterop",
      "isolatedModules",
      "lib",
      "types",
    ] as const) {
      assert.deepStrictEqual(
        host[option],
        checked[option],
        `${option}: the host compiles with ${JSON.stringify(host[option])}, npm test checks ` +
          `with ${JSON.stringify(checked[option])}; state it in ${path.basename(hostTsconfig())}`,
      );
    }
  });
});
