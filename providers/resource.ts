import * as pulumi from "@pulumi/pulumi";
import { outputKeys, PersonalizeProvider, withOutputKeys } from "./lifecycle";
import { packed, registerPacked } from "./packed";
import type { ArgsOf, KindTypes, OutputsOf, Stored } from "./spec";

/** A dynamic resource with an Output per stored output of type `O`. */
export type DynamicResource<O> = pulumi.dynamic.Resource & OutputsOf<O>;

/** The class of a kind's resources, as a program constructs them. */
export interface DynamicResourceClass<A, O> {
  new (name: string, args: A, opts?: pulumi.CustomResourceOptions): DynamicResource<O>;
}

/**
 * A resource class over a provider: type token `<module>:<type>`, and an Output for each of
 * `keys` (the SDK creates Outputs only for keys present in the props, see withOutputKeys).
 * Kept out of lifecycle.ts. The provider host evaluates this module too, with the kinds'
 * modules that define their classes (providers/packed.ts), but constructs no resource.
 */
export function dynamicResourceClass<A extends object, O>(
  provider: pulumi.dynamic.ResourceProvider,
  module: string,
  type: string,
  keys: readonly string[],
): DynamicResourceClass<A, O> {
  registerPacked(module, type, provider);
  class Resource extends pulumi.dynamic.Resource {
    constructor(name: string, args: A, opts?: pulumi.CustomResourceOptions) {
      // The SDK keeps a stack trace with each of the four promises of every Output it makes
      // here, read only by its promise-leak report (PULUMI_DEBUG_PROMISE_LEAKS, pulumi/pulumi
      // sdk/nodejs/runtime/debuggable.ts); under ts-node, source-map-support maps every frame
      // of each at once: 0.15 s of the sample program's load. Without the report they get no
      // frames. The resource's source position takes its own (Resource.callsites, resource.ts).
      const limit = Error.stackTraceLimit;
      if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) Error.stackTraceLimit = 0;
      try {
        super(packed(provider), name, withOutputKeys(args, keys), opts, module, type);
      } catch (error) {
        // Thrown with no frames: its stack is where the program constructed the resource.
        Error.stackTraceLimit = limit;
        if (error instanceof Error) Error.captureStackTrace(error, Resource);
        throw error;
      } finally {
        Error.stackTraceLimit = limit;
      }
    }
  }
  // A class cannot declare members from a mapped type; its props give it exactly these Outputs.
  return Resource as unknown as DynamicResourceClass<A, O>;
}

/** The class of a Personalize kind: `personalize:<kind>`, typed from the kind's types. */
export type PersonalizeResourceClass<T extends KindTypes> = DynamicResourceClass<
  ArgsOf<T>,
  Stored<T>
>;

/**
 * The base class of a kind's resources: type token `personalize:<kind>`, the kind's inputs as
 * its arguments, and an Output for every key of its table (`outputKeys`).
 */
export function personalizeResource<T extends KindTypes>(
  provider: PersonalizeProvider<T>,
): PersonalizeResourceClass<T> {
  return dynamicResourceClass<ArgsOf<T>, Stored<T>>(
    provider,
    "personalize",
    provider.spec.kind,
    outputKeys(provider.spec),
  );
}
