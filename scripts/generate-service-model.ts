/**
 * `npm run generate-service-model [-- [--botocore DIR] [--check]]`: writes emulator/api/
 * personalize.ts, personalize-runtime.ts and personalize-events.ts from the official service
 * models that ship with botocore (the AWS CLI carries them): every operation's input and output
 * shapes with their constraints (required members, lengths, patterns, enums, ranges, list and
 * map sizes), the modelled errors with their HTTP status, and the wire types of every structure.
 *
 * Offline and deterministic: the same botocore gives the same bytes (no dates, shapes and
 * operations sorted by name, members in the model's order, formatted with the repository's
 * Prettier settings). `--check` writes nothing and exits 1 when a file differs from what the
 * installed botocore gives. Without `--botocore`, the botocore that `python3` imports is used.
 * A usage error (an unknown flag, no botocore to read) exits 2, worded as in every script
 * (`cli/args.ts`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parseCommandLine, runCommand, userPath, UsageError } from "../cli/args";

/** The three models, as botocore names their folders. */
const SERVICES = [
  { dir: "personalize/2018-05-22", file: "personalize.ts", constant: "PERSONALIZE" },
  {
    dir: "personalize-runtime/2018-05-22",
    file: "personalize-runtime.ts",
    constant: "PERSONALIZE_RUNTIME",
  },
  {
    dir: "personalize-events/2018-03-22",
    file: "personalize-events.ts",
    constant: "PERSONALIZE_EVENTS",
  },
] as const;

const OUT_DIR = join(__dirname, "..", "emulator", "api");

interface BotocoreMember {
  shape: string;
  jsonvalue?: boolean;
  location?: string;
}

interface BotocoreShape {
  type: string;
  members?: Record<string, BotocoreMember>;
  required?: string[];
  member?: BotocoreMember;
  key?: BotocoreMember;
  value?: BotocoreMember;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  sensitive?: boolean;
  exception?: boolean;
  error?: { httpStatusCode?: number };
}

interface BotocoreModel {
  metadata: {
    apiVersion: string;
    protocol: string;
    targetPrefix?: string;
    endpointPrefix: string;
  };
  operations: Record<
    string,
    {
      http?: { method: string; requestUri: string };
      input?: { shape: string };
      output?: { shape: string };
      errors?: { shape: string }[];
    }
  >;
  shapes: Record<string, BotocoreShape>;
}

export class GeneratorError extends Error {}

/** botocore's package folder (`given`, else the one `python3` imports) and its version. */
export function locateBotocore(given?: string): { dir: string; version: string } {
  let dir: string;
  if (given !== undefined) {
    dir = given;
  } else {
    try {
      dir = execFileSync(
        "python3",
        ["-c", "import botocore, os; print(os.path.dirname(botocore.__file__))"],
        { encoding: "utf8" },
      ).trim();
    } catch (err) {
      throw new GeneratorError(
        `could not find botocore with python3 (${(err as Error).message.split("\n")[0]}); pass --botocore DIR`,
      );
    }
  }
  const init = join(dir, "__init__.py");
  if (!existsSync(init))
    throw new GeneratorError(`${dir} is not a botocore package folder (no __init__.py)`);
  const version = /^__version__\s*=\s*['"]([^'"]+)['"]/m.exec(readFileSync(init, "utf8"))?.[1];
  if (!version) throw new GeneratorError(`${init} does not declare __version__`);
  return { dir, version };
}

function readModel(botocore: string, dir: string): BotocoreModel {
  const base = join(botocore, "data", dir, "service-2.json");
  if (existsSync(base)) return JSON.parse(readFileSync(base, "utf8")) as BotocoreModel;
  if (existsSync(`${base}.gz`))
    return JSON.parse(gunzipSync(readFileSync(`${base}.gz`)).toString("utf8")) as BotocoreModel;
  throw new GeneratorError(`${base}(.gz) does not exist: is this botocore complete?`);
}

/** Every shape an operation's input, output or errors reach, sorted by name. */
function reachableShapes(model: BotocoreModel): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    const shape = model.shapes[name];
    if (!shape) throw new GeneratorError(`shape ${name} is referenced but not defined`);
    seen.add(name);
    for (const member of Object.values(shape.members ?? {})) visit(member.shape);
    for (const ref of [shape.member, shape.key, shape.value]) if (ref) visit(ref.shape);
  };
  for (const op of Object.values(model.operations)) {
    if (op.input) visit(op.input.shape);
    if (op.output) visit(op.output.shape);
    for (const e of op.errors ?? []) visit(e.shape);
  }
  return [...seen].sort();
}

