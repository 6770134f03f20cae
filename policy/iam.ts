/**
 * Reading IAM policy documents as the stack hands them over: a JSON string (what @pulumi/aws
 * takes) or an object, with `Action`, `Resource` and `Principal` either one value or a list
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html).
 */

/** One statement, every list-or-value element as a list. */
export interface Statement {
  readonly effect: string;
  readonly principals: readonly string[];
  readonly actions: readonly string[];
  /** A `NotAction` statement grants everything but its list: we treat it as granting all. */
  readonly notAction: boolean;
  readonly resources: readonly string[];
  readonly condition: Record<string, Record<string, unknown>>;
}

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** `"*"`, `{ "AWS": "*" }`, `{ "Service": [...] }`: every principal named, as plain strings. */
function principals(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== "object" || Array.isArray(value)) return list(value);
  return Object.values(value as Record<string, unknown>).flatMap(list);
}

/**
 * The statements of a policy document. A value that is not a policy document is an error that
 * names it: a policy the pack cannot read is not a policy it can pass.
 */
export function statements(document: unknown): Statement[] {
  let parsed = document;
  if (typeof document === "string") {
    try {
      parsed = JSON.parse(document);
    } catch {
      throw new Error(`not a JSON policy document: ${JSON.stringify(document.slice(0, 80))}`);
    }
  }
  const raw = (parsed as { Statement?: unknown } | null)?.Statement;
  if (raw === undefined) {
    throw new Error(`a policy document without Statement: ${JSON.stringify(parsed)}`);
  }
  return (Array.isArray(raw) ? raw : [raw]).map((s: Record<string, unknown>) => ({
    effect: String(s.Effect),
    principals: principals(s.Principal),
    actions: list(s.Action ?? s.NotAction),
    notAction: s.NotAction !== undefined,
    resources: list(s.Resource),
    condition: (s.Condition ?? {}) as Record<string, Record<string, unknown>>,
  }));
}

/** Whether an Allow statement lets `service` (e.g. `personalize.amazonaws.com`) assume the role. */
export function trusts(document: unknown, service: string): boolean {
  return statements(document).some(
    (s) =>
      s.effect === "Allow" &&
      s.principals.includes(service) &&
      s.actions.some((a) => /^(sts:\*|sts:AssumeRole|\*)$/i.test(a)),
  );
}

/**
 * Verbs that only read (`s3:GetObject`, `s3:ListBucket`, `personalize:DescribeCampaign`). An
 * action pattern reads only when its literal part already starts with one of them: `s3:Get*`
 * reads, `s3:*`, `s3:G*` and `*` may write.
 */
const READ_VERB = /^[a-z0-9-]+:(Get|List|Describe|Head)/i;

/**
 * The actions an Allow statement grants that may write, delete or administer: every action
 * (or pattern) that is not a read and not in `allowed`; everything (`"*"`) for a `NotAction`.
 */
export function writeActions(document: unknown, allowed: readonly string[] = []): string[] {
  const exempt = new Set(allowed.map((a) => a.toLowerCase()));
  const found: string[] = [];
  for (const s of statements(document)) {
    if (s.effect !== "Allow") continue;
    if (s.notAction) {
      found.push(`NotAction ${JSON.stringify(s.actions)}`);
      continue;
    }
    for (const action of s.actions) {
      if (!READ_VERB.test(action) && !exempt.has(action.toLowerCase())) found.push(action);
    }
  }
  return [...new Set(found)];
}

function isFalse(value: unknown): boolean {
  return list(value).some((v) => v.toLowerCase() === "false");
}

/**
 * Whether the document denies, to every principal, every S3 action on the bucket and its objects
 * when the request is not made over TLS: `Deny`, `"*"`, `s3:*`, `Bool aws:SecureTransport false`.
 */
export function deniesInsecureTransport(document: unknown, bucketArn?: string): boolean {
  return statements(document).some((s) => {
    if (s.effect !== "Deny" || !s.principals.includes("*")) return false;
    if (!s.actions.some((a) => a === "*" || a.toLowerCase() === "s3:*")) return false;
    const bool = s.condition.Bool ?? {};
    if (!isFalse(bool["aws:SecureTransport"])) return false;
    if (bucketArn === undefined) return true;
    const covers = (arn: string) => s.resources.some((r) => r === "*" || r === arn);
    return covers(bucketArn) && covers(`${bucketArn}/*`);
  });
}
