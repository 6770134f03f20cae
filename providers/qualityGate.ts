import * as pulumi from "@pulumi/pulumi";
import { randomUUID } from "crypto";
import { errorMessage } from "./client";
import { defaultRegion, makeContext, namedError, retryLater } from "./lifecycle";
import { dynamicResourceClass } from "./resource";
import type { Props } from "./spec";
import {
  canonical,
  checkArn,
  checkEndpoint,
  checkNumber,
  checkRegion,
  checkString,
  checkVersionOfSolution,
  Failure,
  isUnknown,
  plain,
  show,
} from "./validate";

/*
 * A quality gate between a solution version and the campaign that deploys it. It is a
 * resource, not a check inside the campaign's update, because of what the engine does with a
 * failed update: it keeps the resource's old state (pkg/backend/snapshot.go in pulumi/pulumi,
 * `updateSnapshotMutation.End`, records the new state only when the step succeeded). So the
 * gate's output `approvedVersionArn` stays the version it approved last, the campaign that
 * takes it is never touched, the `up` fails with the gate's table, and the next `up` with the
 * same data asks again without training again (the solution version's inputs did not change).
 *
 * It has no API of its own: it reads GetSolutionMetrics of the versions it compares. Like the
 * Personalize providers it runs in the dynamic-provider host from the code stored with the
 * resource (providers/packed.ts), so it throws plain Errors with a name (see lifecycle.ts).
 */

/*
 * The provider's own code refers to module constants by their local names, each exported
 * under its public name below: a habit from when the SDK's closure serializer stored provider
 * code, which captured a whole module (this provider instance included) for an `exports.X`.
 */

const DEFAULTS = {
  metric: "normalized_discounted_cumulative_gain_at_10",
  minimum: 0.05,
  maxDrop: 0.1,
} as const;
/** The defaults of the gate's settings, which the stack's `qualityGate` config shares. */
export const QUALITY_GATE_DEFAULTS = DEFAULTS;

/**
 * Each input and how a change reaches the gate: `update` decides again (or records the new
 * settings), `replace` starts afresh with nothing approved. A new solution (a new ARN, or the
 * same name replaced) means a new campaign too, which serves nothing yet: only the floor applies.
 */
const FIELDS = {
  solutionVersionArn: "update",
  trainedFrom: "update",
  solutionArn: "replace",
  metric: "update",
  minimum: "update",
  maxDrop: "update",
  approve: "update",
  region: "update",
  endpoint: "update",
} as const;
export const QUALITY_GATE_FIELDS = FIELDS;

/** The gate's inputs once check has filled and validated them, as the engine hands them back. */
export interface GateInputs extends Props {
  solutionVersionArn: string;
  metric: string;
  minimum: number;
  maxDrop: number;
  approve?: string;
  region: string;
  endpoint?: string;
}

/** How a field's change is applied (`FIELDS`, read by name). */
const changeOf = (field: string): string | undefined =>
  Object.entries(FIELDS).find(([name]) => name === field)?.[1];

const VERSION_ARN = /^arn:[a-z\d-]+:personalize:[^:]*:[^:]*:solution\/[^/]+\/[^/]+$/;
const VERSION_HINT =
  "is not a solution version ARN (arn:aws:personalize:<region>:<account>:solution/<name>/<id>)";
const METRIC = /^[a-z][a-z0-9_]*$/;
/** A solution version's ARN: `arn:aws:personalize:<region>:<account>:solution/<name>/<id>`. */
export const SOLUTION_VERSION_ARN = VERSION_ARN;
/** What a metric's name looks like (`normalized_discounted_cumulative_gain_at_10`). */
export const METRIC_NAME = METRIC;

/** A solution version and its metrics, as GetSolutionMetrics reports them. */
export interface GateVersion {
  arn: string;
  metrics: Record<string, number>;
}

/** What the gate decides on. */
export interface GateRequest {
  /** The metric that decides, e.g. `normalized_discounted_cumulative_gain_at_10`. */
  metric: string;
  /** The floor the new version's metric must reach, always. */
  minimum: number;
  /** The largest relative drop against the serving version, as a fraction: 0.1 is 10%. */
  maxDrop: number;
  /** The new version. */
  candidate: GateVersion;
  /** The version approved last (the one the campaign serves); none on a first deploy. */
  serving?: GateVersion;
  /** A version a person approved: if it is the candidate, it passes whatever its metrics. */
  approve?: string;
}

