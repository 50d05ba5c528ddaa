import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { CONTEXT, NOW, awsError, captureLogger, decodePayload, fakeClient, shared } from "../../support/fakes.mjs";

// index.mjs refuses to load without LOAD_FUNCTION, just as it fails a Lambda
// cold start, so it is set before the module is imported.
process.env.LOAD_FUNCTION = "load-from-env";
const { createHandler, transformBatch, normalise } = await import("../index.mjs");

const ENV = { LOAD_FUNCTION: "etl-load-test" };
const sha256 = (text) => createHash("sha256").update(text, "utf8").digest("hex");

const batch = () => ({
  jobId: "job-1",
  source: "crm-export",
  records: [
    {
      id: "r-1",
      payload: {
        Name: "  Ada Lovelace ",
        EMAIL: "ada@example.com\n",
        Age: 36,
        Active: true,
        Nickname: null,
        Address: { City: " London ", Zip: null, Lines: [" 12 St James's Square ", null] },
      },
    },
    { id: "r-2", payload: { name: "Grace" } },
  ],
});

function setup({ lambda = fakeClient(async () => ({ StatusCode: 202 })), now = () => NOW } = {}) {
  const capture = captureLogger();
  const handler = createHandler({ lambda, env: ENV, logger: capture.logger, now });
  return { handler, lambda, ...capture };
}

describe("transforming a batch", () => {
  it("trims strings, lower-cases keys and drops null fields at every level", async () => {
    const { handler, lambda } = setup();

    await handler(batch(), CONTEXT);

    const { records } = decodePayload(lambda.sent[0].input.Payload);
    assert.deepEqual(records[0].payload, {
      name: "Ada Lovelace",
      email: "ada@example.com",
      age: 36,
      active: true,
      address: { city: "London", lines: ["12 St James's Square", null] },
    });
  });

  it("adds source, jobId, transformedAt and the sha256 of the payload's canonical JSON to every record", async () => {
    const { handler, lambda } = setup();

    await handler(batch(), CONTEXT);

    const { records } = decodePayload(lambda.sent[0].input.Payload);
    const canonical =
      '{"active":true,"address":{"city":"London","lines":["12 St James\'s Square",null]},' +
      '"age":36,"email":"ada@example.com","name":"Ada Lovelace"}';
    assert.deepEqual(Object.keys(records[0]).sort(), ["checksum", "id", "jobId", "payload", "source", "transformedAt"]);
    assert.equal(records[0].id, "r-1");
    assert.equal(records[0].source, "crm-export");
    assert.equal(records[0].jobId, "job-1");
    assert.equal(records[0].transformedAt, "2024-05-01T12:00:00.000Z");
    assert.equal(records[0].checksum, sha256(canonical));
    assert.equal(records[1].checksum, sha256('{"name":"Grace"}'));
  });

  it("invokes LOAD_FUNCTION asynchronously with the jobId and the transformed records", async () => {
    const { handler, lambda } = setup();

    const result = await handler(batch(), CONTEXT);

    assert.deepEqual(result, { jobId: "job-1", transformed: 2 });
    assert.equal(lambda.sent.length, 1);
    const { name, input } = lambda.sent[0];
    assert.equal(name, "InvokeCommand");
    assert.equal(input.FunctionName, "etl-load-test");
    assert.equal(input.InvocationType, "Event");
    assert.ok(input.Payload instanceof Uint8Array);
    const payload = decodePayload(input.Payload);
    assert.deepEqual(Object.keys(payload), ["jobId", "records"]);
    assert.equal(payload.jobId, "job-1");
    assert.deepEqual(payload.records.map((r) => r.id), ["r-1", "r-2"]);
  });

  it("keeps a __proto__ key as data rather than changing the payload's prototype", () => {
    const payload = JSON.parse('{"__proto__": {"Admin": " yes "}, "Name": "x"}');

    const result = normalise(payload);

    assert.equal(Object.getPrototypeOf(result), Object.prototype);
    assert.deepEqual(Object.keys(result), ["__proto__", "name"]);
    assert.equal(JSON.stringify(result), '{"__proto__":{"admin":"yes"},"name":"x"}');
  });

  it("keeps empty strings, zeros and false, which are values rather than missing fields", () => {
    assert.deepEqual(normalise({ A: "   ", B: 0, C: false, D: [] , E: {} }), { a: "", b: 0, c: false, d: [], e: {} });
  });
});

