import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CONTEXT, NOW, awsError, captureLogger, fakeClient, shared } from "../../support/fakes.mjs";

// index.mjs refuses to load without its configuration, just as it fails a
// Lambda cold start, so the environment is set before the module is imported.
process.env.RECORDS_TABLE = "records-from-env";
process.env.JOBS_TABLE = "jobs-from-env";
const { createHandler, CHUNK_SIZE, MAX_RETRIES } = await import("../index.mjs");

const RECORDS = "etl-records-test";
const JOBS = "etl-jobs-test";
const ENV = { RECORDS_TABLE: RECORDS, JOBS_TABLE: JOBS, MAX_CONNECTIONS: "4" };
const TRANSFORMED_AT = "2024-05-01T11:59:00.000Z";

const record = (i, payload = { n: i, name: `name-${i}` }) => ({
  id: `r-${i}`,
  payload,
  source: "crm",
  jobId: "job-1",
  transformedAt: TRANSFORMED_AT,
  checksum: shared.job.checksum(payload),
});
const batch = (n) => ({ jobId: "job-1", records: Array.from({ length: n }, (_, i) => record(i)) });

const isBatchWrite = (command) => command.name === "BatchWriteItemCommand";
const isUpdate = (command) => command.name === "UpdateItemCommand";
const recordIds = (command) => command.input.RequestItems[RECORDS].map((r) => r.PutRequest.Item.recordId.S);
// Lets other pending work run, so concurrent sends overlap as they would over the network.
const tick = () => new Promise((resolve) => setImmediate(resolve));

