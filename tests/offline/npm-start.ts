// `npm start` as users run it, for the tests that need the real process: its exit status, its
// output, its signals, its state file.
import { ChildProcess, spawn } from "child_process";
import { StartReport } from "../../offline/start";
import { ENV, ROOT, run, runScript, TS_NODE } from "../support/script";
import type { Finished } from "../support/script";

export { ROOT, run };
const START = [...TS_NODE, "offline/start.ts"];

/** Runs `npm start -- ARGS` to its end (ts-node, transpile-only), without blocking this process. */
export function npmStart(args: string[]): Promise<Finished> {
  return runScript("offline/start.ts", args);
}

/** The report of a `--json` run: the last line of its stdout. */
export function reportOf(stdout: string): StartReport {
  return JSON.parse(stdout.trimEnd().split("\n").pop() ?? "") as StartReport;
}

/** An `npm start` still running (a --keep run serving its emulator), and what it printed. */
export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or 128 + signal number), once it has exited. */
  exited: Promise<number>;
  /** Resolves once `pattern` matches what it printed on `stream`; fails if it exits first. */
  printed(pattern: RegExp, stream?: "stdout" | "stderr"): Promise<string>;
}

export function startNpmStart(args: string[]): Running {
  const child = spawn(process.execPath, [...START, ...args], {
    cwd: ROOT,
    env: ENV,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  const waiting: (() => void)[] = [];
  const notify = () => waiting.splice(0).forEach((w) => w());
  child.stdout!.setEncoding("utf8").on("data", (text: string) => {
    out.stdout += text;
    notify();
  });
  child.stderr!.setEncoding("utf8").on("data", (text: string) => {
    out.stderr += text;
    notify();
  });
  let code: number | undefined;
  const exited = new Promise<number>((done) =>
    child.on("exit", (c, signal) => {
      code = c ?? 128 + (signal === "SIGINT" ? 2 : signal === "SIGKILL" ? 9 : 15);
      notify();
      done(code);
    }),
  );
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exited,
    printed: (pattern, stream = "stdout") =>
      new Promise((done, fail) => {
        const check = () => {
          const match = pattern.exec(out[stream]);
          if (match) return done(match[0]);
          if (code !== undefined) {
            return fail(
              new Error(
                `npm start exited (${code}) before printing ${pattern}:\n${out.stdout}\n${out.stderr}`,
              ),
            );
          }
          waiting.push(check);
        };
        check();
      }),
  };
}
