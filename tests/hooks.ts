// Mocha's globals (describe, it, ...) for every test file: tsconfig.json's `types` names only
// node, so that the program, which ts-node type-checks under `pulumi preview`, does not load them.
/// <reference types="mocha" />
// Mocha root hooks. A serialization error under Pulumi's mock runtime surfaces only as an
// unhandled rejection and would otherwise look like a hang until the test times out.
process.on("unhandledRejection", (reason) => {
  throw reason;
});

export const mochaHooks = {};

// The SDK warns once per process (the provider hosts the tests start included) that its
// releases after January 2027 need Node 22; the project pins its SDK versions.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