/**
 * `passed`: the candidate cleared the bar; `approved`: it did not, and a person approved it;
 * `kept`: it is the version approved already (the settings changed, not the version), so
 * there is nothing to decide; `failed`: it did not clear the bar.
 */
export type GateVerdict = "passed" | "approved" | "kept" | "failed";

export interface GateDecision {
  verdict: GateVerdict;
  /** The version to serve: the candidate, unless it failed (then the serving one, if any). */
  approvedVersionArn?: string;
  /** The bar: the floor, or the serving value less the allowed drop when that is higher. */
  threshold: number;
  /** The verdict in one line: what cleared or missed which bar. */
  reason: string;
  /** The table: every metric, new vs serving, the threshold and the verdict, as text. */
  report: string;
}

const FAILED = "QualityGateFailed";
const MISSING = "QualityGateMetricMissing";
/** The name of the error a failed gate throws. */
export const GATE_FAILED = FAILED;
/** The name of the error when the version does not report the gate's metric. */
export const METRIC_MISSING = MISSING;

const fixed = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(4));
const percent = (fraction: number) => `${Number((fraction * 100).toFixed(1))}%`;
/** Not `valueOf`, a name the global object has too. */
const metricValue = (version: GateVersion, metric: string) => {
  const value = version.metrics[metric];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
};
/** Metrics come rounded; a candidate exactly at the bar must not fail on a float's last bit. */
const EPSILON = 1e-9;

function describeBar(request: GateRequest): string {
  return (
    `${request.metric} at least ${request.minimum}` +
    `, and at most ${percent(request.maxDrop)} below the serving version`
  );
}

