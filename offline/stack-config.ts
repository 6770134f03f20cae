/**
 * Reads a stack's config the way the Pulumi CLI assembles it for a program: the project's
 * `config:` defaults from Pulumi.yaml, then the stack file's values on top. Keys without a
 * namespace belong to the project. Values become strings, as the engine hands them over
 * (numbers and booleans as text, objects and lists as JSON). `secure:` values cannot be
 * decrypted without the CLI, so they fail with the key's name.
 */
import { existsSync, readFileSync } from "fs";
import { join, resolve } from "path";
import { load } from "js-yaml";
import { ConfigGetter, parseStackConfig, StackConfig } from "../stack/config";
import { OfflineEngine, OfflineEngineOptions } from "./engine";

export interface StackFiles {
  /** The project name from Pulumi.yaml. */
  project: string;
  /** The program's entry point, relative to the project directory. */
  main: string;
  /** Namespaced keys (`project:key`, `aws:region`) to string values. */
  config: Record<string, string>;
}

/** A YAML file's top-level mapping (empty for an empty file); errors name the file. */
export function readYaml(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = load(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === undefined || parsed === null) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${file} must hold a YAML mapping, not ${JSON.stringify(parsed)}`);
  }
  return parsed as Record<string, unknown>;
}

function asText(file: string, key: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value !== null && typeof value === "object" && "secure" in value) {
    throw new Error(
      `${file}: config "${key}" is a secret (secure:), which only the Pulumi CLI can decrypt; set it in plain text for offline runs`,
    );
  }
  return JSON.stringify(value);
}

export function loadStackConfig(projectDir: string, stack: string): StackFiles {
  const projectFile = join(projectDir, "Pulumi.yaml");
  if (!existsSync(projectFile)) throw new Error(`no Pulumi.yaml in ${projectDir}`);
  const project = readYaml(projectFile);
  if (typeof project.name !== "string" || project.name === "") {
    throw new Error(
      `${projectFile}: "name" must be a non-empty string, not ${JSON.stringify(project.name)}`,
    );
  }
  const name = project.name;
  const qualify = (key: string) => (key.includes(":") ? key : `${name}:${key}`);
  const config: Record<string, string> = {};

  for (const [key, spec] of Object.entries((project.config ?? {}) as Record<string, unknown>)) {
    // Project config is either a typed declaration ({type, default, ...}) or a plain value;
    // a declaration without a default sets nothing.
    if (spec !== null && typeof spec === "object" && !Array.isArray(spec)) {
      if ("default" in spec) config[qualify(key)] = asText(projectFile, key, spec.default);
    } else {
      config[qualify(key)] = asText(projectFile, key, spec);
    }
  }

  const stackFile = join(projectDir, `Pulumi.${stack}.yaml`);
  if (!existsSync(stackFile))
    throw new Error(`no stack file Pulumi.${stack}.yaml in ${projectDir}`);
  const stackConfig = (readYaml(stackFile).config ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(stackConfig)) {
    config[qualify(key)] = asText(stackFile, key, value);
  }
  return {
    project: name,
    main: typeof project.main === "string" ? project.main : "index.ts",
    config,
  };
}

/**
 * Reads config as `pulumi.Config` does for this project: an unqualified key is the project's,
 * `aws:region` is the AWS provider's.
 */
export function configGetter(files: StackFiles): ConfigGetter {
  return (key) => files.config[key.includes(":") ? key : `${files.project}:${key}`];
}

/** One stack of a project: its files, and its config as the program will parse it. */
export interface Stack extends StackFiles {
  projectDir: string;
  stack: string;
  /** Validated, defaults filled, as the program's `readStackConfig` does. */
  parsed: StackConfig;
}

/**
 * Reads a stack; config the program would refuse fails here, naming the key and value.
 * `overrides` go on top of the files, as `pulumi up --config key=value` does (a key without a
 * namespace is the project's); they are not saved.
 */
export function readStack(
  projectDir: string,
  stack: string,
  overrides: Record<string, string> = {},
): Stack {
  const files = loadStackConfig(projectDir, stack);
  for (const [key, value] of Object.entries(overrides)) {
    files.config[key.includes(":") ? key : `${files.project}:${key}`] = value;
  }
  return { ...files, projectDir, stack, parsed: parseStackConfig(configGetter(files), stack) };
}

/**
 * An offline engine running the stack's program with its config, the project's `endpoint`
 * key pointed at `endpoint` (the emulator, or a recorder in front of it) when one is given.
 */
export function stackEngine(
  stack: Stack,
  endpoint: string | undefined,
  options: Pick<
    OfflineEngineOptions,
    "stateFile" | "onEvent" | "onLog" | "host" | "policyPacks" | "onPolicyViolation"
  > = {},
): OfflineEngine {
  return new OfflineEngine({
    program: resolve(stack.projectDir, stack.main),
    project: stack.project,
    stack: stack.stack,
    config: {
      ...stack.config,
      ...(endpoint === undefined ? {} : { [`${stack.project}:endpoint`]: endpoint }),
    },
    ...options,
  });
}
