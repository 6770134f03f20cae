// Mocha root hooks. A serialization error under Pulumi's mock runtime surfaces only as an
// unhandled rejection and would otherwise look like a hang until the test times out.
process.on("unhandledRejection", (reason) => {
  throw reason;
});

export const mochaHooks = {};