function setup({ dynamodb = fakeClient(), env = ENV, random = () => 0.5 } = {}) {
  const capture = captureLogger();
  const sleeps = [];
  const handler = createHandler({
    dynamodb,
    env,
    logger: capture.logger,
    now: () => NOW,
    random,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { handler, dynamodb, sleeps, ...capture };
}

describe("loading a batch", () => {
  it("writes the records with BatchWriteItem in chunks of 25, then marks the job loaded", async () => {
    const { handler, dynamodb } = setup();

    const result = await handler(batch(60), CONTEXT);

    assert.deepEqual(result, { jobId: "job-1", loaded: 60 });
    assert.equal(CHUNK_SIZE, 25);
    const writes = dynamodb.sent.filter(isBatchWrite);
    assert.deepEqual(writes.map((c) => c.input.RequestItems[RECORDS].length), [25, 25, 10]);
    assert.deepEqual(writes.flatMap(recordIds), batch(60).records.map((r) => r.id), "every record is written once");
    assert.ok(writes.every((c) => Object.keys(c.input.RequestItems).length === 1));
    assert.equal(dynamodb.sent.at(-1).name, "UpdateItemCommand", "the job is marked loaded after every write");
  });

  it("writes each record as an item keyed by jobId and recordId, with its payload as canonical JSON", async () => {
    const { handler, dynamodb } = setup();
    const payload = { b: [1, "two"], a: { y: true, x: 1.5 } };

    await handler({ jobId: "job-1", records: [record(7, payload)] }, CONTEXT);

    assert.deepEqual(dynamodb.sent[0], {
      name: "BatchWriteItemCommand",
      input: {
        RequestItems: {
          [RECORDS]: [
            {
              PutRequest: {
                Item: {
                  jobId: { S: "job-1" },
                  recordId: { S: "r-7" },
                  source: { S: "crm" },
                  checksum: { S: shared.job.checksum(payload) },
                  transformedAt: { S: TRANSFORMED_AT },
                  loadedAt: { S: "2024-05-01T12:00:00.000Z" },
                  payload: { S: '{"a":{"x":1.5,"y":true},"b":[1,"two"]}' },
                },
              },
            },
          ],
        },
      },
    });
  });

  it("sets status, loadedCount and loadedAt on the job item, only if the job exists", async () => {
    const { handler, dynamodb } = setup();

    await handler(batch(3), CONTEXT);

    assert.deepEqual(dynamodb.sent.filter(isUpdate), [
      {
        name: "UpdateItemCommand",
        input: {
          TableName: JOBS,
          Key: { jobId: { S: "job-1" } },
          UpdateExpression: "SET #status = :status, loadedCount = :count, loadedAt = :loadedAt",
          ConditionExpression: "attribute_exists(jobId)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":status": { S: "loaded" },
            ":count": { N: "3" },
            ":loadedAt": { S: "2024-05-01T12:00:00.000Z" },
          },
        },
      },
    ]);
  });

  it("runs chunks concurrently but never more at once than MAX_CONNECTIONS", async () => {
    const dynamodb = fakeClient(async () => {
      await tick();
      return {};
    });
    const { handler } = setup({ dynamodb, env: { ...ENV, MAX_CONNECTIONS: "3" } });

    await handler(batch(500), CONTEXT);

    assert.equal(dynamodb.sent.filter(isBatchWrite).length, 20);
    assert.equal(dynamodb.peak, 3, "three chunks were in flight together, and never more");
  });
});

describe("unprocessed items", () => {
  it("retries only the unprocessed items, after a backoff, until DynamoDB has written them", async () => {
    let calls = 0;
    const dynamodb = fakeClient(async (command) => {
      if (!isBatchWrite(command)) return {};
      calls += 1;
      const requests = command.input.RequestItems[RECORDS];
      // The first call leaves its last three items unwritten.
      return calls === 1 ? { UnprocessedItems: { [RECORDS]: requests.slice(-3) } } : { UnprocessedItems: {} };
    });
    const { handler, sleeps, entries } = setup({ dynamodb });

    const result = await handler(batch(10), CONTEXT);

    assert.deepEqual(result, { jobId: "job-1", loaded: 10 });
    const writes = dynamodb.sent.filter(isBatchWrite);
    assert.equal(writes.length, 2);
    assert.deepEqual(recordIds(writes[1]), ["r-7", "r-8", "r-9"]);
    assert.deepEqual(sleeps, [75]);
    const retry = entries().find((e) => e.message === "retrying records DynamoDB did not write");
    assert.deepEqual(
      { level: retry.level, chunk: retry.chunk, retry: retry.retry, pending: retry.pending, delayMs: retry.delayMs },
      { level: "warn", chunk: 0, retry: 1, pending: 3, delayMs: 75 },
    );
    assert.equal(dynamodb.sent.filter(isUpdate).length, 1);
  });

  it("retries 5 times with exponential backoff, then throws a RetryableError and leaves the job unmarked", async () => {
    const dynamodb = fakeClient(async (command) => {
      if (!isBatchWrite(command)) return {};
      return { UnprocessedItems: { [RECORDS]: command.input.RequestItems[RECORDS].slice(0, 2) } };
    });
    const { handler, sleeps, entries } = setup({ dynamodb, random: () => 0.999999 });

    await assert.rejects(handler(batch(30), CONTEXT), (err) => {
      assert.ok(err instanceof shared.RetryableError);
      assert.equal(err.name, "RetryableError");
      assert.ok(shared.isRetryable(err));
      assert.match(err.message, /4 of 30 records were still unprocessed by DynamoDB after 5 retries/);
      assert.deepEqual(err.details, { jobId: "job-1", table: RECORDS, unprocessed: 4, records: 30 });
      return true;
    });

    assert.equal(MAX_RETRIES, 5);
    const writes = dynamodb.sent.filter(isBatchWrite);
    assert.equal(writes.length, 2 * (1 + MAX_RETRIES), "each chunk is sent once and retried 5 times");
    const delays = sleeps.filter((_, i) => i % 2 === 0);
    assert.deepEqual(delays, [100, 200, 400, 800, 1600], "the wait doubles each time");
    assert.equal(dynamodb.sent.filter(isUpdate).length, 0);
    assert.equal(entries().at(-1).retryable, true);
  });

  it("waits at least half the backoff whatever the jitter", async () => {
    const dynamodb = fakeClient(async (command) =>
      isBatchWrite(command) ? { UnprocessedItems: { [RECORDS]: command.input.RequestItems[RECORDS] } } : {},
    );
    const { handler, sleeps } = setup({ dynamodb, random: () => 0 });

    await assert.rejects(handler(batch(1), CONTEXT), { name: "RetryableError" });

    assert.deepEqual(sleeps, [50, 100, 200, 400, 800]);
  });
});

describe("AWS failures", () => {
  it("rejects with the original error when BatchWriteItem fails, without retrying it or marking the job", async () => {
    const failure = awsError("AccessDeniedException", "not authorized to perform dynamodb:BatchWriteItem", 403);
    const dynamodb = fakeClient(async () => {
      throw failure;
    });
    const { handler, sleeps, entries } = setup({ dynamodb, env: { ...ENV, MAX_CONNECTIONS: "1" } });

    await assert.rejects(handler(batch(100), CONTEXT), (err) => err === failure);

    assert.equal(dynamodb.sent.length, 1, "chunks still waiting for a connection are not sent");
    assert.deepEqual(sleeps, []);
    const detail = entries().find((e) => e.message === "failed to write records");
    assert.equal(detail.level, "error");
    assert.equal(detail.jobId, "job-1");
    assert.equal(detail.error.name, "AccessDeniedException");
    const failed = entries().at(-1);
    assert.equal(failed.message, "invocation failed");
    assert.equal(failed.retryable, false);
  });

  it("retries a throttled BatchWriteItem and succeeds when the throttling passes", async () => {
    let calls = 0;
    const dynamodb = fakeClient(async (command) => {
      if (isBatchWrite(command) && ++calls <= 2) {
        throw awsError("ProvisionedThroughputExceededException", "Rate of requests exceeds the allowed throughput");
      }
      return {};
    });
    const { handler, sleeps, entries } = setup({ dynamodb });

    assert.deepEqual(await handler(batch(5), CONTEXT), { jobId: "job-1", loaded: 5 });

    assert.equal(dynamodb.sent.filter(isBatchWrite).length, 3);
    assert.equal(sleeps.length, 2);
    assert.ok(entries().some((e) => e.reason === "ProvisionedThroughputExceededException"));
  });

  it("rejects with the original throttling error when it outlasts the retries", async () => {
    const failure = awsError("ThrottlingException", "Rate exceeded");
    const dynamodb = fakeClient(async () => {
      throw failure;
    });
    const { handler, sleeps } = setup({ dynamodb });

    await assert.rejects(handler(batch(5), CONTEXT), (err) => err === failure);

    assert.equal(dynamodb.sent.length, 1 + MAX_RETRIES);
    assert.equal(sleeps.length, MAX_RETRIES);
  });

  it("stops the other chunks once one has failed, and still waits for those in flight", async () => {
    const failure = awsError("ValidationException", "Item size has exceeded the maximum allowed size");
    let finished = 0;
    const dynamodb = fakeClient(async (command) => {
      await tick();
      if (recordIds(command).includes("r-0")) throw failure;
      await tick();
      finished += 1;
      return {};
    });
    const { handler } = setup({ dynamodb, env: { ...ENV, MAX_CONNECTIONS: "2" } });

    await assert.rejects(handler(batch(200), CONTEXT), (err) => err === failure);

    assert.equal(dynamodb.sent.length, 2, "only the chunks already in flight were sent");
    assert.equal(finished, 1, "the other chunk in flight finished before the invocation ended");
  });

  it("rejects with the original error when the job cannot be marked loaded", async () => {
    const failure = awsError("ConditionalCheckFailedException", "The conditional request failed");
    const dynamodb = fakeClient(async (command) => {
      if (isUpdate(command)) throw failure;
      return {};
    });
    const { handler, entries } = setup({ dynamodb });

    await assert.rejects(handler(batch(2), CONTEXT), (err) => err === failure);

    const detail = entries().find((e) => e.message === "records written but the job could not be marked loaded");
    assert.equal(detail.table, JOBS);
  });
});

describe("invalid batches", () => {
  const tampered = batch(2);
  tampered.records[1].payload = { n: 1, name: "changed" };
  const rejected = [
    ["a payload that no longer matches its checksum", tampered, "records[1].checksum does not match its payload"],
    ["duplicate record ids", { jobId: "job-1", records: [record(1), record(1)] }, "records[1].id repeats records[0].id"],
    ["a record from another job", { jobId: "job-1", records: [{ ...record(1), jobId: "job-2" }] }, "records[0].jobId must equal the batch's jobId"],
    ["a record without a checksum", { jobId: "job-1", records: [{ ...record(1), checksum: undefined }] }, "records[0].checksum must be 64 lowercase hex characters"],
    ["a record without a source", { jobId: "job-1", records: [{ ...record(1), source: "" }] }, "records[0].source"],
    ["a record with an unreadable transformedAt", { jobId: "job-1", records: [{ ...record(1), transformedAt: "soon" }] }, "records[0].transformedAt"],
    ["a record with an unknown field", { jobId: "job-1", records: [{ ...record(1), extra: true }] }, 'records[0] has unknown field "extra"'],
    ["a record with an array payload", { jobId: "job-1", records: [{ ...record(1), payload: [] }] }, "records[0].payload must be a JSON object"],
    ["a missing jobId", { records: [record(1)] }, "jobId must be a string"],
    ["an unknown top-level field", { ...batch(1), source: "crm" }, 'unknown field "source"'],
    ["an empty records array", { jobId: "job-1", records: [] }, "records must be an array of 1-500"],
    ["501 records", batch(501), "records must be an array of 1-500"],
    ["a non-object event", [], "the load batch must be a JSON object"],
  ];
  for (const [description, event, expected] of rejected) {
    it(`throws a ValidationError for ${description}, writing nothing`, async () => {
      const { handler, dynamodb } = setup();

      await assert.rejects(handler(event, CONTEXT), (err) => {
        assert.ok(err instanceof shared.ValidationError);
        assert.ok(err.problems.some((p) => p.includes(expected)), `${JSON.stringify(err.problems)} mentions ${expected}`);
        return true;
      });
      assert.equal(dynamodb.sent.length, 0);
    });
  }
});

describe("logging", () => {
  it("writes each line as one JSON object with the request id, and never the payloads", async () => {
    const lines = [];
    const outcomes = [
      async () => ({}),
      async (command) => (isBatchWrite(command) ? { UnprocessedItems: { [RECORDS]: command.input.RequestItems[RECORDS] } } : {}),
      async () => {
        throw awsError("InternalServerError", "Internal server error", 500);
      },
    ];
    for (const respond of outcomes) {
      const run = setup({ dynamodb: fakeClient(respond) });
      await run.handler(batch(3), CONTEXT).catch(() => {});
      await run.handler({ jobId: "job-1", records: "none" }, CONTEXT).catch(() => {});
      lines.push(...run.lines);
    }

    assert.ok(lines.length >= 12);
    for (const line of lines) {
      assert.ok(!line.includes("\n"));
      const entry = JSON.parse(line);
      assert.equal(entry.requestId, "req-0001");
      assert.equal(entry.function, "batch-load");
      assert.equal(entry.timestamp, NOW.toISOString());
    }
    assert.ok(!lines.join("\n").includes("name-1"), "payload values stay out of the logs");
  });
});

describe("creating the handler", () => {
  it("names every missing environment variable", () => {
    assert.throws(
      () => createHandler({ dynamodb: fakeClient(), env: { MAX_CONNECTIONS: "3" } }),
      /batch-load: required environment variables are not set: RECORDS_TABLE .*, JOBS_TABLE/,
    );
  });

  it("refuses an invalid MAX_CONNECTIONS", () => {
    assert.throws(
      () => createHandler({ dynamodb: fakeClient(), env: { ...ENV, MAX_CONNECTIONS: "lots" } }),
      { name: "ConfigurationError", message: /MAX_CONNECTIONS must be a whole number from 1 to 100 \(unset means 10\), got "lots"/ },
    );
  });

  it("refuses a client without a send() method", () => {
    assert.throws(() => createHandler({ dynamodb: undefined, env: ENV }), /dynamodb must have a send\(\) method/);
  });
});
