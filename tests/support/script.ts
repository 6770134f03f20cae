// The project's scripts as npm runs them, for the tests that need the real process: ts-node
// (transpile-only) on the script's file, in the project directory, with INIT_CWD where npm was
// run, to the end, without blocking this process.
import { execFile } from "child_process";
import { resolve } from "path";

export const ROOT = resolve(__dirname, "../..");
/** The `node` arguments before a script's file: its npm script's `ts-node --transpile-only`. */
export const TS_NODE = ["-r", "ts-node/register/transpile-only"];
/** Relative paths in the arguments are the project's, as when npm runs from there. */
export const ENV = {
  ...process.env,
  INIT_CWD: ROOT,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in the project directory to its end; `initCwd` is where npm was run. */
export function run(
  command: string,
  args: string[],
  options: { initCwd?: string } = {},
): Promise<Finished> {
  const env = options.initCwd === undefined ? ENV : { ...ENV, INIT_CWD: options.initCwd };
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `npm run SCRIPT -- ARGS` as the script `file` (relative to the project). */
export function runScript(
  file: string,
  args: string[],
  options: { initCwd?: string } = {},
): Promise<Finished> {
  return run(process.execPath, [...TS_NODE, file, ...args], options);
}
