/**
 * List pagination (https://docs.aws.amazon.com/personalize/latest/dg/API_ListDatasetGroups.html):
 * `maxResults` (1-100, checked by the model, default 100) and an opaque `nextToken`. Resources
 * are listed newest first; the token names the last item returned, so pages stay stable when
 * resources are created meanwhile.
 */
import { ServiceError } from "../errors";

export interface PageRequest {
  maxResults?: number;
  nextToken?: string;
}

/** Where the previous page ended: the list's name, and the creation time and ARN of its last item. */
interface PageToken {
  k: string;
  c: number;
  a: string;
}

export interface Listed {
  /** Creation time, epoch ms; items created at the same time are listed by ARN. */
  created: number;
  arn: string;
}

/** One page of `items`; `list` names the List operation, so a token of another is refused. */
export function paginate<T extends Listed>(
  items: readonly T[],
  request: PageRequest,
  list: string,
): { items: T[]; nextToken?: string } {
  const maxResults = request.maxResults ?? 100;
  const key = (item: T) => ({ c: item.created, a: item.arn });
  const sorted = [...items].sort((x, y) => y.created - x.created || (x.arn < y.arn ? -1 : 1));
  let start = 0;
  if (request.nextToken !== undefined) {
    const after = readToken(request.nextToken, list);
    const at = sorted.findIndex((item) => {
      const k = key(item);
      return k.c < after.c || (k.c === after.c && k.a > after.a);
    });
    start = at < 0 ? sorted.length : at;
  }
  const page = sorted.slice(start, start + maxResults);
  const last = page[page.length - 1];
  const nextToken =
    start + maxResults < sorted.length && last
      ? Buffer.from(JSON.stringify({ k: list, ...key(last) })).toString("base64url")
      : undefined;
  return { items: page, nextToken };
}

function readToken(token: string, list: string): PageToken {
  let after: Partial<PageToken> | undefined;
  try {
    after = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<PageToken>;
  } catch {
    after = undefined;
  }
  if (
    !after ||
    typeof after !== "object" ||
    after.k !== list ||
    typeof after.a !== "string" ||
    typeof after.c !== "number"
  )
    throw new ServiceError(
      "InvalidNextTokenException",
      `Invalid nextToken ${JSON.stringify(token.length > 100 ? token.slice(0, 100) + "..." : token)}: pass the nextToken of the previous page of this List operation.`,
    );
  return after as PageToken;
}
