/**
 * The subset of the filter-expression grammar
 * (https://docs.aws.amazon.com/personalize/latest/dg/creating-filter-expressions.html) the emulator
 * applies. Anything outside it is refused by name, never silently ignored:
 *
 *   INCLUDE|EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("a", "b" | "*" | $PARAM)
 *   INCLUDE|EXCLUDE ItemID WHERE Items.<FIELD> IN|NOT IN|= ("a", ... | $PARAM)
 *   <expression> | <expression> ...   (each applied in turn)
 *
 * Interactions clauses look at the requesting user's own interactions (bulk and streamed);
 * Items clauses at the items dataset (categorical `|` values match any of them).
 */
export interface FilterValue {
  literal?: string;
  param?: string;
}

export interface FilterClause {
  action: "INCLUDE" | "EXCLUDE";
  dataset: "Interactions" | "Items";
  /** Upper-case field name, e.g. EVENT_TYPE or GENRES. */
  field: string;
  /** NOT IN. */
  negated: boolean;
  values: FilterValue[];
}

export class FilterSyntaxError extends Error {}

const unsupported = (what: string) => new FilterSyntaxError(`it does not support ${what}`);

type Token = { kind: "word" | "string" | "param" | "punct"; text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let text = "";
      i++;
      while (i < expression.length && expression[i] !== '"') {
        if (expression[i] === "\\" && i + 1 < expression.length) i++;
        text += expression[i++];
      }
      if (i >= expression.length) throw unsupported("an unterminated string");
      i++;
      tokens.push({ kind: "string", text });
    } else if (c === "$") {
      const m = /^\$[A-Za-z0-9_]+/.exec(expression.slice(i));
      if (!m) throw unsupported(`"$" not followed by a parameter name`);
      tokens.push({ kind: "param", text: m[0].slice(1) });
      i += m[0].length;
    } else if ("(),|=".includes(c)) {
      tokens.push({ kind: "punct", text: c });
      i++;
    } else if ("<>!".includes(c)) {
      throw unsupported(`the comparison "${c}" (only IN, NOT IN and = are applied)`);
    } else {
      const m = /^[A-Za-z0-9_.*-]+/.exec(expression.slice(i));
      if (!m) throw unsupported(`the symbol "${c}"`);
      tokens.push({ kind: "word", text: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

/** Parses an expression into clauses; throws FilterSyntaxError naming what is not supported. */
export function parseFilter(expression: string): FilterClause[] {
  const tokens = tokenize(expression);
  const clauses: FilterClause[] = [];
  let p = 0;
  const peek = () => tokens[p];
  const word = (what: string): string => {
    const t = tokens[p++];
    if (!t || t.kind !== "word")
      throw unsupported(`${t ? `"${t.text}"` : "the end"} where ${what} was expected`);
    return t.text;
  };
  const punct = (text: string) => {
    const t = tokens[p++];
    if (!t || t.kind !== "punct" || t.text !== text)
      throw unsupported(`${t ? `"${t.text}"` : "the end"} where "${text}" was expected`);
  };
  for (;;) {
    const action = word("INCLUDE or EXCLUDE").toUpperCase();
    if (action !== "INCLUDE" && action !== "EXCLUDE")
      throw unsupported(`"${action}" where INCLUDE or EXCLUDE was expected`);
    const target = word("ItemID");
    if (target.toUpperCase() !== "ITEMID")
      throw unsupported(`filtering on "${target}" (only ItemID filters are applied)`);
    if (word("WHERE").toUpperCase() !== "WHERE") throw unsupported(`a missing WHERE`);
    const column = word("<Dataset>.<FIELD>");
    const dot = column.indexOf(".");
    const datasetName = dot > 0 ? column.slice(0, dot).toUpperCase() : "";
    const field = column.slice(dot + 1).toUpperCase();
    let dataset: FilterClause["dataset"];
    if (datasetName === "INTERACTIONS") dataset = "Interactions";
    else if (datasetName === "ITEMS") dataset = "Items";
    else
      throw unsupported(
        `the column "${column}" (only Interactions.EVENT_TYPE and Items.<FIELD> are applied)`,
      );
    if (dataset === "Interactions" && field !== "EVENT_TYPE")
      throw unsupported(`the column "${column}" (only Interactions.EVENT_TYPE is applied)`);
    let negated = false;
    const values: FilterValue[] = [];
    const op = peek();
    if (op?.kind === "punct" && op.text === "=") {
      p++;
      values.push(value());
    } else {
      let opWord = word("IN, NOT IN or =").toUpperCase();
      if (opWord === "NOT") {
        negated = true;
        opWord = word("IN").toUpperCase();
      }
      if (opWord !== "IN")
        throw unsupported(`the operator "${opWord}" (only IN, NOT IN and = are applied)`);
      punct("(");
      values.push(value());
      while (peek()?.kind === "punct" && peek().text === ",") {
        p++;
        values.push(value());
      }
      punct(")");
    }
    if (negated && dataset === "Interactions")
      throw unsupported(`NOT IN on Interactions.EVENT_TYPE`);
    clauses.push({ action, dataset, field, negated, values });
    const next = peek();
    if (!next) return clauses;
    if (next.kind === "punct" && next.text === "|") {
      p++;
      continue;
    }
    throw unsupported(
      `"${next.text}" after a complete expression (AND, OR and IF are not applied)`,
    );
  }
  function value(): FilterValue {
    const t = tokens[p++];
    if (t?.kind === "string") return { literal: t.text };
    if (t?.kind === "param") return { param: t.text };
    if (t?.kind === "word" && /^-?[0-9.]+$/.test(t.text)) return { literal: t.text };
    throw unsupported(
      `${t ? `"${t.text}"` : "the end"} where a quoted value or $PARAMETER was expected`,
    );
  }
}

/**
 * A filterValues entry, e.g. `"\"comedy\",\"drama\""`, as its list of values (unquoted
 * numbers are taken as they are).
 */
export function parseFilterValue(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^,"]+))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text))) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2].trim());
  }
  return out;
}

/** What a clause needs to know about the request. */
export interface FilterContext {
  /** Event types of the user's interactions per item id (empty for anonymous users). */
  userEventTypes: Map<string, Set<string>>;
  /** An item's values for an items-dataset field, or undefined when it has none. */
  itemField(itemId: string, field: string): string[] | undefined;
  /** Whether an items dataset with this field exists. */
  hasItemField(field: string): boolean;
}

/**
 * Resolves parameters and returns the predicate "is this item id filtered out". Throws
 * FilterSyntaxError for a missing INCLUDE parameter or an unknown items field.
 */
export function compileFilter(
  clauses: FilterClause[],
  filterValues: Record<string, string>,
  context: FilterContext,
): (itemId: string) => boolean {
  const tests: ((itemId: string) => boolean)[] = [];
  for (const clause of clauses) {
    const values: string[] = [];
    let missing = false;
    for (const v of clause.values) {
      if (v.literal !== undefined) values.push(v.literal);
      else if (filterValues[v.param!] !== undefined)
        values.push(...parseFilterValue(filterValues[v.param!]));
      else missing = true;
    }
    if (missing) {
      // The service skips an EXCLUDE whose parameters are not given, and needs them for INCLUDE.
      if (clause.action === "EXCLUDE") continue;
      const names = clause.values.filter((v) => v.param).map((v) => `$${v.param}`);
      throw new FilterSyntaxError(
        `filterValues has no value for ${names.join(", ")}, which the INCLUDE expression needs`,
      );
    }
    const wanted = new Set(values);
    let matches: (itemId: string) => boolean;
    if (clause.dataset === "Interactions") {
      const any = wanted.has("*");
      matches = (itemId) => {
        const types = context.userEventTypes.get(itemId);
        if (!types) return false;
        if (any) return true;
        for (const t of types) if (wanted.has(t)) return true;
        return false;
      };
    } else {
      if (!context.hasItemField(clause.field))
        throw new FilterSyntaxError(
          `Items.${clause.field}: the dataset group's items data has no field ${clause.field}`,
        );
      matches = (itemId) => {
        const have = context.itemField(itemId, clause.field);
        const hit = !!have && have.some((v) => wanted.has(v));
        return clause.negated ? !!have && !hit : hit;
      };
    }
    tests.push(clause.action === "EXCLUDE" ? matches : (itemId) => !matches(itemId));
  }
  return (itemId) => tests.some((t) => t(itemId));
}
