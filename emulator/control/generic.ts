/**
 * Describe, List and Delete: the same for every kind, built from the kind's table in
 * records.ts. What differs (a List's parent filter, a Delete's dependency rule) is passed in
 * by the kind's module.
 */
import type { ControlPlane, RequestContext } from "./model";
import { paginate, type PageRequest } from "./pagination";
import { KINDS, type ArnMember, type Kind, type RecordOf } from "./records";
import { compact, describe, summary } from "./shapes";

/** A request naming one resource by its ARN member (`campaignArn`, `datasetArn`, ...). */
export type ArnRequest = Partial<Record<ArnMember, string>>;

/** The resource a request names by the kind's ARN member, in the request's region. */
export function named<K extends Kind>(
  model: ControlPlane,
  kind: K,
  input: ArnRequest,
  ctx: RequestContext,
): RecordOf<K> {
  return model.get(kind, input[KINDS[kind].arnMember]!, ctx);
}

export function describeOp<K extends Kind>(kind: K) {
  return (model: ControlPlane, input: ArnRequest, ctx: RequestContext) => ({
    [KINDS[kind].wrapper]: describe(named(model, kind, input, ctx)),
  });
}

/** How a List operation's optional parent-ARN member narrows it to the records under that parent. */
export interface ListParent<K extends Kind> {
  member: "datasetGroupArn" | "datasetArn" | "solutionArn";
  belongs: (record: RecordOf<K>, parentArn: string) => boolean;
  /** ListSolutionVersions answers ResourceNotFound for an unknown solution; the others list nothing. */
  mustExist?: Kind;
}

export type ListRequest = PageRequest & {
  datasetGroupArn?: string;
  datasetArn?: string;
  solutionArn?: string;
};

/** List<Kind>s of the request's region, newest first, narrowed to a parent when one is named. */
export function listOp<K extends Kind>(kind: K, parent?: ListParent<K>) {
  return (model: ControlPlane, input: ListRequest, ctx: RequestContext) => {
    const parentArn = parent && input[parent.member];
    if (parentArn !== undefined && parent?.mustExist) model.get(parent.mustExist, parentArn, ctx);
    const page = paginate(
      model.all(
        kind,
        (r) =>
          r.region === ctx.region && (parentArn === undefined || parent!.belongs(r, parentArn)),
      ),
      input,
      kind,
    );
    return compact({
      [KINDS[kind].listKey]: page.items.map(summary),
      nextToken: page.nextToken,
    });
  };
}

/**
 * Delete<Kind>: only a settled resource with no update in flight, and only once
 * `requireUnused` (the kind's own dependency rule) passes; then DELETE PENDING.
 */
export function deleteOp<K extends Kind>(
  kind: K,
  requireUnused?: (model: ControlPlane, record: RecordOf<K>) => void,
) {
  return (model: ControlPlane, input: ArnRequest, ctx: RequestContext): void => {
    const record = named(model, kind, input, ctx);
    model.requireDeletable(record);
    requireUnused?.(model, record);
    model.lifecycle.delete(record);
  };
}
