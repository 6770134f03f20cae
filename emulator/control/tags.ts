/**
 * Tags on every resource but schemas: given at create time or with TagResource, read with
 * ListTagsForResource, removed with UntagResource. The model allows lists of 200; the service
 * allows 50 tags per resource, and keys starting with `aws:`
 * are reserved (https://docs.aws.amazon.com/personalize/latest/dg/personalize-managing-tags.html).
 */
import type * as wire from "../api/personalize";
import { ServiceError, invalidInput, notFound } from "../errors";
import type { ControlPlane, Handlers, RequestContext } from "./model";
import type { ResourceRecord } from "./records";

const MAX_TAGS = 50;

function tooMany(count: number, what: string): ServiceError {
  return new ServiceError(
    "TooManyTagsException",
    `${what} would have ${count} tags; a resource can have at most ${MAX_TAGS}.`,
  );
}

/** The rules the model cannot express, for the tags of a Create. */
export function checkTags(tags: readonly wire.Tag[] | undefined): void {
  if (!tags) return;
  const reserved = tags.find((t) => t.tagKey.toLowerCase().startsWith("aws:"));
  if (reserved)
    throw invalidInput(
      `Tag key ${JSON.stringify(reserved.tagKey)} starts with aws:, which is reserved for AWS.`,
    );
  const keys = new Set(tags.map((t) => t.tagKey)).size;
  if (keys > MAX_TAGS) throw tooMany(keys, "The resource");
}

function taggable(model: ControlPlane, arn: string, ctx: RequestContext): ResourceRecord {
  const resource = model.records.get(arn);
  if (!resource || resource.region !== ctx.region)
    throw notFound(`Resource ${arn} does not exist.`);
  if (resource.kind === "schema") throw invalidInput(`Schemas do not support tags (${arn}).`);
  return resource;
}

export const tagOperations: Handlers = {
  TagResource: (model, { resourceArn, tags }, ctx) => {
    checkTags(tags);
    const resource = taggable(model, resourceArn, ctx);
    const merged = new Map(resource.tags.map((t) => [t.tagKey, t.tagValue]));
    for (const tag of tags) merged.set(tag.tagKey, tag.tagValue);
    if (merged.size > MAX_TAGS) throw tooMany(merged.size, resource.arn);
    resource.tags = [...merged].map(([tagKey, tagValue]) => ({ tagKey, tagValue }));
    return {};
  },
  UntagResource: (model, { resourceArn, tagKeys }, ctx) => {
    if (tagKeys.length > MAX_TAGS)
      throw new ServiceError(
        "TooManyTagKeysException",
        `${tagKeys.length} tag keys given; a resource has at most ${MAX_TAGS} tags to remove.`,
      );
    const resource = taggable(model, resourceArn, ctx);
    const drop = new Set(tagKeys);
    resource.tags = resource.tags.filter((t) => !drop.has(t.tagKey));
    return {};
  },
  ListTagsForResource: (model, { resourceArn }, ctx) => ({
    tags: taggable(model, resourceArn, ctx).tags,
  }),
};