describe("the checksum", () => {
  it("is the same for the same input, whenever it is transformed", () => {
    const first = transformBatch(batch(), "2024-05-01T12:00:00.000Z");
    const second = transformBatch(batch(), "2030-01-01T00:00:00.000Z");

    assert.deepEqual(first.problems, []);
    assert.deepEqual(first.records.map((r) => r.checksum), second.records.map((r) => r.checksum));
    assert.match(first.records[0].checksum, /^[0-9a-f]{64}$/);
  });

  it("does not depend on key order, key case, surrounding spaces or null fields", () => {
    const a = { jobId: "j", source: "s", records: [{ id: "r", payload: { b: { y: 2, x: 1 }, a: "v" } }] };
    const b = { jobId: "j", source: "s", records: [{ payload: { A: " v ", B: { X: 1, Y: 2, z: null }, c: null }, id: "r" }] };

    assert.equal(transformBatch(a, "t").records[0].checksum, transformBatch(b, "t").records[0].checksum);
  });

  it("changes when a value changes", () => {
    const a = { jobId: "j", source: "s", records: [{ id: "r", payload: { amount: 10 } }] };
    const b = { jobId: "j", source: "s", records: [{ id: "r", payload: { amount: 11 } }] };

    assert.notEqual(transformBatch(a, "t").records[0].checksum, transformBatch(b, "t").records[0].checksum);
  });

  it("is what etl-shared's checksum gives for the normalised payload, so batch-load can verify it", () => {
    const { records } = transformBatch(batch(), "t");

    for (const record of records) assert.equal(record.checksum, shared.job.checksum(record.payload));
  });
});

describe("invalid batches", () => {
  const rejected = [
    ["a missing jobId", { ...batch(), jobId: undefined }, "jobId"],
    ["an empty source", { ...batch(), source: "" }, "source"],
    ["an empty records array", { ...batch(), records: [] }, "records must be an array of 1-500"],
    ["an unknown top-level field", { ...batch(), retries: 1 }, 'unknown field "retries"'],
    ["a record with a non-object payload", { ...batch(), records: [{ id: "r-1", payload: [1] }] }, "records[0].payload must be a JSON object"],
    ["a record with an unknown field", { ...batch(), records: [{ id: "r-1", payload: {}, x: 1 }] }, 'records[0] has unknown field "x"'],
    ["duplicate record ids", { ...batch(), records: [{ id: "a", payload: {} }, { id: "a", payload: {} }] }, "records[1].id repeats records[0].id"],
    ["keys that differ only in case", { ...batch(), records: [{ id: "a", payload: { Inner: { Name: 1, name: 2 } } }] }, 'records[0].payload has keys that differ only in case at "inner.name"'],
    ["a non-object event", "job-1", "the job request must be a JSON object"],
  ];
  for (const [description, event, expected] of rejected) {
    it(`throws a ValidationError for ${description}, invoking nothing`, async () => {
      const { handler, lambda } = setup();

      await assert.rejects(handler(event, CONTEXT), (err) => {
        assert.ok(err instanceof shared.ValidationError);
        assert.equal(err.name, "ValidationError");
        assert.ok(err.problems.some((p) => p.includes(expected)), `${JSON.stringify(err.problems)} mentions ${expected}`);
        return true;
      });
      assert.equal(lambda.sent.length, 0);
    });
  }

  it("collects the problems of every invalid record and refuses the whole batch", async () => {
    const { handler, lambda, entries } = setup();
    const event = {
      ...batch(),
      records: [
        { id: "ok-1", payload: { a: 1 } },
        { id: "", payload: { a: 1 } },
        { id: "ok-2", payload: { a: 1 } },
        { id: "bad-payload", payload: "nope" },
        { id: "case", payload: { A: 1, a: 2 } },
      ],
    };

    await assert.rejects(handler(event, CONTEXT), (err) => {
      assert.equal(err.name, "ValidationError");
      assert.deepEqual(err.problems, [
        "records[1].id must be a string of 1-64 characters",
        "records[3].payload must be a JSON object",
      ]);
      return true;
    });
    assert.equal(lambda.sent.length, 0, "no record of an invalid batch is passed on");
    const warning = entries().find((e) => e.message === "batch rejected");
    assert.equal(warning.level, "warn");
    assert.equal(warning.problemCount, 2);
    const failure = entries().at(-1);
    assert.equal(failure.message, "invocation failed");
    assert.equal(failure.retryable, false);
    assert.equal(failure.error.name, "ValidationError");
  });

  it("reports case collisions once the other problems are fixed", async () => {
    const { handler } = setup();
    const event = { ...batch(), records: [{ id: "a", payload: { A: 1, a: 2 } }, { id: "b", payload: { x: { Y: 1, y: null } } }] };

    await assert.rejects(handler(event, CONTEXT), (err) => {
      assert.deepEqual(err.problems, ['records[0].payload has keys that differ only in case at "a"']);
      return true;
    });
  });

  it("refuses a batch that would be too large to hand to the load function", async () => {
    const { handler, lambda } = setup();
    // Within the request limit, but every record gains source, jobId,
    // transformedAt and a checksum, and "İ" takes more bytes once lower-cased.
    const event = {
      jobId: "j".repeat(64),
      source: "s".repeat(128),
      records: Array.from({ length: 500 }, (_, i) => ({ id: `r-${i}`, payload: { ["İ".repeat(570)]: 1 } })),
    };
    assert.deepEqual(shared.job.validateJobRequest(event), []);

    await assert.rejects(handler(event, CONTEXT), (err) => {
      assert.equal(err.name, "ValidationError");
      assert.match(err.problems[0], /transformed batch is \d+ bytes; an asynchronous invocation accepts at most 1000000/);
      return true;
    });
    assert.equal(lambda.sent.length, 0);
  });
});

