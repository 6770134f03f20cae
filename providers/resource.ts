import * as pulumi from "@pulumi/pulumi";
import { outputKeys, PersonalizeProvider, withOutputKeys } from "./lifecycle";

/**
 * The base of every Personalize resource class: type token `personalize:<kind>` and props that
 * carry every output key, so each `declare readonly` output gets its Output. Kept out of
 * lifecycle.ts, which the provider serialization copies: nothing here runs in the provider host.
 */
export class PersonalizeResource extends pulumi.dynamic.Resource {
  declare readonly arn: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly region: pulumi.Output<string>;

  /** `extraOutputs`: what the kind's table adds besides its inputs, arn and status. */
  constructor(
    provider: PersonalizeProvider,
    name: string,
    args: object,
    extraOutputs: readonly string[],
    opts?: pulumi.CustomResourceOptions,
  ) {
    const keys = [...outputKeys(provider.spec), ...extraOutputs];
    super(provider, name, withOutputKeys(args, keys), opts, "personalize", provider.spec.kind);
  }
}
