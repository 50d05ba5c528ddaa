import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { captureStdout, coldStart, decodePayload, freshImport, withStandInSdk } from "../../support/fakes.mjs";

const INDEX = fileURLToPath(new URL("../index.mjs", import.meta.url));
const ENV = { JOBS_TABLE: "etl-jobs", TRANSFORM_FUNCTION: "etl-transform" };
const secrets = { DATABASE_URL: "postgres://etl:Zq8-db-password-91x@db.internal/etl", API_KEY: "sk_live_4f0c1d2e3b4a5968" };

describe("cold start", () => {
  it("fails with a clear error naming every missing variable, and no secret", async () => {
    await assert.rejects(
      freshImport(INDEX, { ...secrets, JOBS_TABLE: undefined, TRANSFORM_FUNCTION: undefined }),
      (err) => {
        assert.match(err.message, /api-handler: required environment variables are not set: JOBS_TABLE .*, TRANSFORM_FUNCTION/);
        for (const value of Object.values(secrets)) assert.ok(!err.message.includes(value), "secrets stay out of the error");
        return true;
      },
    );
  });

  it("fails when a variable is set but blank", async () => {
    await assert.rejects(freshImport(INDEX, { ...ENV, TRANSFORM_FUNCTION: " " }), /not set: TRANSFORM_FUNCTION/);
  });

  for (const value of ["0", "101", "ten", "2.5"]) {
    it(`fails when MAX_CONNECTIONS is ${JSON.stringify(value)}`, async () => {
      await assert.rejects(
        freshImport(INDEX, { ...ENV, MAX_CONNECTIONS: value }),
        { name: "ConfigurationError", message: /MAX_CONNECTIONS must be a whole number from 1 to 100/ },
      );
    });
  }

  it("loads when its configuration is complete", async () => {
    const module = await freshImport(INDEX, { ...ENV, MAX_CONNECTIONS: "5" });

    assert.equal(typeof module.handler, "function");
    assert.equal(typeof module.createHandler, "function");
  });

  it("fails with a clear error when the etl-shared layer is missing", () => {
    // A separate process: NODE_PATH is only read when Node starts.
    const result = coldStart(INDEX, { ...ENV, NODE_PATH: "" });

    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /etl-shared is not installed: attach the etl-shared Lambda layer/);
  });
});

describe("the exported handler", () => {
  const sandbox = withStandInSdk(INDEX);
  after(() => sandbox.cleanup());

  it("creates its clients once on first use and sends SDK commands to the configured table and function", async () => {
    Object.assign(process.env, ENV, { MAX_CONNECTIONS: "2" });
    const { handler } = await sandbox.importHandler();
    const dynamodbSdk = await sandbox.importSdk("client-dynamodb");
    const lambdaSdk = await sandbox.importSdk("client-lambda");
    const job = (jobId) => ({ jobId, source: "crm", records: [{ id: "r-1", payload: { a: 1 } }] });

    const responses = [];
    const output = await captureStdout(async () => {
      assert.equal(dynamodbSdk.clients.length, 0, "nothing is created before the first invocation");
      responses.push(await handler(job("job-1"), { awsRequestId: "r1" }));
      responses.push(await handler(job("job-2"), { awsRequestId: "r2" }));
    });

    assert.deepEqual(responses.map((r) => r.statusCode), [202, 202]);
    assert.equal(dynamodbSdk.clients.length, 1, "the DynamoDB client is reused across invocations");
    assert.equal(lambdaSdk.clients.length, 1, "the Lambda client is reused across invocations");
    const puts = dynamodbSdk.clients[0].sent;
    assert.ok(puts.every((command) => command instanceof dynamodbSdk.PutItemCommand));
    assert.deepEqual(puts.map((c) => c.input.TableName), ["etl-jobs", "etl-jobs"]);
    const invokes = lambdaSdk.clients[0].sent;
    assert.ok(invokes.every((command) => command instanceof lambdaSdk.InvokeCommand));
    assert.deepEqual(invokes.map((c) => [c.input.FunctionName, c.input.InvocationType]), [["etl-transform", "Event"], ["etl-transform", "Event"]]);
    assert.equal(decodePayload(invokes[1].input.Payload).jobId, "job-2");

    const entries = output.trim().split("\n").map((line) => JSON.parse(line));
    assert.ok(entries.length >= 6);
    assert.deepEqual([...new Set(entries.map((e) => e.requestId))], ["r1", "r2"]);
    assert.ok(entries.every((e) => e.function === "api-handler"));
  });
});
