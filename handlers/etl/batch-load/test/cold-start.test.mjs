import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { captureStdout, coldStart, freshImport, shared, withStandInSdk } from "../../support/fakes.mjs";

const INDEX = fileURLToPath(new URL("../index.mjs", import.meta.url));
const ENV = { RECORDS_TABLE: "etl-records", JOBS_TABLE: "etl-jobs" };

describe("cold start", () => {
  it("fails with a clear error naming every missing variable", async () => {
    await assert.rejects(
      freshImport(INDEX, { RECORDS_TABLE: undefined, JOBS_TABLE: undefined }),
      { name: "ConfigurationError", message: /batch-load: required environment variables are not set: RECORDS_TABLE .*, JOBS_TABLE/ },
    );
  });

  it("fails when MAX_CONNECTIONS is invalid", async () => {
    await assert.rejects(
      freshImport(INDEX, { ...ENV, MAX_CONNECTIONS: "-1" }),
      /MAX_CONNECTIONS must be a whole number from 1 to 100/,
    );
  });

  it("loads when its configuration is complete", async () => {
    const module = await freshImport(INDEX, { ...ENV, MAX_CONNECTIONS: undefined });

    assert.equal(typeof module.handler, "function");
  });

  it("fails with a clear error when the etl-shared layer is missing", () => {
    // A separate process: NODE_PATH is only read when Node starts.
    const result = coldStart(INDEX, { ...ENV, NODE_PATH: "" });

    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /etl-shared is not installed/);
  });
});

describe("the exported handler", () => {
  const sandbox = withStandInSdk(INDEX);
  after(() => sandbox.cleanup());

  it("creates one DynamoDB client on first use and sends SDK commands to the configured tables", async () => {
    Object.assign(process.env, ENV, { MAX_CONNECTIONS: "2" });
    const { handler } = await sandbox.importHandler();
    const sdk = await sandbox.importSdk("client-dynamodb");
    const payload = { a: 1 };
    const batch = (jobId) => ({
      jobId,
      records: [{ id: "r-1", payload, source: "crm", jobId, transformedAt: "2024-05-01T12:00:00Z", checksum: shared.job.checksum(payload) }],
    });

    const results = [];
    const output = await captureStdout(async () => {
      assert.equal(sdk.clients.length, 0, "nothing is created before the first invocation");
      results.push(await handler(batch("job-1"), { awsRequestId: "r1" }));
      results.push(await handler(batch("job-2"), { awsRequestId: "r2" }));
    });

    assert.deepEqual(results, [{ jobId: "job-1", loaded: 1 }, { jobId: "job-2", loaded: 1 }]);
    assert.equal(sdk.clients.length, 1, "the client is reused across invocations");
    const sent = sdk.clients[0].sent;
    assert.deepEqual(
      sent.map((command) => command.constructor.name),
      ["BatchWriteItemCommand", "UpdateItemCommand", "BatchWriteItemCommand", "UpdateItemCommand"],
    );
    assert.deepEqual(Object.keys(sent[0].input.RequestItems), ["etl-records"]);
    assert.equal(sent[1].input.TableName, "etl-jobs");
    assert.ok(sent[0] instanceof sdk.BatchWriteItemCommand);
    const entries = output.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual([...new Set(entries.map((e) => e.requestId))], ["r1", "r2"]);
  });
});
