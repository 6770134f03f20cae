import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { dynamic } from "@pulumi/pulumi";
import * as pulumi from "@pulumi/pulumi";
import { bundleOf, packed, registerPacked } from "../../providers/packed";
import { requireFromString } from "./helpers";

/** The provider as the host gets it: the packed loader, serialized, loaded from its text. */
async function throughText(loader: dynamic.ResourceProvider): Promise<dynamic.ResourceProvider> {
  const { text } = await pulumi.runtime.serializeFunction(() => loader, { allowSecrets: true });
  return requireFromString(text).handler();
}

describe("providers: packed modules", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "packed-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `files` (name -> text) into the test's directory; returns the first's path. */
  const write = (files: Record<string, string>) => {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return join(dir, Object.keys(files)[0]);
  };

  it("carries the modules a provider requires, lazily too, as they were when packed", async () => {
    const file = write({
      "provider.ts": [
        'import { greeting } from "./words";',
        "export const provider = {",
        "  async create(inputs: { name: string }) {",
        '    const { punctuation } = require("./late") as { punctuation: string };',
        '    const { suffix } = require("./settings.json") as { suffix: string };',
        "    return { id: `${greeting} ${inputs.name}${suffix}${punctuation}`, outs: {} };",
        "  },",
        "};",
      ].join("\n"),
      "words.ts": 'export const greeting: string = "hello";',
      "late.ts": 'export const punctuation = "!";',
      "settings.json": '{ "suffix": "-1" }',
    });
    const { provider } = require(file) as { provider: dynamic.ResourceProvider };
    const loader = packed(provider);
    assert.deepEqual(
      Object.keys(bundleOf(loader).modules)
        .map((id) => id.split("/").pop())
        .sort(),
      ["late.ts", "provider.ts", "settings.json", "words.ts"],
    );
    // What is on disk now is not what runs: the host runs the code stored with the resource.
    write({
      "words.ts": 'export const greeting: string = "changed";',
      "late.ts": 'export const punctuation = "?";',
      "settings.json": '{ "suffix": "-2" }',
    });
    const loaded = await throughText(loader);
    assert.equal((await loaded.create!({ name: "world" })).id, "hello world-1!");
  });

  it("finds a provider whose module was dropped from require.cache to be loaded anew", () => {
    const file = write({
      "dropped.ts": "export const provider = { async create() { return { id: 'x', outs: {} }; } };",
    });
    const { provider } = require(file) as { provider: dynamic.ResourceProvider };
    // As the offline engine drops a program's modules before its next run; this copy's
    // resources may still be constructed, reached through the module that required it.
    delete require.cache[file];
    const bundle = bundleOf(packed(provider));
    assert.deepEqual(Object.values(bundle.providers), [
      { module: Object.keys(bundle.modules)[0], name: "provider" },
    ]);
  });

  it("evaluates modules as Node does: cycles, `this`, module.exports, either quote", async () => {
    const file = write({
      "provider.ts": [
        'import { a } from "./a";',
        "const b = require('./b') as { value: string };",
        "export const provider = {",
        "  async create() {",
        "    return { id: `${a()}-${b.value}`, outs: {} };",
        "  },",
        "};",
      ].join("\n"),
      "a.ts":
        'import * as c from "./c";\nexport const name = "a";\nexport const a = () => name + c.c();',
      "c.ts": 'import * as a from "./a";\nexport const c = () => "c" + a.name;',
      "b.js": 'const top = this === exports;\nmodule.exports = { value: top ? "b" : "not this" };',
    });
    const { provider } = require(file) as { provider: dynamic.ResourceProvider };
    const loaded = await throughText(packed(provider));
    assert.equal((await loaded.create!({})).id, "aca-b");
  });

  it("takes the module that defines a provider, not one that exports it again as a value", () => {
    const barrel = write({
      "barrel.ts": 'import { provider } from "./defining";\nexport const again = provider;',
      "defining.ts":
        "export const provider = { async create() { return { id: 'x', outs: {} }; } };",
    });
    // The barrel is in require.cache before the module it imports.
    const { again } = require(barrel) as { again: dynamic.ResourceProvider };
    const bundle = bundleOf(packed(again));
    assert.deepEqual(
      Object.keys(bundle.modules).map((id) => id.split("/").pop()),
      ["defining.ts"],
    );
    assert.equal(bundle.providers.provider.name, "provider");
  });

  it("in the host, a module that threw throws again, and an unheld relative require is named", async () => {
    const file = write({
      "provider.ts": [
        "export const provider = {",
        "  async create() {",
        '    return { id: (require("./boom") as { id: string }).id, outs: {} };',
        "  },",
        "  async delete() {",
        '    const name = "elsewhere";',
        "    require(`./${name}`);",
        "  },",
        "};",
      ].join("\n"),
      "boom.ts": 'export const id = "x";\nthrow new Error("boom while loading");',
    });
    const { provider } = require(file) as { provider: dynamic.ResourceProvider };
    const loaded = await throughText(packed(provider));
    // As Node does: not the half-made exports the second time.
    await assert.rejects(loaded.create!({}), /boom while loading/);
    await assert.rejects(loaded.create!({}), /boom while loading/);
    await assert.rejects(
      loaded.delete!("id", {}),
      /provider\.ts requires "\.\/elsewhere", which its stored code does not hold/,
    );
  });

  it("refuses a provider that no module exports, naming its resource", () => {
    const provider = {
      async create() {
        return { id: "x", outs: {} };
      },
    };
    registerPacked("test", "Unexported", provider);
    assert.throws(
      () => packed(provider),
      (err: Error) => {
        assert.match(
          err.message,
          /^test:Unexported: its provider \(Object\) is not exported by a module of the project; export it/,
        );
        return true;
      },
    );
  });

  it("evaluates each module once in the host, shared by the providers of a group", async () => {
    const file = write({
      "kinds.ts": [
        'import { counter } from "./shared";',
        "export const first = { async create() { return { id: String(++counter.n), outs: {} }; } };",
        "export const second = { async create() { return { id: String(++counter.n), outs: {} }; } };",
      ].join("\n"),
      "shared.ts": "export const counter = { n: 0 };",
    });
    const { first, second } = require(file) as Record<string, dynamic.ResourceProvider>;
    registerPacked("shared-test", "First", first);
    registerPacked("shared-test", "Second", second);
    const loaded = [await throughText(packed(first)), await throughText(packed(second))];
    assert.equal((await loaded[0].create!({})).id, "1");
    assert.equal((await loaded[1].create!({})).id, "2");
    assert.equal((await loaded[0].create!({})).id, "3");
  });
});
