import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CONTEXT, NOW, awsError, captureLogger, decodePayload, fakeClient, shared } from "../../support/fakes.mjs";

// index.mjs refuses to load without its configuration, just as it fails a
// Lambda cold start, so the environment is set before the module is imported.
process.env.JOBS_TABLE = "jobs-from-env";
process.env.TRANSFORM_FUNCTION = "transform-from-env";
const { createHandler } = await import("../index.mjs");

const ENV = { JOBS_TABLE: "etl-jobs-test", TRANSFORM_FUNCTION: "etl-transform-test", MAX_CONNECTIONS: "4" };

const job = () => ({
  jobId: "job_2024-0001",
  source: "crm-export",
  records: [
    { id: "r-1", payload: { Name: " Ada ", age: 36 } },
    { id: "r-2", payload: { Name: "Grace", tags: ["navy"] } },
  ],
});

function setup({ dynamodb = fakeClient(), lambda = fakeClient(async () => ({ StatusCode: 202 })), env = ENV, pool } = {}) {
  const capture = captureLogger();
  const handler = createHandler({ dynamodb, lambda, env, pool, logger: capture.logger, now: () => NOW });
  return { handler, dynamodb, lambda, ...capture };
}

describe("accepting a job", () => {
  it("records the job with a conditional PutItem, invokes the transform asynchronously and answers 202", async () => {
    const { handler, dynamodb, lambda } = setup();

    const response = await handler(job(), CONTEXT);

    assert.equal(response.statusCode, 202);
    assert.deepEqual(JSON.parse(response.body), { jobId: "job_2024-0001", status: "accepted", records: 2 });
    assert.deepEqual(response.headers, { "content-type": "application/json" });
    assert.deepEqual(dynamodb.sent, [
      {
        name: "PutItemCommand",
        input: {
          TableName: "etl-jobs-test",
          Item: {
            jobId: { S: "job_2024-0001" },
            source: { S: "crm-export" },
            status: { S: "accepted" },
            recordCount: { N: "2" },
            acceptedAt: { S: "2024-05-01T12:00:00.000Z" },
          },
          ConditionExpression: "attribute_not_exists(jobId)",
        },
      },
    ]);
    assert.equal(lambda.sent.length, 1);
    const { name, input } = lambda.sent[0];
    assert.equal(name, "InvokeCommand");
    assert.equal(input.FunctionName, "etl-transform-test");
    assert.equal(input.InvocationType, "Event");
    assert.ok(input.Payload instanceof Uint8Array, "the payload is bytes, as InvokeCommand expects");
    assert.deepEqual(decodePayload(input.Payload), job());
  });

  it("accepts the job as an API Gateway body string", async () => {
    const { handler, dynamodb } = setup();
    const event = {
      httpMethod: "POST",
      headers: { "content-type": "application/json" },
      requestContext: { requestId: "apigw-1" },
      body: JSON.stringify(job()),
    };

    const response = await handler(event, CONTEXT);

    assert.equal(response.statusCode, 202);
    assert.equal(dynamodb.sent[0].input.Item.jobId.S, "job_2024-0001");
  });

  it("accepts a base64-encoded API Gateway body", async () => {
    const { handler, lambda } = setup();
    const body = Buffer.from(JSON.stringify(job())).toString("base64");

    const response = await handler({ body, isBase64Encoded: true }, CONTEXT);

    assert.equal(response.statusCode, 202);
    assert.deepEqual(decodePayload(lambda.sent[0].input.Payload).records, job().records);
  });

  it("answers 409 without invoking the transform when the job already exists", async () => {
    const dynamodb = fakeClient(async () => {
      throw awsError("ConditionalCheckFailedException", "The conditional request failed");
    });
    const { handler, lambda, entries } = setup({ dynamodb });

    const response = await handler(job(), CONTEXT);

    assert.equal(response.statusCode, 409);
    assert.deepEqual(JSON.parse(response.body), { error: "job already exists", jobId: "job_2024-0001" });
    assert.equal(lambda.sent.length, 0);
    assert.ok(entries().some((e) => e.message === "job already exists" && e.jobId === "job_2024-0001"));
  });

  it("writes to DynamoDB through the pool", async () => {
    const dynamodb = fakeClient();
    const pool = shared.createPool({ max: 1, create: () => dynamodb });
    const { handler } = setup({ dynamodb, pool });
    const held = await pool.acquire();

    const pending = handler(job(), CONTEXT);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(dynamodb.sent.length, 0, "the write waits for a free connection");
    assert.equal(pool.stats().waiting, 1);
    pool.release(held);

    assert.equal((await pending).statusCode, 202);
    assert.equal(dynamodb.sent.length, 1);
    assert.deepEqual(pool.stats(), { max: 1, size: 1, inUse: 0, idle: 1, waiting: 0, peakInUse: 1 });
  });
});

