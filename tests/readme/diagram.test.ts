// The README's Mermaid diagram must render on GitHub. Mermaid itself needs a browser DOM, so
// this checks the flowchart subset the README uses, statement by statement, as Mermaid's
// flowchart grammar has it (https://mermaid.js.org/syntax/flowchart.html): the header, node
// shapes with quoted labels, edges with optional quoted labels, subgraphs closed by `end`,
// balanced brackets; and that every edge names a node that exists (Mermaid would silently
// draw a new, unlabelled node for a typo).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const README = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");

/** Shapes by their opening and closing brackets: rectangle, round, stadium, cylinder, ... */
const SHAPES: readonly [string, string][] = [
  ["[(", ")]"],
  ["([", "])"],
  ["[[", "]]"],
  ["((", "))"],
  ["[/", "/]"],
  ["[\\", "\\]"],
  ["{{", "}}"],
  ["[", "]"],
  ["(", ")"],
  ["{", "}"],
];
const ID = "[A-Za-z][A-Za-z0-9_]*";
/** Lower-case `end` and the other keywords break a flowchart when used as an id. */
const RESERVED = new Set([
  "end",
  "graph",
  "subgraph",
  "flowchart",
  "style",
  "class",
  "classDef",
  "click",
  "linkStyle",
  "direction",
]);
const ARROWS = ["-->", "-.->", "==>", "---", "-.-", "==="];

interface Flowchart {
  readonly nodes: Map<string, string>;
  readonly subgraphs: Map<string, string>;
  readonly edges: { from: string; to: string; arrow: string; label?: string }[];
}

function balanced(line: string): boolean {
  const outside = line.replace(/"[^"]*"/g, '""');
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  const stack: string[] = [];
  for (const c of outside) {
    if ("([{".includes(c)) stack.push(c);
    else if (c in pairs && stack.pop() !== pairs[c]) return false;
  }
  return stack.length === 0 && (outside.match(/"/g) ?? []).length % 2 === 0;
}

function checkId(id: string, where: string): void {
  if (!new RegExp(`^${ID}$`).test(id))
    throw new Error(`${where}: ${JSON.stringify(id)} is not an id`);
  if (RESERVED.has(id)) throw new Error(`${where}: ${JSON.stringify(id)} is a Mermaid keyword`);
}

/** Parses the flowchart subset; any other statement is an error naming its line. */
function parseFlowchart(text: string): Flowchart {
  const lines = text.split("\n");
  if (!/^flowchart (TD|TB|BT|LR|RL)$/.test(lines[0].trim())) {
    throw new Error(
      `line 1: expected "flowchart TD" (or TB, BT, LR, RL), got ${JSON.stringify(lines[0])}`,
    );
  }
  const chart: Flowchart = { nodes: new Map(), subgraphs: new Map(), edges: [] };
  const open: string[] = [];
  for (const [i, raw] of lines.slice(1).entries()) {
    const where = `line ${i + 2}`;
    const line = raw.trim();
    if (line === "" || line.startsWith("%%")) continue;
    if (!balanced(line)) throw new Error(`${where}: unbalanced brackets or quotes: ${line}`);
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^subgraph (${ID})(?:\\["([^"]*)"\\])?$`).exec(line))) {
      checkId(m[1], where);
      if (chart.subgraphs.has(m[1]) || chart.nodes.has(m[1]))
        throw new Error(`${where}: ${m[1]} defined twice`);
      chart.subgraphs.set(m[1], m[2] ?? m[1]);
      open.push(m[1]);
      continue;
    }
    if (line === "end") {
      if (open.pop() === undefined) throw new Error(`${where}: "end" without a subgraph`);
      continue;
    }
    const edge = new RegExp(`^(${ID}) (\\S+?)(?:\\|"([^"]*)"\\|)? (${ID})$`).exec(line);
    if (edge) {
      const [, from, arrow, label, to] = edge;
      if (!ARROWS.includes(arrow))
        throw new Error(`${where}: ${JSON.stringify(arrow)} is not an arrow`);
      chart.edges.push({ from, to, arrow, ...(label === undefined ? {} : { label }) });
      continue;
    }
    const node = new RegExp(`^(${ID})(.+)$`).exec(line);
    const shape =
      node && SHAPES.find(([o, c]) => node[2].startsWith(`${o}"`) && node[2].endsWith(`"${c}`));
    if (node && shape) {
      const label = node[2].slice(shape[0].length + 1, -shape[1].length - 1);
      if (label.includes('"')) throw new Error(`${where}: a quote inside the label of ${node[1]}`);
      checkId(node[1], where);
      if (chart.nodes.has(node[1]) || chart.subgraphs.has(node[1]))
        throw new Error(`${where}: ${node[1]} defined twice`);
      chart.nodes.set(node[1], label);
      continue;
    }
    throw new Error(`${where}: not a flowchart statement: ${line}`);
  }
  if (open.length > 0) throw new Error(`subgraph ${open.join(", ")} is never closed with "end"`);
  for (const { from, to } of chart.edges) {
    for (const id of [from, to]) {
      if (!chart.nodes.has(id) && !chart.subgraphs.has(id)) {
        throw new Error(`an edge names ${id}, which no statement defines`);
      }
    }
  }
  for (const id of chart.nodes.keys()) {
    if (!chart.edges.some((e) => e.from === id || e.to === id))
      throw new Error(`${id} has no edge`);
  }
  return chart;
}

function diagrams(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1].trimEnd());
}

