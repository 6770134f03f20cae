// The front door routes by the SigV4 credential scope: the service and region it reads from
// the Authorization header decide between S3 and Personalize and shape the ARNs.
import { strict as assert } from "node:assert";
import { signingScope } from "../../emulator/http/signing";

const header = (scope: string) =>
  `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=abc`;

describe("signingScope (SigV4 Authorization header)", () => {
  const cases: [string, string | undefined, { region?: string; service?: string }][] = [
    [
      "a Personalize call",
      header("AKID/20260101/eu-west-1/personalize/aws4_request"),
      { region: "eu-west-1", service: "personalize" },
    ],
    [
      "an S3 call",
      header("AKID/20260101/us-east-2/s3/aws4_request"),
      { region: "us-east-2", service: "s3" },
    ],
    ["no header", undefined, {}],
    ["an empty header", "", {}],
    ["no Credential", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc", {}],
    ["a scope cut short", header("AKID/20260101/us-east-1"), {}],
    ["a scope without its terminator", "Credential=AKID/20260101/us-east-1/s3", {}],
    [
      "an empty region (which requestRegion refuses)",
      header("AKID/20260101//personalize/aws4_request"),
      { region: "", service: "personalize" },
    ],
    [
      "a service with a comma, then a well-formed scope",
      "Credential=A/D/r1/per,sonalize/x Credential=B/D/r2/s3/aws4_request",
      { region: "r2", service: "s3" },
    ],
  ];
  for (const [what, authorization, expected] of cases)
    it(`reads ${what}`, () => assert.deepEqual(signingScope(authorization), expected));
});
