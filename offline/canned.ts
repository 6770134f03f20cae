/**
 * Stand-ins for what the offline engine cannot run: custom resources of real providers
 * (`aws.s3.Bucket`, `aws.iam.Role`, ...) get canned outputs, and the AWS provider's invokes
 * (caller identity, region, partition) canned answers, so a program written for AWS runs
 * offline. The account is the emulator's default, `000000000000`.
 */
import type * as pulumi from "@pulumi/pulumi";

export const OFFLINE_ACCOUNT = "000000000000";

/** Outputs of a non-dynamic custom resource: its id, an ARN of its service's shape, its name. */
export function cannedOutputs(
  type: string,
  id: string,
  region = "us-east-1",
): Record<string, unknown> {
  // `aws:s3/bucketV2:BucketV2` -> service `s3`; anything else keeps its package name.
  const [pkg, module = ""] = type.split(":");
  const service = pkg === "aws" ? module.split("/")[0] : pkg;
  const arn =
    service === "s3"
      ? `arn:aws:s3:::${id}`
      : service === "iam"
        ? `arn:aws:iam::${OFFLINE_ACCOUNT}:${type.split(":")[2]?.toLowerCase() ?? "resource"}/${id}`
        : `arn:aws:${service}:${region}:${OFFLINE_ACCOUNT}:${id}`;
  return { id, arn, name: id, ...(service === "s3" ? { bucket: id } : {}) };
}

/** The AWS provider's invokes the stack uses; any other invoke echoes its inputs. */
export function cannedInvoke(
  args: pulumi.runtime.MockCallArgs,
  region = "us-east-1",
): Record<string, unknown> {
  switch (args.token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: OFFLINE_ACCOUNT,
        arn: `arn:aws:iam::${OFFLINE_ACCOUNT}:user/offline`,
        userId: "offline",
        id: OFFLINE_ACCOUNT,
      };
    case "aws:index/getRegion:getRegion":
      return { name: region, region, id: region, endpoint: `${region}.amazonaws.com` };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    default:
      return { ...args.inputs };
  }
}

export function randomHex(n: number): string {
  return Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");
}