describe("AWS failures", () => {
  it("rejects with the original error when invoking the load function fails", async () => {
    const failure = awsError("TooManyRequestsException", "Rate exceeded", 429);
    const lambda = fakeClient(async () => {
      throw failure;
    });
    const { handler, entries } = setup({ lambda });

    await assert.rejects(handler(batch(), CONTEXT), (err) => err === failure);

    const detail = entries().find((e) => e.message === "failed to invoke the load function");
    assert.equal(detail.level, "error");
    assert.equal(detail.jobId, "job-1");
    assert.equal(detail.loadFunction, "etl-load-test");
    const failed = entries().at(-1);
    assert.equal(failed.message, "invocation failed");
    assert.equal(failed.retryable, true);
    assert.equal(failed.error.name, "TooManyRequestsException");
  });
});

describe("logging", () => {
  it("writes each line as one JSON object with the request id, and never the payloads", async () => {
    const lines = [];
    const failing = fakeClient(async () => {
      throw awsError("ServiceException", "Lambda was unable to process the request", 500);
    });
    for (const lambda of [fakeClient(), failing]) {
      const run = setup({ lambda });
      await run.handler(batch(), CONTEXT).catch(() => {});
      await run.handler({ ...batch(), source: "" }, CONTEXT).catch(() => {});
      lines.push(...run.lines);
    }

    assert.ok(lines.length >= 8);
    for (const line of lines) {
      assert.ok(!line.includes("\n"));
      const entry = JSON.parse(line);
      assert.equal(entry.requestId, "req-0001");
      assert.equal(entry.function, "batch-transform");
      assert.equal(entry.timestamp, NOW.toISOString());
    }
    const all = lines.join("\n");
    for (const value of ["Ada", "ada@example.com", "London"]) assert.ok(!all.includes(value), `logs must not contain ${value}`);
  });
});

describe("creating the handler", () => {
  it("fails with a clear error when LOAD_FUNCTION is missing", () => {
    assert.throws(() => createHandler({ lambda: fakeClient(), env: {} }), /batch-transform: required environment variable is not set: LOAD_FUNCTION/);
  });

  it("refuses a client without a send() method", () => {
    assert.throws(() => createHandler({ lambda: {}, env: ENV }), /lambda must have a send\(\) method/);
  });
});