/** Fails when a pattern is not a valid JavaScript `u` regular expression once anchored. */
function checkPattern(name: string, pattern: string): void {
  try {
    new RegExp(`^(?:${pattern})$`, "u");
  } catch (err) {
    throw new GeneratorError(
      `shape ${name}: pattern ${JSON.stringify(pattern)} does not compile as a JavaScript regular expression (${(err as Error).message}); teach validate.ts its dialect`,
    );
  }
}

const literal = (value: unknown) => JSON.stringify(value);

/** One shape of the table, as a TypeScript object literal. */
function shapeEntry(name: string, shape: BotocoreShape): string {
  const parts = [`type: ${literal(shape.type)}`];
  const bound = () => {
    if (shape.min !== undefined) parts.push(`min: ${shape.min}`);
    if (shape.max !== undefined) parts.push(`max: ${shape.max}`);
  };
  switch (shape.type) {
    case "string":
      bound();
      if (shape.pattern !== undefined) {
        checkPattern(name, shape.pattern);
        parts.push(`pattern: ${literal(shape.pattern)}`);
      }
      if (shape.enum) parts.push(`enum: ${literal(shape.enum)}`);
      break;
    case "integer":
    case "long":
    case "float":
    case "double":
    case "blob":
      bound();
      break;
    case "boolean":
    case "timestamp":
      break;
    case "structure": {
      const members = Object.entries(shape.members ?? {});
      for (const [member, ref] of members)
        if (ref.location)
          throw new GeneratorError(
            `${name}.${member} is bound to the HTTP ${ref.location}; the emulator reads members from the JSON body only`,
          );
      parts.push(
        `members: { ${members.map(([member, ref]) => `${literal(member)}: ${literal(ref.shape)}`).join(", ")} }`,
      );
      if (shape.required?.length) parts.push(`required: ${literal(shape.required)}`);
      const json = members.filter(([, ref]) => ref.jsonvalue).map(([member]) => member);
      if (json.length) parts.push(`jsonValue: ${literal(json)}`);
      break;
    }
    case "list":
      parts.push(`member: ${literal(shape.member!.shape)}`);
      bound();
      break;
    case "map":
      parts.push(`key: ${literal(shape.key!.shape)}`, `value: ${literal(shape.value!.shape)}`);
      bound();
      break;
    default:
      throw new GeneratorError(
        `shape ${name} has type ${shape.type}, which validate.ts cannot check`,
      );
  }
  if (shape.sensitive) parts.push("sensitive: true");
  return `${literal(name)}: { ${parts.join(", ")} }`;
}

/** The TypeScript type of a value of `name` on the wire. */
function wireType(model: BotocoreModel, name: string): string {
  const shape = model.shapes[name];
  switch (shape.type) {
    case "string":
      return shape.enum ? shape.enum.map(literal).join(" | ") : "string";
    case "integer":
    case "long":
    case "float":
    case "double":
    case "timestamp":
      return "number";
    case "boolean":
      return "boolean";
    case "blob":
      return "string";
    case "structure":
      return name;
    case "list": {
      const member = wireType(model, shape.member!.shape);
      return member.includes("|") ? `(${member})[]` : `${member}[]`;
    }
    case "map": {
      const key = model.shapes[shape.key!.shape];
      const value = wireType(model, shape.value!.shape);
      return key.enum
        ? `Partial<Record<${wireType(model, shape.key!.shape)}, ${value}>>`
        : `Record<string, ${value}>`;
    }
    default:
      throw new GeneratorError(`shape ${name} has type ${shape.type}`);
  }
}

function wireInterface(model: BotocoreModel, name: string): string {
  const shape = model.shapes[name];
  const required = new Set(shape.required ?? []);
  const members = Object.entries(shape.members ?? {}).map(
    ([member, ref]) =>
      `  ${member}${required.has(member) ? "" : "?"}: ${wireType(model, ref.shape)};`,
  );
  if (members.length === 0) return `export type ${name} = Record<string, never>;`;
  return `export interface ${name} {\n${members.join("\n")}\n}`;
}

