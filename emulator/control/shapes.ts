/**
 * Records as the wire shows them: Describe members, List summaries (exactly the members of
 * the model's summary shape), `latest*Update` members. Dates are epoch seconds, absent
 * members are omitted.
 */
import { PERSONALIZE } from "../api/personalize";
import type { StructureShape } from "../api/shapes";
import { KINDS, type Kind, type RecordOf, type ResourceRecord, type UpdateRecord } from "./records";

/** Drops undefined members, so absent members are omitted on the wire. */
export function compact<T extends object>(value: T): T {
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
  return value;
}

/** Describe's members: name, ARN, the stored attributes, status, failureReason, dates. */
export function describe<K extends Kind>(record: RecordOf<K>): Record<string, unknown> {
  const spec = KINDS[record.kind];
  const out: Record<string, unknown> = {};
  if (record.name !== undefined) out[spec.nameMember] = record.name;
  out[spec.arnMember] = record.arn;
  Object.assign(out, record.attrs);
  if (record.status !== undefined) out.status = record.status;
  if (record.failureReason !== undefined) out.failureReason = record.failureReason;
  out.creationDateTime = record.created / 1000;
  out.lastUpdatedDateTime = record.updated / 1000;
  if (spec.updateMember && record.update) out[spec.updateMember] = describeUpdate(record.update);
  return out;
}

const summaryMembers = new Map<Kind, readonly string[]>();

/** A List item: the Describe members the model's summary shape has, and no others. */
export function summary(record: ResourceRecord): Record<string, unknown> {
  let members = summaryMembers.get(record.kind);
  if (!members) {
    const shape = PERSONALIZE.shapes[KINDS[record.kind].summaryShape] as StructureShape;
    members = Object.keys(shape.members);
    summaryMembers.set(record.kind, members);
  }
  const full = describe(record);
  const out: Record<string, unknown> = {};
  for (const member of members) if (full[member] !== undefined) out[member] = full[member];
  return out;
}

function describeUpdate(update: UpdateRecord<object>): Record<string, unknown> {
  return compact({
    ...update.attrs,
    status: update.status,
    failureReason: update.failureReason,
    creationDateTime: update.created / 1000,
    lastUpdatedDateTime: update.updated / 1000,
  });
}
