/*
 * The process `pulumi preview` starts for the program, one per measurement of
 * bench/program-load.bench.ts: `node @pulumi/pulumi/cmd/run <flags> <entry point>`, in the
 * environment the nodejs language host gives it (set by the parent), so that the SDK's own
 * cmd/run registers ts-node (reading PULUMI_NODEJS_TRANSPILE_ONLY, PULUMI_NODEJS_TSCONFIG_PATH and
 * the tsconfig) and requires the entry point. The one difference: there is no engine, so the
 * resource monitor is the SDK's mock (`pulumi.runtime.setMocks`, `--monitor mock`).
 *
 * Plain JavaScript, run by plain node: the language host's process has no ts-node of its own.
 *
 * usage: node bench/language-host.js <cmd/run path> <cmd/run arguments>
 * Prints one JSON line when the entry point's module has been evaluated, then exits at once:
 * `loadMs`, wall time since this process started, and `cpuMs`, its CPU time (user + system).
 * The registrations still in flight then make the SDK report leaked promises and exit 1.
 */
/* global require, process, performance */
"use strict";
const fs = require("fs");
const Module = require("module");
const path = require("path");

const [runPath, ...runArgs] = process.argv.slice(2);
const pwd = runArgs[runArgs.indexOf("--pwd") + 1];
const entryPoint = path.resolve(pwd, runArgs[runArgs.length - 1]);
const fromProject = (id) => require(require.resolve(id, { paths: [pwd] }));

// run.js requires the entry point by its absolute path; its return is the moment to report.
const load = Module._load;
Module._load = function (request, ...rest) {
  const exported = load.call(this, request, ...rest);
  if (path.isAbsolute(request) && path.resolve(request) === entryPoint) {
    const cpu = process.cpuUsage();
    const report = { loadMs: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000 };
    // Synchronous: a pipe's asynchronous write would be lost to the exit.
    fs.writeSync(1, JSON.stringify(report) + "\n");
    process.exit(0);
  }
  return exported;
};

const pulumi = fromProject("@pulumi/pulumi");
pulumi.runtime
  .setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: () => ({}),
    },
    runArgs[runArgs.indexOf("--project") + 1],
    runArgs[runArgs.indexOf("--stack") + 1],
    runArgs.includes("--dry-run"),
  )
  .then(() => {
    // cmd/run's index.js reads its flags from process.argv when it is loaded, as under the host.
    process.argv = [process.argv[0], runPath, ...runArgs];
    require(runPath);
  });
