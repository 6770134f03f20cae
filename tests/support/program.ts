// The program as the nodejs language host compiles it, and edits of a project copy: shared by
// tests/program/.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { create, type CreateOptions } from "ts-node";
import { readYaml } from "../../offline/stack-config";

const ROOT = path.resolve(__dirname, "../..");

/** The tsconfig the language host hands to `cmd/run`: the `tsconfig` runtime option, if set. */
export function hostTsconfig(): string {
  const runtime = readYaml(path.join(ROOT, "Pulumi.yaml")).runtime as {
    options?: { tsconfig?: string };
  };
  return path.resolve(ROOT, runtime.options?.tsconfig ?? "tsconfig.json");
}

/**
 * ts-node's compiler as run.js registers it (CommonJS branch, TypeScript >= 4.7): the file's own
 * `compilerOptions` (its `extends` are not read for this) over run.js's defaults, and
 * type-checking unless PULUMI_NODEJS_TRANSPILE_ONLY, or else the file's `noCheck`, says not.
 * `overrides` are laid over the options run.js passes (ts-node ignores those undefined).
 */
export function hostCompiler(
  transpileOnlyEnv: string | undefined,
  overrides: Partial<CreateOptions> = {},
) {
  const tsconfig = hostTsconfig();
  const own = ts.parseConfigFileTextToJson(tsconfig, fs.readFileSync(tsconfig, "utf8")).config
    .compilerOptions;
  const transpileOnly = transpileOnlyEnv ? transpileOnlyEnv === "true" : own.noCheck;
  return create({
    compiler: "typescript",
    transpileOnly,
    project: tsconfig,
    skipProject: false,
    compilerOptions: {
      target: "ES2020",
      module: "nodenext",
      moduleResolution: "nodenext",
      sourceMap: "true",
      ...own,
    },
    ...overrides,
  });
}

/**
 * Replaces `before` with `after` in `file` of the project (copy) at `root`; returns the undo,
 * which writes the text back as it was.
 */
export function editFile(root: string, file: string, before: string, after: string): () => void {
  const at = path.join(root, file);
  const text = fs.readFileSync(at, "utf8");
  assert.ok(text.includes(before), `${file} has no ${before}`);
  fs.writeFileSync(at, text.replace(before, after));
  return () => fs.writeFileSync(at, text);
}