/** The whole generated module for one service, before formatting. */
export function generateModule(
  model: BotocoreModel,
  service: (typeof SERVICES)[number],
  botocoreVersion: string,
): string {
  const names = reachableShapes(model);
  const errorShapes = new Set(names.filter((n) => model.shapes[n].exception));
  const protocol = model.metadata.protocol;
  if (protocol !== "json" && protocol !== "rest-json")
    throw new GeneratorError(`${service.dir}: protocol ${protocol} is not served by the emulator`);
  const operations = Object.keys(model.operations)
    .sort()
    .map((op) => {
      const o = model.operations[op];
      const parts: string[] = [];
      if (o.input) parts.push(`input: ${literal(o.input.shape)}`);
      if (o.output) parts.push(`output: ${literal(o.output.shape)}`);
      const errors = (o.errors ?? []).map(
        (e) => `${e.shape}: ${model.shapes[e.shape].error?.httpStatusCode ?? 400}`,
      );
      parts.push(`errors: { ${[...new Set(errors)].join(", ")} }`);
      if (protocol === "rest-json" && o.http)
        parts.push(
          `http: { method: ${literal(o.http.method)}, uri: ${literal(o.http.requestUri)} }`,
        );
      return `${op}: { ${parts.join(", ")} }`;
    });
  const shapes = names
    .filter((n) => !errorShapes.has(n))
    .map((n) => shapeEntry(n, model.shapes[n]));
  const structures = names.filter(
    (n) => model.shapes[n].type === "structure" && !errorShapes.has(n),
  );
  const operationTypes = Object.keys(model.operations)
    .sort()
    .map((op) => {
      const o = model.operations[op];
      return `  ${op}: { input: ${o.input?.shape ?? "Record<string, never>"}; output: ${o.output?.shape ?? "void"} };`;
    });
  const metadata = [
    `service: ${literal(service.dir.split("/")[0])}`,
    `apiVersion: ${literal(model.metadata.apiVersion)}`,
    `protocol: ${literal(protocol)}`,
  ];
  if (model.metadata.targetPrefix)
    metadata.push(`targetPrefix: ${literal(model.metadata.targetPrefix)}`);
  return `// GENERATED by scripts/generate-service-model.ts from botocore ${botocoreVersion},
// data/${service.dir}/service-2.json. Do not edit; run \`npm run generate-service-model\`.
// Longer than our usual files because it is the service model itself, as data and wire types.
import type { ServiceModel } from "./shapes";

export const ${service.constant}: ServiceModel = {
  ${metadata.join(",\n  ")},
  operations: {
    ${operations.join(",\n    ")},
  },
  shapes: {
    ${shapes.join(",\n    ")},
  },
};

/** Every operation's input and output, as they travel in JSON. */
export interface Operations {
${operationTypes.join("\n")}
}

${structures.map((n) => wireInterface(model, n)).join("\n\n")}
`;
}

async function format(text: string, file: string): Promise<string> {
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}

/** The three generated files (path -> formatted text) from a botocore package folder. */
export async function generateFiles(botocore: {
  dir: string;
  version: string;
}): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const service of SERVICES) {
    const file = join(OUT_DIR, service.file);
    const module = generateModule(readModel(botocore.dir, service.dir), service, botocore.version);
    files.set(file, await format(module, file));
  }
  return files;
}

const COMMAND = "npm run generate-service-model";
const FLAGS = { check: { type: "boolean" }, botocore: { type: "string" } } as const;
const HELP = `usage: ${COMMAND} [-- [--botocore DIR] [--check]]
  --botocore DIR  botocore's package folder (default: the one python3 imports)
  --check         write nothing; exit 1 when a file differs from what botocore gives`;

async function main(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, FLAGS);
  if (line === "help") {
    console.log(HELP);
    return 0;
  }
  const { check = false, botocore: given } = line.values;
  let botocore: { dir: string; version: string };
  try {
    botocore = locateBotocore(given === undefined ? undefined : userPath(given));
  } catch (err) {
    // No botocore to read from is the command line's to fix: --botocore names one.
    if (err instanceof GeneratorError) throw new UsageError(err.message);
    throw err;
  }
  let stale = 0;
  for (const [file, text] of await generateFiles(botocore)) {
    const current = existsSync(file) ? readFileSync(file, "utf8") : undefined;
    if (current === text) continue;
    if (check) {
      console.error(
        `${file} differs from what botocore ${botocore.version} gives; run npm run generate-service-model`,
      );
      stale++;
    } else {
      writeFileSync(file, text);
      console.log(`wrote ${file} (botocore ${botocore.version})`);
    }
  }
  return stale === 0 ? 0 : 1;
}

if (require.main === module) runCommand(COMMAND, () => main(process.argv.slice(2)));
