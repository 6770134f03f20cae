/**
 * The table one resource kind contributes, and the types derived from it. A kind is one
 * `KindTypes` (its inputs, what Describe returns, what it adds as outputs) and one
 * `ResourceSpec` typed by it: the compiler holds the table, the program's arguments, the
 * resource class's outputs and the calls to the service to the same fields, so a field added to
 * the inputs is an input, an output and a diff rule at once (and a row of the README's table,
 * which `providers/docs.ts` renders). Types only: nothing here is serialized.
 */
import type { Personalize } from "@aws-sdk/client-personalize";
import type { Input, Output } from "@pulumi/pulumi";
import type { Failure } from "./validate";

/**
 * Plain JSON properties as the engine passes them: a program's inputs before `check` (any
 * value, or the unknown sentinel in a preview), and stored outputs written by any version of
 * this code.
 */
export type Props = Record<string, unknown>;

/** How a change of one input reaches the service: a new resource, or the update API. */
export type Change = "replace" | "update";

/** A normalisation the service applies to a field: both sides are compared after it. */
export interface Normalization {
  /** For the docs: "compared as JSON", "any case". */
  readonly note: string;
  apply(value: unknown): unknown;
}

interface RuleOptions {
  readonly normalize?: Normalization;
  /** For the docs, e.g. "chosen by check". */
  readonly note?: string;
  /**
   * Not sent to the service: the input only steers the engine (what a change replaces). It is
   * left out of the create request and not read back on refresh.
   */
  readonly local?: true;
}

/** A field whose every change does the same thing. */
export interface FixedRule extends RuleOptions {
  readonly change: Change;
}

/** A field whose change replaces or updates depending on the case. */
export interface DecidedRule extends RuleOptions {
  /** Called by diff with the stored outputs and the checked new inputs. */
  readonly change: (olds: Props, news: Props) => Change;
  /** For the docs: when the change updates in place, and when it replaces. */
  readonly when: { readonly update: string; readonly replace: string };
}

/** How a change of one input reaches the service. */
export type FieldRule = Change | FixedRule | DecidedRule;

/** A status and the reason the service gave for a failure. */
export interface StatusView {
  status?: string;
  failureReason?: string;
}

/** A delay schedule: the first wait, then gaps from `initialMs` growing ×`factor` up to `capMs`. */
export interface Pace {
  /** Before the first call; absent: at once. */
  firstMs?: number;
  initialMs: number;
  factor: number;
  capMs: number;
}

/** What a wait for a resource's status follows. */
export type Transition = "create" | "update" | "delete";

/** What a resource's own operations get: a client built for this call, a deadline, a way to wait. */
export interface Context {
  /** The Personalize API, built for this call from the resource's region and endpoint. */
  api: Personalize;
  kind: string;
  deadline: number;
  timeoutMinutes: number;
  pace: Pace;
  /** Polls `probe` with back-off until it returns a value; throws when the deadline passes. */
  waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T>;
  /** {@link waitFor} at another pace, e.g. {@link statusPace}'s. */
  waitAt<T>(pace: Pace, what: string, probe: () => Promise<T | undefined>): Promise<T>;
  /** How a wait for this resource's status through `transition` polls (providers/pacing.ts). */
  statusPace(transition: Transition): Pace;
}

/** The types of one resource kind; its table (`ResourceSpec`) and resource class follow from them. */
export interface KindTypes {
  /**
   * The kind's own inputs, besides the common ones, as `check` leaves them: plain values,
   * `readonly`, documented as a program sees them (with `@default`). Declared with `type`,
   * not `interface`, so that they are plain properties to the lifecycle.
   */
  readonly inputs: Props;
  /** What the kind's Describe call returns. */
  readonly described: StatusView;
  /** Output-only properties the kind adds, besides `arn` and `status`. */
  readonly outputs?: object;
  /** Inputs `check` fills in when the program leaves them out (the table's `defaults`). */
  readonly defaulted?: PropertyKey;
  /** Inputs `check` chooses: part of the inputs and outputs, but not of a program's arguments. */
  readonly computed?: PropertyKey;
  /** Inputs stored under another output key, because the key means something else as an output. */
  readonly renamed?: object;
}

