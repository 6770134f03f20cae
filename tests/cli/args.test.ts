// cli/args.ts: the scripts' command lines on util.parseArgs, refused in one wording.
import { strict as assert } from "assert";
import { resolve } from "path";
import {
  numberFlag,
  parseCommandLine,
  urlFlag,
  usageMessage,
  UsageError,
  userPath,
} from "../../cli/args";

const FLAGS = {
  out: { type: "string" },
  fail: { type: "string", multiple: true },
  quiet: { type: "boolean", short: "q" },
} as const;

describe("cli/args: command lines", () => {
  it("takes --flag value and --flag=value alike, repeatable flags as a list", () => {
    assert.deepEqual(
      parseCommandLine(["--out", "a.csv", "--fail=x=1", "--fail", "y=2", "-q"], FLAGS),
      { values: { out: "a.csv", fail: ["x=1", "y=2"], quiet: true }, positionals: [] },
    );
    assert.deepEqual(parseCommandLine(["--out=-"], FLAGS), {
      values: { out: "-" },
      positionals: [],
    });
  });

  it("answers help wherever --help or -h stands, even beside a bad flag", () => {
    assert.equal(parseCommandLine(["--nope", "--help"], FLAGS), "help");
    assert.equal(parseCommandLine(["-h"], FLAGS), "help");
    assert.throws(() => parseCommandLine(["--", "--help"], FLAGS), {
      message: 'unexpected argument "--help"',
    });
  });

  it("keeps arguments that are not flags only where the command takes them", () => {
    assert.deepEqual(parseCommandLine(["data.csv", "--quiet"], FLAGS, { positionals: true }), {
      values: { quiet: true },
      positionals: ["data.csv"],
    });
  });

  const refused: [string[], string][] = [
    [["--deploy"], 'unknown flag "--deploy"'],
    [["-x"], 'unknown flag "-x"'],
    [["--out"], "--out needs a value"],
    [
      ["--out", "--quiet"],
      '--out needs a value, got the flag "--quiet" (write --out=--quiet for a value that starts with "-")',
    ],
    [["--quiet=yes"], '--quiet takes no value, got "yes"'],
    [["--out", "a", "--out=b"], '--out is given twice ("a" and "b")'],
    [["data.csv"], 'unexpected argument "data.csv"'],
  ];
  for (const [argv, message] of refused) {
    it(`refuses ${argv.join(" ")}: ${message}`, () => {
      assert.throws(
        () => parseCommandLine(argv, FLAGS),
        (err: Error) => err instanceof UsageError && err.message === message,
      );
    });
  }

  it("reads numbers within bounds, naming the flag, the bounds and the value otherwise", () => {
    assert.equal(numberFlag("--scale", "0.5", { min: 0 }), 0.5);
    assert.equal(numberFlag("--seed", "-5", { integer: true }), -5);
    const cases: [string, Parameters<typeof numberFlag>[2], string][] = [
      ["1.5", { integer: true, min: 0 }, '--n must be a whole number >= 0, got "1.5"'],
      ["-1", { min: 0 }, '--n must be a number >= 0, got "-1"'],
      ["2", { min: 0, max: 1 }, '--n must be a number from 0 to 1, got "2"'],
      ["", {}, '--n must be a number, got ""'],
      ["ten", { max: 9 }, '--n must be a number <= 9, got "ten"'],
    ];
    for (const [text, range, message] of cases) {
      assert.throws(() => numberFlag("--n", text, range), { message });
    }
  });

  it("reads http(s) URLs and refuses anything else", () => {
    assert.equal(urlFlag("--endpoint", "http://127.0.0.1:4599"), "http://127.0.0.1:4599");
    for (const text of ["ftp://host", "127.0.0.1:4599", "http://"]) {
      assert.throws(() => urlFlag("--endpoint", text), {
        message: `--endpoint must be an http(s) URL, got ${JSON.stringify(text)}`,
      });
    }
  });

  it("words every usage error the same way, with the way to the help", () => {
    assert.equal(
      usageMessage("npm run generate-data", 'unknown flag "--x"'),
      'npm run generate-data: unknown flag "--x"\nRun "npm run generate-data -- --help" for the flags.',
    );
  });

  it("takes paths from the directory npm was run in", () => {
    const saved = process.env.INIT_CWD;
    try {
      process.env.INIT_CWD = "/tmp/somewhere";
      assert.equal(userPath("data.csv"), "/tmp/somewhere/data.csv");
      assert.equal(userPath("/abs/data.csv"), "/abs/data.csv");
      delete process.env.INIT_CWD;
      assert.equal(userPath("data.csv"), resolve("data.csv"));
    } finally {
      if (saved === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = saved;
    }
  });
});
