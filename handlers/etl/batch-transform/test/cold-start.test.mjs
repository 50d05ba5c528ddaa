import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { captureStdout, coldStart, decodePayload, freshImport, withStandInSdk } from "../../support/fakes.mjs";

const INDEX = fileURLToPath(new URL("../index.mjs", import.meta.url));

describe("cold start", () => {
  it("fails with a clear error when LOAD_FUNCTION is missing", async () => {
    await assert.rejects(
      freshImport(INDEX, { LOAD_FUNCTION: undefined }),
      { name: "ConfigurationError", message: /batch-transform: required environment variable is not set: LOAD_FUNCTION/ },
    );
  });

  it("loads when LOAD_FUNCTION is set", async () => {
    const module = await freshImport(INDEX, { LOAD_FUNCTION: "etl-load" });

    assert.equal(typeof module.handler, "function");
  });

  it("fails with a clear error when the etl-shared layer is missing", () => {
    // A separate process: NODE_PATH is only read when Node starts.
    const result = coldStart(INDEX, { LOAD_FUNCTION: "etl-load", NODE_PATH: "" });

    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /etl-shared is not installed/);
  });
});

describe("the exported handler", () => {
  const sandbox = withStandInSdk(INDEX);
  after(() => sandbox.cleanup());

  it("creates one Lambda client on first use and sends InvokeCommands to LOAD_FUNCTION", async () => {
    process.env.LOAD_FUNCTION = "etl-load";
    const { handler } = await sandbox.importHandler();
    const sdk = await sandbox.importSdk("client-lambda");
    const batch = (jobId) => ({ jobId, source: "crm", records: [{ id: "r-1", payload: { A: " b " } }] });

    const output = await captureStdout(async () => {
      assert.equal(sdk.clients.length, 0, "nothing is created before the first invocation");
      await handler(batch("job-1"), { awsRequestId: "r1" });
      await handler(batch("job-2"), { awsRequestId: "r2" });
    });

    assert.equal(sdk.clients.length, 1, "the client is reused across invocations");
    const sent = sdk.clients[0].sent;
    assert.ok(sent.every((command) => command instanceof sdk.InvokeCommand));
    assert.deepEqual(sent.map((c) => [c.input.FunctionName, c.input.InvocationType]), [["etl-load", "Event"], ["etl-load", "Event"]]);
    assert.deepEqual(decodePayload(sent[1].input.Payload).records[0].payload, { a: "b" });
    const entries = output.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual([...new Set(entries.map((e) => e.requestId))], ["r1", "r2"]);
  });
});
