/**
 * A Pulumi plugin process as the CLI runs one: started in its own process group, it prints the
 * port of its gRPC server as the first line of stdout, and when the engine is done with it, it
 * gets SIGINT, then SIGKILL for its whole group if it has not exited 5 s later
 * (pulumi/pulumi sdk/go/common/resource/plugin/plugin.go reads the port and kills plugins the
 * same way). Anything else it prints is kept, for error messages, and passed on line by line.
 */
import { ChildProcess, spawn } from "child_process";

/** How much of a plugin's output is kept for error messages. */
const OUTPUT_TAIL = 16 * 1024;

export interface PluginCommand {
  /** Names the plugin in errors, e.g. `policy pack policy/`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Each line the plugin prints after its port (a dynamic provider's own logging). */
  readonly onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

export interface PluginProcess {
  /** The port the plugin's gRPC server listens on, on 127.0.0.1. */
  readonly port: number;
  readonly pid: number;
  /** The last lines the plugin printed after its port, stdout and stderr interleaved. */
  output(): string;
  /** Why the plugin stopped, once it has; undefined while it runs. */
  exitReason(): string | undefined;
  /**
   * Stops the plugin and waits for it to exit: SIGINT to its process group, SIGKILL after
   * `graceMs` (default 5000, the CLI's; 0 kills at once). Idempotent.
   */
  kill(graceMs?: number): Promise<void>;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/**
 * Starts a plugin and resolves once it has printed its port. A plugin that exits, fails to start
 * or prints something else first is an error naming it, with what it printed.
 */
export function startPlugin(plugin: PluginCommand): Promise<PluginProcess> {
  const child: ChildProcess = spawn(plugin.command, [...plugin.args], {
    cwd: plugin.cwd,
    env: plugin.env,
    // Its own process group, so that kill() reaches whatever the plugin starts in turn.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  let stdout = "";
  const partial = { stdout: "", stderr: "" };
  const lines = (stream: "stdout" | "stderr", text: string) => {
    if (!plugin.onLine) return;
    const all = (partial[stream] + text).split("\n");
    partial[stream] = all.pop() ?? "";
    for (const line of all) plugin.onLine(line, stream);
  };
  let port: number | undefined;
  let exit: string | undefined;
  const keep = (text: string) => {
    tail = (tail + text).slice(-OUTPUT_TAIL);
  };
  const signal = (sig: NodeJS.Signals) => {
    if (exit === undefined && child.pid !== undefined) {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    }
  };
  // If this process ends without kill(), the plugin must not outlive it.
  const killOnExit = () => signal("SIGKILL");
  process.on("exit", killOnExit);
  const exited = new Promise<void>((resolve) => {
    child.on("close", (code, signal) => {
      exit = describeExit(code, signal);
      process.removeListener("exit", killOnExit);
      resolve();
    });
  });

  return new Promise<PluginProcess>((resolve, reject) => {
    // Nothing is left running when the start fails: the error comes once the plugin is gone.
    const fail = (why: string) => {
      killOnExit();
      void exited.then(() => {
        const printed = tail.trim() === "" ? "" : `; it printed:\n${tail.trim()}`;
        reject(new Error(`${plugin.name} ${why}${printed}`));
      });
    };
    child.on("error", (err) => fail(`could not be started (${plugin.command}): ${err.message}`));
    child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      keep(text);
      lines("stderr", text);
    });
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      if (port !== undefined) {
        lines("stdout", text);
        return keep(text);
      }
      stdout += text;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      const line = stdout.slice(0, newline).trim();
      keep(stdout.slice(newline + 1));
      lines("stdout", stdout.slice(newline + 1));
      const value = Number(line);
      if (!/^\d+$/.test(line) || value < 1 || value > 65535) {
        return fail(`printed ${JSON.stringify(line)} where its gRPC port was expected`);
      }
      port = value;
      resolve({
        port,
        pid: child.pid!,
        output: () => tail,
        exitReason: () => exit,
        kill: async (graceMs = 5000) => {
          if (graceMs > 0) {
            signal("SIGINT");
            const timer = setTimeout(killOnExit, graceMs);
            await exited;
            clearTimeout(timer);
          } else {
            killOnExit();
            await exited;
          }
        },
      });
    });
    void exited.then(() => {
      if (port === undefined) fail(`${exit} before printing its gRPC port`);
    });
  });
}
