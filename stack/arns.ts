import * as pulumi from "@pulumi/pulumi";
import type { PersonalizeSource } from "./policies";

/**
 * The ARN of a Personalize resource in the stack's account and region, from its path.
 * Personalize derives every ARN but a solution version's from the resource's name
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetGroup.html, and the
 * `Another resource with Arn … already exists` answers), so a program can know them before the
 * resources exist. Paths: `dataset-group/<name>`, `schema/<name>`,
 * `dataset/<dataset group name>/<TYPE>`, `dataset-import-job/<job name>`, `solution/<name>`,
 * `campaign/<name>`. A solution version's ARN ends in an id the service makes up: it has none.
 */
export function personalizeArn(scope: PersonalizeSource, path: string): string {
  return `arn:${scope.partition}:personalize:${scope.region}:${scope.accountId}:${path}`;
}

/**
 * What a dependent is given for a resource's ARN. During a preview, the ARN computed from the
 * scope and the name: the dynamic-provider host does not support provider previews, so the
 * engine returns the checked inputs as the outputs of every previewed create or update
 * (provider_plugin.go in pulumi/pulumi) and `resource.arn` is unknown, which makes every
 * dependent whose ARN input replaces it preview as a replacement, even when the `up` only
 * updates it in place. The computed value still depends on the resource (through its URN), so
 * the engine orders and replaces dependents as before.
 *
 * During an update, the ARN the service gave; if it is not the computed one (an `accountId`
 * that does not match the account), previews of later changes may show replacements the `up`
 * does not make, and a warning says so.
 */
export function previewableArn(
  resource: pulumi.CustomResource & { readonly arn: pulumi.Output<string> },
  computed: pulumi.Input<string>,
): pulumi.Output<string> {
  if (pulumi.runtime.isDryRun()) {
    return pulumi.all([resource.urn, computed]).apply(([, arn]) => arn);
  }
  return pulumi.all([resource.arn, computed]).apply(([arn, expected]) => {
    if (arn !== expected) {
      void pulumi.log.warn(
        `the service's ARN ${arn} is not the one computed for previews, ${expected}: check the accountId config (the emulator's --account-id)`,
        resource,
      );
    }
    return arn;
  });
}