describe("AWS failures", () => {
  it("rejects with the original error when DynamoDB fails, and does not invoke the transform", async () => {
    const failure = awsError("ProvisionedThroughputExceededException", "Rate of requests exceeds the allowed throughput");
    const dynamodb = fakeClient(async () => {
      throw failure;
    });
    const { handler, lambda, entries } = setup({ dynamodb });

    await assert.rejects(handler(job(), CONTEXT), (err) => err === failure);

    assert.equal(lambda.sent.length, 0);
    const failed = entries().find((e) => e.message === "invocation failed");
    assert.equal(failed.level, "error");
    assert.equal(failed.requestId, "req-0001");
    assert.equal(failed.retryable, true);
    assert.equal(failed.error.name, "ProvisionedThroughputExceededException");
    const detail = entries().find((e) => e.message === "failed to record job");
    assert.equal(detail.jobId, "job_2024-0001");
    assert.equal(detail.table, "etl-jobs-test");
  });

  it("rejects with the original error when invoking the transform fails", async () => {
    const failure = awsError("AccessDeniedException", "not authorized to perform lambda:InvokeFunction", 403);
    const lambda = fakeClient(async () => {
      throw failure;
    });
    const { handler, dynamodb, entries } = setup({ lambda });

    await assert.rejects(handler(job(), CONTEXT), (err) => err === failure);

    assert.equal(dynamodb.sent.length, 1, "the job was recorded before the invoke failed");
    const detail = entries().find((e) => e.message === "job recorded but the transform could not be invoked");
    assert.equal(detail.level, "error");
    assert.equal(detail.transformFunction, "etl-transform-test");
    assert.equal(entries().at(-1).retryable, false);
  });

  it("rejects rather than answering when something unexpected is thrown", async () => {
    const failure = new TypeError("boom");
    const dynamodb = fakeClient(async () => {
      throw failure;
    });
    const { handler } = setup({ dynamodb });

    await assert.rejects(handler(job(), CONTEXT), (err) => err === failure);
  });
});

describe("logging", () => {
  it("writes each line as one JSON object carrying the request id and the function name", async () => {
    const conflict = fakeClient(async () => {
      throw awsError("ConditionalCheckFailedException", "The conditional request failed");
    });
    const broken = fakeClient(async () => {
      throw awsError("InternalServerError", "Internal server error", 500);
    });
    const lines = [];
    for (const dynamodb of [fakeClient(), conflict, broken]) {
      const run = setup({ dynamodb });
      await run.handler(job(), CONTEXT).catch(() => {});
      await run.handler({ jobId: "bad id" }, CONTEXT);
      lines.push(...run.lines);
    }

    assert.ok(lines.length >= 12);
    for (const line of lines) {
      assert.ok(!line.includes("\n"), "one object per line");
      const entry = JSON.parse(line);
      assert.equal(entry.requestId, "req-0001");
      assert.equal(entry.function, "api-handler");
      assert.equal(entry.timestamp, NOW.toISOString());
      assert.ok(["info", "warn", "error"].includes(entry.level));
      assert.equal(typeof entry.message, "string");
    }
  });

  it("never logs record payloads or secrets from the environment", async () => {
    const secret = "postgres://etl:Zq8-db-password-91x@db.internal/etl";
    const previous = process.env.DATABASE_URL;
    process.env.DATABASE_URL = secret;
    try {
      const dynamodb = fakeClient(async () => {
        throw awsError("ValidationException", `could not reach ${secret}`);
      });
      const run = setup({ dynamodb });
      await run.handler({ headers: { Authorization: "Bearer abc.def.ghi" }, body: JSON.stringify(job()) }, CONTEXT).catch(() => {});
      await run.handler({ ...job(), extra: 1 }, CONTEXT);

      const all = run.lines.join("\n");
      assert.ok(run.lines.length >= 4);
      for (const value of [secret, "Zq8-db-password-91x", "Bearer abc.def.ghi", "Ada", "Grace"]) {
        assert.ok(!all.includes(value), `logs must not contain ${value}`);
      }
    } finally {
      if (previous === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = previous;
    }
  });
});

describe("creating the handler", () => {
  const clients = { dynamodb: fakeClient(), lambda: fakeClient() };

  it("names every missing environment variable", () => {
    assert.throws(
      () => createHandler({ ...clients, env: {} }),
      (err) => {
        assert.equal(err.name, "ConfigurationError");
        assert.match(err.message, /api-handler/);
        assert.match(err.message, /JOBS_TABLE/);
        assert.match(err.message, /TRANSFORM_FUNCTION/);
        return true;
      },
    );
  });

  it("treats a blank variable as missing", () => {
    assert.throws(() => createHandler({ ...clients, env: { ...ENV, JOBS_TABLE: "  " } }), /JOBS_TABLE/);
  });

  it("refuses an invalid MAX_CONNECTIONS", () => {
    assert.throws(() => createHandler({ ...clients, env: { ...ENV, MAX_CONNECTIONS: "0" } }), /MAX_CONNECTIONS must be a whole number from 1 to 100/);
  });

  it("refuses clients without a send() method", () => {
    assert.throws(() => createHandler({ dynamodb: {}, lambda: clients.lambda, env: ENV }), /dynamodb must have a send\(\) method/);
    assert.throws(() => createHandler({ dynamodb: clients.dynamodb, lambda: null, env: ENV }), /lambda must have a send\(\) method/);
  });
});