describe("README: the resource diagram", () => {
  const found = diagrams(README);

  it("is one Mermaid flowchart that parses", () => {
    assert.strictEqual(found.length, 1);
    assert.doesNotThrow(() => parseFlowchart(found[0]));
  });

  it("shows the bucket and role, the whole Personalize chain and the roll-forward", () => {
    const chart = parseFlowchart(found[0]);
    const labelOf = (id: string) => chart.nodes.get(id) ?? "";
    for (const [id, text] of Object.entries({
      bucket: "S3 bucket",
      role: "IAM role",
      group: "DatasetGroup",
      schema: "Schema",
      dataset: "Dataset",
      importJob: "DatasetImportJob",
      solution: "Solution",
      version: "SolutionVersion",
      gate: "QualityGate",
      campaign: "Campaign",
    })) {
      assert.ok(labelOf(id).startsWith(text), `${id}: ${labelOf(id)}`);
    }
    const edge = (from: string, to: string) =>
      chart.edges.find((e) => e.from === from && e.to === to);
    for (const [from, to] of [
      ["group", "dataset"],
      ["schema", "dataset"],
      ["dataset", "importJob"],
      ["object", "importJob"],
      ["role", "importJob"],
      ["group", "solution"],
      ["solution", "version"],
    ]) {
      assert.ok(edge(from, to), `${from} --> ${to}`);
    }
    // The roll-forward: new data -> new import job -> new version -> the quality gate -> the
    // campaign, in place.
    assert.match(edge("csv", "importJob")?.label ?? "", /dataHash/);
    assert.match(edge("importJob", "version")?.label ?? "", /new version/);
    assert.match(edge("version", "gate")?.label ?? "", /candidate/);
    assert.match(edge("gate", "campaign")?.label ?? "", /approvedVersionArn: updated in place/);
    assert.equal(edge("version", "campaign"), undefined, "no way around the gate");
  });
});

describe("README: the flowchart check itself", () => {
  const ok = 'flowchart LR\n  a["A"]\n  b("B")\n  a -->|"to"| b';

  it("accepts a small valid chart", () => {
    const chart = parseFlowchart(ok);
    assert.deepStrictEqual(
      [...chart.nodes],
      [
        ["a", "A"],
        ["b", "B"],
      ],
    );
    assert.deepStrictEqual(chart.edges, [{ from: "a", to: "b", arrow: "-->", label: "to" }]);
  });

  const broken: [string, string, RegExp][] = [
    ["a missing header", ok.replace("flowchart LR", "graph"), /line 1: expected "flowchart TD"/],
    ["an unbalanced bracket", ok.replace('a["A"]', 'a["A"'), /line 2: unbalanced brackets/],
    ["an edge to nothing", `${ok}\n  a --> c`, /an edge names c, which no statement defines/],
    [
      "an unclosed subgraph",
      ok.replace('  a["A"]', '  subgraph s["S"]\n  a["A"]'),
      /subgraph s is never closed/,
    ],
    [
      "end as an id",
      `${ok}\n  end["End"]\n  a --> end`,
      /"end" without a subgraph|is a Mermaid keyword/,
    ],
    ["an unknown arrow", `${ok}\n  a ->> b`, /"->>" is not an arrow/],
    ["a node twice", `${ok}\n  a["again"]`, /a defined twice/],
    ["a lone node", `${ok}\n  c["C"]`, /c has no edge/],
    ["anything else", `${ok}\n  style a fill:#f9f`, /not a flowchart statement/],
  ];
  for (const [what, text, error] of broken) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseFlowchart(text), error);
    });
  }
});
