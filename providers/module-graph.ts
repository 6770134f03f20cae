/**
 * The project's modules a module requires, directly or not: what the packed providers carry
 * into the dynamic-provider host (providers/packed.ts) and what the emulator's training worker
 * loads (emulator/data/training.ts), both without a TypeScript loader of their own.
 */
import { readFileSync } from "fs";
import { dirname, join } from "path";

/** One module of a graph: its code, and the file each relative require of it names. */
export interface GraphModule {
  code: string;
  requires: Record<string, string>;
}

/**
 * The modules `entries` reach through relative requires that name their module in a literal
 * (`require("./x")`, `'../y'`, as CommonJS output has them, `import()` included), by absolute
 * path, each with its code as `codeOf` makes it from the file's text. Packages and Node's own
 * modules are left to whoever loads the graph. A relative require that resolves to nothing
 * (text in a string) is left out.
 */
export function moduleGraph(
  entries: readonly string[],
  codeOf: (file: string, text: string) => string,
): Map<string, GraphModule> {
  const graph = new Map<string, GraphModule>();
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (graph.has(file)) continue;
    const code = codeOf(file, readFileSync(file, "utf8"));
    const requires: Record<string, string> = {};
    for (const [, , spec] of code.matchAll(/require\((["'`])(\.{1,2}\/[^"'`]*)\1\)/g)) {
      let resolved: string;
      try {
        resolved = require.resolve(join(dirname(file), spec));
      } catch {
        continue;
      }
      requires[spec] = resolved;
      pending.push(resolved);
    }
    graph.set(file, { code, requires });
  }
  return graph;
}

/**
 * `from` and the modules it requires, directly or not, as this process loaded them (Node's
 * `module.children`); `follow` says whose requires to follow (all by default).
 */
export function loadedModules(
  from: NodeJS.Module,
  follow: (module: NodeJS.Module) => boolean = () => true,
): Set<NodeJS.Module> {
  const seen = new Set<NodeJS.Module>();
  const pending = [from];
  while (pending.length > 0) {
    const module = pending.pop()!;
    if (seen.has(module)) continue;
    seen.add(module);
    // Entries other loaders put in the cache may have no children.
    if (follow(module)) pending.push(...(module.children ?? []));
  }
  return seen;
}

/** How this process compiles the project's TypeScript. */
export interface ProjectCompiler {
  /** ts-node's service, when ts-node runs this process. */
  service?: import("ts-node").Service;
  ts: typeof import("typescript");
  /** The compiler's name, as ts-node was given it. */
  name: string;
  options: import("typescript").CompilerOptions;
}

/**
 * The compiler and options of the ts-node that runs this process; under another TypeScript
 * loader, TypeScript's own with tsconfig.json's target and module kind.
 */
export function projectCompiler(): ProjectCompiler {
  // Only asked for under a TypeScript loader, which has ts-node loaded already if it is one.
  const tsNode = require("ts-node") as typeof import("ts-node");
  const service = process[tsNode.REGISTER_INSTANCE];
  if (service)
    return {
      service,
      ts: service.ts as typeof import("typescript"),
      name: String(service.options.compiler ?? "typescript"),
      options: service.config.options,
    };
  const ts = require("typescript") as typeof import("typescript");
  return {
    ts,
    name: "typescript",
    options: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS },
  };
}