type Own<T extends KindTypes> = T["inputs"];
type Added<T extends KindTypes> = T extends { outputs: infer O extends object } ? O : Empty;
type DefaultedKeys<T extends KindTypes> = T extends { defaulted: infer K }
  ? K & keyof Own<T>
  : never;
type ComputedKeys<T extends KindTypes> = T extends { computed: infer K } ? K & keyof Own<T> : never;
type Renames<T extends KindTypes> = T extends { renamed: infer R extends object } ? R : Empty;
type Empty = Record<never, never>;

/** Inputs every Personalize resource takes besides its own fields. */
export type CommonInputs = {
  /**
   * The AWS region. Stored by `check`; a change replaces the resource.
   * @default AWS_REGION, then AWS_DEFAULT_REGION, then "us-east-1"
   */
  readonly region?: string;
  /**
   * A custom endpoint such as the emulator's URL. Credentials still come from the environment.
   * @default the SDK's endpoint for the region
   */
  readonly endpoint?: string;
  /**
   * How long create, update and delete may wait for the service, in minutes (at most 10080).
   * @default the kind's default timeout (README, "Personalize resources")
   */
  readonly timeoutMinutes?: number;
  /**
   * The provider code version. A change is an in-place update that refreshes the outputs and
   * the provider code stored with them.
   * @default PROVIDER_VERSION
   */
  readonly providerVersion?: string;
};

/** The input of every kind that takes tags. */
export type Tagged = {
  /**
   * Tags of the resource; they update in place.
   * @default no tags
   */
  readonly tags?: Record<string, string>;
};

/** The common inputs after `check`: defaults filled in. */
type CheckedCommon = {
  readonly region: string;
  readonly endpoint?: string;
  readonly timeoutMinutes: number;
  readonly providerVersion: string;
  /** The serialized provider code, which the engine passes along with the inputs. */
  readonly __provider?: string;
};

/**
 * The inputs as `check` returns them and create and update receive them: every value
 * validated and known (create and update never run in a preview), defaults filled in.
 */
export type Checked<T extends KindTypes> = Own<T> & {
  readonly [K in DefaultedKeys<T>]-?: Exclude<Own<T>[K], undefined>;
} & CheckedCommon;

/** The create request built from checked inputs: the API fields by name, tags as the API's list. */
export type ServiceRequest<T extends KindTypes> = Omit<Own<T>, "tags"> & {
  readonly tags?: { tagKey: string; tagValue: string }[];
};

/** One added output, computed from the Describe answer (and, if need be, another call). */
export type OutputRule<T extends KindTypes, V> = (
  described: T["described"],
  ctx: Context,
  arn: string,
) => V | Promise<V>;

/** An in-place update: one call carrying the new values, then the service runs the update. */
export interface UpdateApi<T extends KindTypes> {
  /** Sends the update call; made only when a field whose rule is "update" changed. */
  call(ctx: Context, arn: string, news: Checked<T>): Promise<unknown>;
  /** Where Describe reports the update's progress, apart from the resource's own status (`latestCampaignUpdate` ...). */
  progress(described: T["described"]): StatusView | undefined;
}

/**
 * The table one resource contributes. Everything else (checking, diffing, calling, waiting,
 * cleaning up, tags) is shared by all resources in lifecycle.ts.
 */