/** Every metric of both versions, side by side; the gate's metric carries threshold and verdict. */
function table(
  request: GateRequest,
  decision: Omit<GateDecision, "report">,
  servingNote: string,
): string {
  const { candidate, serving, metric } = request;
  const names = [...Object.keys(candidate.metrics)];
  for (const name of Object.keys(serving?.metrics ?? {}))
    if (!names.includes(name)) names.push(name);
  const rows = [
    ["metric", "new", "serving", "threshold", "verdict"],
    ...names.map((name) => [
      name,
      fixed(metricValue(candidate, name)),
      fixed(serving ? metricValue(serving, name) : undefined),
      name === metric ? fixed(decision.threshold) : "",
      name === metric ? decision.verdict : "",
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join("  ")
      .trimEnd(),
  );
  return [
    `Quality gate: ${describeBar(request)}`,
    ...lines,
    `new:     ${candidate.arn}`,
    `serving: ${serving ? serving.arn : "none"}${servingNote}`,
    `verdict: ${decision.verdict}: ${decision.reason}`,
  ].join("\n");
}

/**
 * The gate's decision, a pure function. The candidate must reach `minimum` and, when a
 * version is served that reports the metric, lose at most `maxDrop` of its value; a candidate
 * named by `approve` passes whatever its metrics. Throws a {@link METRIC_MISSING} error when
 * the candidate does not report the metric (a misnamed metric: no verdict can be given).
 */
export function decideGate(request: GateRequest): GateDecision {
  const { metric, minimum, maxDrop, candidate, serving, approve } = request;
  const value = metricValue(candidate, metric);
  if (value === undefined) {
    const available = Object.keys(candidate.metrics);
    throw namedError(
      MISSING,
      `QualityGate: solution version ${candidate.arn} has no metric ${show(metric)}; ` +
        (available.length > 0
          ? `it reports ${available.join(", ")}`
          : "it reports no metrics at all (GetSolutionMetrics returned none)") +
        "; set the gate's metric to one it reports",
    );
  }
  const servingValue = serving ? metricValue(serving, metric) : undefined;
  const finish = (decision: Omit<GateDecision, "report">, servingNote = ""): GateDecision => ({
    ...decision,
    report: table(request, decision, servingNote),
  });

  if (serving && serving.arn === candidate.arn) {
    return finish({
      verdict: "kept",
      approvedVersionArn: candidate.arn,
      threshold: minimum,
      reason: "this is the version approved already; the gate decides when the version changes",
    });
  }

  const dropBar = servingValue === undefined ? undefined : servingValue * (1 - maxDrop);
  const threshold = Math.max(minimum, dropBar ?? minimum);
  const problems: string[] = [];
  if (value < minimum - EPSILON) {
    problems.push(`${metric} ${fixed(value)} is below the floor ${minimum}`);
  }
  if (servingValue !== undefined && dropBar !== undefined && value < dropBar - EPSILON) {
    problems.push(
      `${metric} ${fixed(value)} is ${percent((servingValue - value) / servingValue)} below ` +
        `the serving version's ${fixed(servingValue)} (at most ${percent(maxDrop)} allowed)`,
    );
  }
  const servingNote = !serving
    ? " (nothing approved yet: only the floor applies)"
    : servingValue === undefined
      ? ` (it reports no ${metric}: only the floor applies)`
      : "";
  if (problems.length === 0) {
    const reason =
      `${metric} ${fixed(value)} reaches ${fixed(threshold)}` +
      (servingValue === undefined ? " (the floor)" : "");
    return finish(
      { verdict: "passed", approvedVersionArn: candidate.arn, threshold, reason },
      servingNote,
    );
  }
  if (approve === candidate.arn) {
    return finish(
      {
        verdict: "approved",
        approvedVersionArn: candidate.arn,
        threshold,
        reason: `approve names this version, although ${problems.join("; and ")}`,
      },
      servingNote,
    );
  }
  return finish(
    {
      verdict: "failed",
      ...(serving ? { approvedVersionArn: serving.arn } : {}),
      threshold,
      reason: problems.join("; and "),
    },
    servingNote,
  );
}

/** The error a failed gate throws: its message is the whole table and what to do. */
export function gateFailure(decision: GateDecision, candidateArn: string): Error {
  const kept = decision.approvedVersionArn
    ? `the gate still approves ${decision.approvedVersionArn}, which the campaign keeps serving`
    : "no version was approved before it, and the campaign is neither created nor changed";
  return namedError(
    FAILED,
    `QualityGate: solution version ${candidateArn} failed the quality gate; ${kept}.\n` +
      `${decision.report}\n` +
      `Fix the data and run the update again, or serve this version anyway by approving it: ` +
      `set the gate's approve to ${candidateArn} ` +
      `(in this project: pulumi config set --path qualityGate.approve ${candidateArn}).`,
  );
}

/** The gate's settings out of checked inputs or stored outputs. */
function requestOf(props: GateInputs): Omit<GateRequest, "candidate" | "serving"> {
  return {
    metric: props.metric,
    minimum: props.minimum,
    maxDrop: props.maxDrop,
    ...(typeof props.approve === "string" ? { approve: props.approve } : {}),
  };
}

/** How long the gate keeps asking for metrics through throttles and server errors. */
const METRICS_MINUTES = 10;

/**
 * GetSolutionMetrics of one version, through the providers' lifecycle context: like every call
 * of the Personalize providers, it retries throttles, server errors and network errors until
 * its deadline, and "not ready yet" (ResourceInUseException) too: the SDK's own three attempts
 * would fail a deploy on a busy account.
 */
async function metricsOf(props: Props, arn: string): Promise<Record<string, number>> {
  const ctx = makeContext({ kind: "QualityGate", defaultTimeoutMinutes: METRICS_MINUTES }, props);
  try {
    const answer = await retryLater(
      ctx,
      `the metrics of solution version ${arn}`,
      () => ctx.api.getSolutionMetrics({ solutionVersionArn: arn }),
      ["ResourceInUseException"],
    );
    return plain(answer.metrics ?? {}) as Record<string, number>;
  } catch (err) {
    throw namedError(
      "QualityGateMetricsUnavailable",
      `QualityGate: cannot read the metrics of solution version ${arn}: ${errorMessage(err)}`,
    );
  }
}

const isMetrics = (value: unknown): value is Record<string, number> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** The stored outputs: the inputs (diff compares against them) and the decision. */
function outputsOf(inputs: Props, decision: GateDecision, metrics: Record<string, number>): Props {
  const outs: Props = {};
  for (const [key, value] of Object.entries(inputs)) if (!key.startsWith("__")) outs[key] = value;
  return plain({
    ...outs,
    approvedVersionArn: decision.approvedVersionArn,
    approvedMetrics: metrics,
    verdict: decision.verdict,
    threshold: decision.threshold,
    report: decision.report,
  }) as Props;
}

/** The output keys besides the inputs. */
const GATE_OUTPUTS = ["approvedVersionArn", "approvedMetrics", "verdict", "threshold", "report"];

export class QualityGateProvider implements pulumi.dynamic.ResourceProvider {
  /**
   * Called on every preview and up: validates, fills defaults, and states `approvedVersionArn`
   * as the candidate, which is what it is after every gate that passes. A preview returns the
   * checked inputs as a planned update's outputs, so it shows the campaign's plan for an up
   * that passes instead of an unknown version (a failing up fails anyway).
   */
  async check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
    const known = Object.keys(FIELDS);
    const failures: Failure[] = [];
    const inputs: Props = { ...DEFAULTS, region: defaultRegion() };
    for (const [key, value] of Object.entries(news)) {
      if (key.startsWith("__") || value === undefined || value === null) continue;
      if (!known.includes(key)) {
        failures.push({
          property: key,
          reason: `${key} is not a property of QualityGate; known properties: ${known.join(", ")}`,
        });
      } else inputs[key] = value;
    }
    checkString(failures, "solutionVersionArn", inputs.solutionVersionArn, {
      required: true,
      pattern: VERSION_ARN,
      hint: VERSION_HINT,
    });
    checkArn(failures, "solutionArn", inputs.solutionArn, "personalize", { required: false });
    checkVersionOfSolution(failures, inputs);
    checkString(failures, "metric", inputs.metric, {
      min: 1,
      max: 256,
      pattern: METRIC,
      hint: `is not a metric name such as ${DEFAULTS.metric}`,
    });
    checkNumber(failures, "minimum", inputs.minimum, { min: 0, max: 1 });
    checkNumber(failures, "maxDrop", inputs.maxDrop, { min: 0, max: 1 });
    checkString(failures, "approve", inputs.approve, { pattern: VERSION_ARN, hint: VERSION_HINT });
    checkRegion(failures, "region", inputs.region);
    checkEndpoint(failures, "endpoint", inputs.endpoint);
    inputs.approvedVersionArn = inputs.solutionVersionArn;
    if (news.__provider !== undefined) inputs.__provider = news.__provider;
    return { inputs: plain(inputs) as Props, failures };
  }

  /**
   * Called with the stored outputs and the checked inputs: a new candidate or setting is an
   * update. In a preview, a version updated in place (its tags) has an unknown ARN like a new
   * one; an unchanged, known `trainedFrom` tells them apart, so the preview shows the plan the
   * up then follows.
   */
  async diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const same = (field: string) =>
      !isUnknown(news[field]) && canonical(olds[field]) === canonical(news[field]);
    const changed = Object.keys(FIELDS).filter(
      (field) =>
        !same(field) &&
        !(
          field === "solutionVersionArn" &&
          isUnknown(news.solutionVersionArn) &&
          news.trainedFrom !== undefined &&
          same("trainedFrom")
        ),
    );
    return {
      changes: changed.length > 0,
      replaces: changed.filter((field) => changeOf(field) === "replace"),
      deleteBeforeReplace: false,
    };
  }

  /** Called on up for a new gate: nothing is served yet, so only the floor applies. */
  async create(inputs: GateInputs): Promise<pulumi.dynamic.CreateResult> {
    const arn = inputs.solutionVersionArn;
    const metrics = await metricsOf(inputs, arn);
    const decision = decideGate({ ...requestOf(inputs), candidate: { arn, metrics } });
    if (decision.verdict === "failed") throw gateFailure(decision, arn);
    return { id: randomUUID(), outs: outputsOf(inputs, decision, metrics) };
  }

  /** Called by refresh: the gate holds nothing in the service, so what it decided stands. */
  async read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult> {
    const stored = props ?? {};
    const inputs: Props = {};
    for (const key of [...Object.keys(FIELDS), "approvedVersionArn"])
      if (stored[key] !== undefined) inputs[key] = stored[key];
    return { id, props: stored, inputs };
  }

  /**
   * Called when diff reported changes: the candidate against the version approved last. A
   * failure throws, and the engine keeps the old outputs: the approved version stays.
   */
  async update(_id: string, olds: Props, news: GateInputs): Promise<pulumi.dynamic.UpdateResult> {
    const arn = news.solutionVersionArn;
    const servingArn =
      typeof olds.approvedVersionArn === "string" ? olds.approvedVersionArn : undefined;
    let serving: GateVersion | undefined;
    if (servingArn !== undefined) {
      const stored = olds.approvedMetrics;
      serving = {
        arn: servingArn,
        metrics: isMetrics(stored) ? stored : await metricsOf(news, servingArn),
      };
    }
    const metrics = serving && serving.arn === arn ? serving.metrics : await metricsOf(news, arn);
    const decision = decideGate({
      ...requestOf(news),
      candidate: { arn, metrics },
      ...(serving ? { serving } : {}),
    });
    if (decision.verdict === "failed") throw gateFailure(decision, arn);
    return { outs: outputsOf(news, decision, metrics) };
  }

  /** Called by destroy and after a replacement: there is nothing to delete. */
  async delete(): Promise<void> {
    // The decision lives in the state only.
  }
}

