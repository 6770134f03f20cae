/**
 * The SigV4 credential scope of a request (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`):
 * its service routes the request, its region scopes the resources it sees and shapes the ARNs
 * it creates. Signatures are not verified (any credentials work), but the region must be one
 * an AWS partition could have, so it can go into an ARN.
 */
import { REGION } from "../../rules/aws";
import { follows } from "../../rules/rule";
import { ServiceError } from "../errors";

const CREDENTIAL = "Credential=";
const NOT_IN_SERVICE = /[,\s]/;

/** Whether a string is a region an AWS partition could have (rules/aws.ts, as the providers check it). */
export const isRegion = (text: string) => follows(REGION, text);

/**
 * Service and region from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`.
 * Scanned with indexOf rather than a regular expression: it runs on every request.
 */
export function signingScope(authorization: string | undefined): {
  region?: string;
  service?: string;
} {
  if (!authorization) return {};
  for (
    let at = authorization.indexOf(CREDENTIAL);
    at >= 0;
    at = authorization.indexOf(CREDENTIAL, at + 1)
  ) {
    // AKID/DATE/REGION/SERVICE/: four `/`-terminated fields; the service has no `,` or space.
    const date = authorization.indexOf("/", at + CREDENTIAL.length) + 1;
    if (date === 0) return {};
    const region = authorization.indexOf("/", date) + 1;
    if (region === 0) return {};
    const service = authorization.indexOf("/", region) + 1;
    if (service === 0) return {};
    const end = authorization.indexOf("/", service);
    if (end < 0) return {};
    const name = authorization.slice(service, end);
    if (!NOT_IN_SERVICE.test(name))
      return { region: authorization.slice(region, service - 1), service: name };
  }
  return {};
}

/**
 * The region a request acts in: its signing region, or `defaultRegion` for an unsigned
 * request. A signed request whose region no AWS partition could have is refused, as AWS
 * refuses a credential scoped to an invalid region.
 */
export function requestRegion(scope: { region?: string }, defaultRegion: string): string {
  if (scope.region === undefined) return defaultRegion;
  if (isRegion(scope.region)) return scope.region;
  const shown = JSON.stringify(
    scope.region.length > 40 ? scope.region.slice(0, 40) + "..." : scope.region,
  );
  throw new ServiceError(
    "InvalidSignatureException",
    `Credential should be scoped to a valid region, not ${shown}: use a region such as us-east-1 in the client's configuration.`,
    403,
  );
}