export interface SpecCore<T extends KindTypes> {
  /** The type name, also used in messages: `Campaign`. */
  readonly kind: string;
  /** Each input field (but `tags`) and how a change reaches the service. */
  readonly fields: { readonly [K in Exclude<keyof Own<T>, "tags">]-?: FieldRule };
  /** Whether the kind takes tags: exactly when its inputs have `tags`. */
  readonly taggable: "tags" extends keyof Own<T> ? true : false;
  readonly defaultTimeoutMinutes: number;
  /** Defaults filled in by check. */
  readonly defaults?: Partial<Own<T>>;
  /** Inputs stored under another output key. */
  readonly outputKeyOf?: { readonly [K in keyof Own<T>]?: string };
  /** The outputs the kind adds, each computed from Describe. */
  readonly outputs?: { readonly [K in keyof Added<T>]-?: OutputRule<T, Added<T>[K]> };
  /**
   * Resource-specific validation of the program's inputs (any values; the unknown sentinel in
   * a preview); may return adjusted inputs (normalised values, generated names).
   */
  validate(inputs: Props, failures: Failure[], olds: Props): Props | void;
  /**
   * The physical identity (what the ARN is made of), from inputs that may hold unknowns. A
   * replacement that keeps it must delete first, because the name is taken until the old
   * resource is gone. Undefined: every replacement gets a new identity.
   */
  identity?(inputs: Props): string | undefined;
  /**
   * The create call; returns the ARN. `request` holds the fields the service takes, named as
   * the API names them (every field but the local ones, under its own name) and the tag list.
   */
  create(ctx: Context, request: ServiceRequest<T>, inputs: Checked<T>): Promise<string>;
  /** The Describe call. Throws ResourceNotFoundException when gone. */
  describe(ctx: Context, arn: string): Promise<T["described"]>;
  /**
   * For kinds whose names cannot collide on create (an import job's is new for every job, a
   * version's is not unique): the ARNs of ones still being created for these inputs. A run
   * interrupted during the create left it; create takes over the stack's own instead of
   * starting a second import or a second (billed) training.
   */
  inFlight?(ctx: Context, inputs: Checked<T>): Promise<string[]>;
  /**
   * Terminal statuses that mean creation failed although they do not end in FAILED (e.g.
   * CREATE STOPPED for a version): create throws, and diff replaces a resource stored with one.
   */
  readonly failedStatuses?: readonly string[];
  /** The service's values of the input fields, for refresh; default: the API fields of the same name. */
  inputsFromService?(described: T["described"]): Props;
  /** The update API, where there is one. Absent: every field but the common ones and tags replaces. */
  readonly update?: UpdateApi<T>;
  /** The delete call. Absent: the resource cannot be deleted and delete means forgetting it. */
  delete?(ctx: Context, arn: string): Promise<unknown>;
  /** Delete ends when the call returns (stop-then-forget), instead of when Describe says NotFound. */
  readonly forgetAfterDelete?: boolean;
}

/**
 * A kind's table. The parts that depend on the kind's types are required exactly when they
 * apply: `defaults` when it has defaulted inputs, `outputKeyOf` when it renames some.
 */
export type ResourceSpec<T extends KindTypes> = SpecCore<T> &
  ([DefaultedKeys<T>] extends [never]
    ? unknown
    : {
        readonly defaults: { readonly [K in DefaultedKeys<T>]-?: Exclude<Own<T>[K], undefined> };
      }) &
  (keyof Renames<T> extends never ? unknown : { readonly outputKeyOf: Renames<T> }) &
  (keyof Added<T> extends never
    ? unknown
    : { readonly outputs: NonNullable<SpecCore<T>["outputs"]> });

/** The stored outputs: the checked inputs under their output keys, what the kind adds, arn and status. */
export type Stored<T extends KindTypes> = {
  readonly [
    K in keyof Checked<T> as K extends `__${string}`
      ? never
      : K extends keyof Renames<T>
        ? Extract<Renames<T>[K], string>
        : K
  ]: Checked<T>[K];
} & Added<T> & { readonly arn: string; readonly status: string };

/** An argument as a program gives it: a value, a promise or an Output, also inside lists and maps. */
export type InputOf<V> = Input<
  V extends readonly (infer E)[]
    ? Input<E>[]
    : V extends Record<string, string>
      ? Record<string, Input<string>>
      : V
>;

/** Every property of `X` as a program gives it. */
export type Lifted<X> = { readonly [K in keyof X]: InputOf<X[K]> };

/** A program's arguments for a kind: its inputs (but the computed ones) and the common ones. */
export type ArgsOf<T extends KindTypes> = Lifted<Omit<Own<T>, ComputedKeys<T>> & CommonInputs>;

/** A resource class's outputs: one Output per stored output. */
export type OutputsOf<O> = { readonly [K in keyof O]-?: Output<O[K]> };