export const qualityGateProvider = new QualityGateProvider();

export interface QualityGateArgs {
  /** The new solution version (the candidate), e.g. `solutionVersion.arn`. */
  solutionVersionArn: pulumi.Input<string>;
  /**
   * What the candidate was trained from: any value that changes exactly when the solution
   * version is replaced (its solution, name, training mode and training inputs). A preview
   * knows it where it cannot know a version's ARN: while it stays the same, a version updated
   * in place (new tags) is the same candidate, so the gate and the campaign preview no change.
   */
  trainedFrom?: pulumi.Input<unknown>;
  /**
   * The solution the versions belong to. A change replaces the gate: a new solution (whose
   * campaign is new too) starts with nothing approved, so only the floor applies.
   */
  solutionArn?: pulumi.Input<string>;
  /** @default normalized_discounted_cumulative_gain_at_10 */
  metric?: pulumi.Input<string>;
  /** The floor, 0-1. @default 0.05 */
  minimum?: pulumi.Input<number>;
  /** The largest drop against the version approved last, a fraction 0-1. @default 0.1 (10%) */
  maxDrop?: pulumi.Input<number>;
  /** A solution version ARN a person approves: that candidate passes whatever its metrics. */
  approve?: pulumi.Input<string>;
  /** AWS region; defaults to AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1. */
  region?: pulumi.Input<string>;
  /** A custom Personalize endpoint such as the emulator's URL. */
  endpoint?: pulumi.Input<string>;
}

