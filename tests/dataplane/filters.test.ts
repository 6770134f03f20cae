import { strict as assert } from "node:assert";
import {
  FilterSyntaxError,
  compileFilter,
  parseFilter,
  parseFilterValue,
  type FilterContext,
} from "../../emulator/ml/filters";

const context: FilterContext = {
  userEventTypes: new Map([
    ["shoes-1", new Set(["purchase"])],
    ["hats-2", new Set(["click"])],
  ]),
  hasItemField: (field) => field === "CATEGORY",
  itemField: (itemId, field) =>
    field === "CATEGORY" && itemId !== "mystery" ? [itemId.split("-")[0], "all"] : undefined,
};
const items = ["shoes-1", "hats-2", "bags-3", "mystery"];
const kept = (expression: string, values: Record<string, string> = {}) => {
  const out = compileFilter(parseFilter(expression), values, context);
  return items.filter((id) => !out(id));
};

describe("data plane filters", () => {
  const cases: [string, Record<string, string>, string[]][] = [
    [
      'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")',
      {},
      ["hats-2", "bags-3", "mystery"],
    ],
    ['EXCLUDE itemid where interactions.event_type in ("*")', {}, ["bags-3", "mystery"]],
    ['INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")', {}, ["hats-2"]],
    [
      "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPES)",
      { TYPES: '"purchase","click"' },
      ["bags-3", "mystery"],
    ],
    ["EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPES)", {}, items],
    ['INCLUDE ItemID WHERE Items.CATEGORY IN ("shoes", "bags")', {}, ["shoes-1", "bags-3"]],
    ['EXCLUDE ItemID WHERE Items.CATEGORY NOT IN ("hats")', {}, ["hats-2", "mystery"]],
    ["INCLUDE ItemID WHERE Items.CATEGORY = $C", { C: '"hats"' }, ["hats-2"]],
    [
      'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase") | INCLUDE ItemID WHERE Items.CATEGORY IN ("shoes", "hats")',
      {},
      ["hats-2"],
    ],
  ];
  for (const [expression, values, expected] of cases) {
    it(`${expression} ${JSON.stringify(values)} keeps ${expected.join(", ")}`, () => {
      assert.deepEqual(kept(expression, values), expected);
    });
  }

  const refused: [string, RegExp][] = [
    ['EXCLUDE UserID WHERE Users.AGE IN ("1")', /filtering on "UserID"/],
    ["INCLUDE ItemID WHERE Items.PRICE < 10", /comparison "<"/],
    [
      'INCLUDE ItemID WHERE Items.CATEGORY IN ("a") AND Items.CATEGORY IN ("b")',
      /"AND" after a complete expression/,
    ],
    ['INCLUDE ItemID WHERE CurrentItem.CATEGORY IN ("a")', /CurrentItem.CATEGORY/],
    ['INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("a"', /the end where "\)"/],
    ['EXCLUDE ItemID WHERE Interactions.ITEM_ID IN ("a")', /Interactions.ITEM_ID/],
  ];
  for (const [expression, message] of refused) {
    it(`refuses ${expression}, naming what it cannot apply`, () => {
      assert.throws(
        () => parseFilter(expression),
        (err: Error) => err instanceof FilterSyntaxError && message.test(err.message),
      );
    });
  }

  it("needs the values of an INCLUDE's parameters and the items field it names", () => {
    assert.throws(
      () => compileFilter(parseFilter("INCLUDE ItemID WHERE Items.CATEGORY IN ($C)"), {}, context),
      /filterValues has no value for \$C/,
    );
    assert.throws(
      () => compileFilter(parseFilter('INCLUDE ItemID WHERE Items.COLOR IN ("red")'), {}, context),
      /no field COLOR/,
    );
  });

  it("reads filterValues as the service writes them", () => {
    assert.deepEqual(parseFilterValue('"comedy","drama"'), ["comedy", "drama"]);
    assert.deepEqual(parseFilterValue('"a \\"quoted\\" one"'), ['a "quoted" one']);
    assert.deepEqual(parseFilterValue("10, 20"), ["10", "20"]);
  });
});
