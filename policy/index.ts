// The policy pack's program: the CLI (or offline/policy.ts) runs it with
// @pulumi/pulumi/cmd/run-policy-pack, and the PolicyPack constructor starts the analyzer's gRPC
// server and prints its port. The policies themselves live in policies.ts.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, { policies });