/**
 * A quality gate on roll-forward: `approvedVersionArn` becomes the candidate only if its
 * metric clears the bar (or a person approved it); otherwise the update fails and it stays
 * the version approved before. Give it to the campaign as its `solutionVersionArn`.
 */
export class QualityGate extends dynamicResourceClass<QualityGateArgs, object>(
  qualityGateProvider,
  "personalize",
  "QualityGate",
  [...Object.keys(FIELDS), ...GATE_OUTPUTS],
) {
  declare readonly solutionVersionArn: pulumi.Output<string>;
  declare readonly solutionArn: pulumi.Output<string | undefined>;
  declare readonly metric: pulumi.Output<string>;
  declare readonly minimum: pulumi.Output<number>;
  declare readonly maxDrop: pulumi.Output<number>;
  declare readonly approve: pulumi.Output<string | undefined>;
  declare readonly region: pulumi.Output<string>;
  /** The version that passed (or was approved) last: what the campaign is to serve. */
  declare readonly approvedVersionArn: pulumi.Output<string>;
  declare readonly approvedMetrics: pulumi.Output<Record<string, number>>;
  declare readonly verdict: pulumi.Output<GateVerdict>;
  declare readonly threshold: pulumi.Output<number>;
  /** The decision's table as text (metric, new vs serving, threshold, verdict). */
  declare readonly report: pulumi.Output<string>;
}
