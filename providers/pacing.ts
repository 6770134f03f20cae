/**
 * When the providers ask Personalize how a resource is doing. Each kind and transition has a
 * first Describe, at the earliest moment its status can have changed, and a longest gap
 * between two Describe calls; in between, each gap is half the time waited so far, so a wait
 * ends about half again as late as the status changed at most (and about the longest gap late
 * at most), with a number of calls that grows with the logarithm of the wait. Each gap is
 * jittered by up to a fifth either way (the first only shortened), which spreads the calls of
 * resources created together and keeps their number as planned. On AWS every
 * Describe counts against the account's request rate ("Rate exceeded" throttles): a training
 * that takes an hour costs about 60 of them here, not the 180 of a 20-second poll. The longest
 * gaps are what AWS's own code waits between two calls, or less where a transition can end in a
 * minute or two (configuration, a campaign), so that a wait seldom ends much later than the
 * transition did.
 *
 * The figures are AWS's. What they rest on:
 * - Dataset groups, datasets, solutions, event trackers and filters record configuration and
 *   are ACTIVE within seconds to a minute: AWS's own pipeline polls a dataset group from 5 s
 *   and event trackers and filters from 8 s (×1.25) (aws-solutions/maintaining-personalized-
 *   experiences-with-machine-learning: source/infrastructure/personalize/stack.py,
 *   step_functions/event_tracker_fragment.py, filter_fragment.py), and the developer guide's
 *   dataset group example every 60 s
 *   (https://docs.aws.amazon.com/personalize/latest/dg/data-prep-ds-group.html).
 * - An import job and a training take minutes to hours: the developer guide polls both every
 *   60 s for up to 3 hours
 *   (https://docs.aws.amazon.com/personalize/latest/dg/getting-started-python.html), and AWS's
 *   pipeline polls imports, trainings and campaigns every 60 s for up to about 5 hours
 *   (step_functions/dataset_import_fragment.py, solution_fragment.py). Either can also fail
 *   early, hence a first Describe long before a typical run ends.
 * - "Creating a campaign can take a couple minutes"
 *   (https://docs.aws.amazon.com/personalize/latest/dg/getting-started-console.html), "usually
 *   takes a few minutes but can take over an hour"
 *   (https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-new-item-USER_PERSONALIZATION.html);
 *   an update deploys a version as a create does.
 * - Schemas have no status: their Describe is the first and last.
 */
import { isLoopback } from "./client";
import type { Pace, Transition } from "./spec";

/** One kind's transition on AWS: its first Describe and its longest gap between two. */
interface Timing {
  firstMs: number;
  capMs: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Configuration the service records, in seconds to a minute: a third of it, then half apart. */
const QUICK: Timing = { firstMs: 20 * SECOND, capMs: 30 * SECOND };
/** Deletes: seconds to a few minutes. */
const DELETE: Timing = { firstMs: 5 * SECOND, capMs: 20 * SECOND };
/** Work on the data, minutes to hours: every minute at most, as AWS's code polls both. */
const IMPORT: Timing = { firstMs: MINUTE, capMs: MINUTE };
const TRAINING: Timing = { firstMs: 2 * MINUTE, capMs: MINUTE };
/** A campaign takes "a couple minutes": never more than a quarter of that apart. */
const DEPLOYMENT: Timing = { firstMs: MINUTE, capMs: 30 * SECOND };
const NO_STATUS: Timing = { firstMs: 0, capMs: 5 * SECOND };

/** Per resource kind (the spec's `kind`) and transition, on AWS. */
export const PACING: Record<string, Partial<Record<Transition, Timing>>> = {
  DatasetGroup: { create: QUICK, delete: DELETE },
  Schema: { create: NO_STATUS, delete: NO_STATUS },
  Dataset: { create: QUICK, update: QUICK, delete: DELETE },
  DatasetImportJob: { create: IMPORT },
  Solution: { create: QUICK, update: QUICK, delete: DELETE },
  SolutionVersion: { create: TRAINING },
  Campaign: { create: DEPLOYMENT, update: DEPLOYMENT, delete: DELETE },
  EventTracker: { create: QUICK, delete: DELETE },
  Filter: { create: QUICK, delete: DELETE },
};

/** Each gap is half the time waited so far: a Describe each time the wait has grown by half. */
export const GROWTH = 1.5;

/**
 * Against a loopback endpoint (the emulator) every figure is a hundredth of AWS's: a minute
 * there is 0.6 s here. No lifecycle of the emulator at its default speed is shorter than its
 * kind's first Describe here (emulator/control/lifecycle.ts), so none is described late by
 * design.
 */
export const LOCAL_SCALE = 1 / 100;

/**
 * The pace of calls retried on throttles and server errors, and of a wait with no entry in
 * the table: at once, then from 50 ms against the emulator (it answers in milliseconds) and
 * from 5 s against AWS, growing ×1.5 up to 2 s and 20 s.
 */
export function paceFor(endpoint: string | undefined): Pace {
  return isLoopback(endpoint)
    ? { initialMs: 50, factor: GROWTH, capMs: 2000 }
    : { initialMs: 5000, factor: GROWTH, capMs: 20000 };
}

/** How a wait for `kind`'s status through `transition` polls, at `endpoint`. */
export function statusPace(
  kind: string,
  transition: Transition,
  endpoint: string | undefined,
): Pace {
  const calls = paceFor(endpoint);
  const timing = PACING[kind]?.[transition];
  if (!timing) return calls;
  const scale = isLoopback(endpoint) ? LOCAL_SCALE : 1;
  const firstMs = timing.firstMs * scale;
  return {
    firstMs,
    initialMs: Math.max(firstMs * (GROWTH - 1), calls.initialMs),
    factor: GROWTH,
    capMs: timing.capMs * scale,
  };
}
