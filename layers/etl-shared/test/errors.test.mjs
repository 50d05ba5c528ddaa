import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const { ValidationError, RetryableError, ConfigurationError, isRetryable, wrapHandler, createLogger, requireEnv } =
  createRequire(import.meta.url)("etl-shared");

const NOW = new Date("2024-05-01T12:00:00.000Z");

function capture() {
  const lines = [];
  const logger = createLogger({ write: (line) => lines.push(line), now: () => NOW });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line)) };
}

function awsError(name, httpStatusCode) {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
}

describe("ValidationError", () => {
  it("carries every problem and names them in its message", () => {
    const err = new ValidationError(["jobId is missing", "records is empty"], "Invalid batch");

    assert.ok(err instanceof Error);
    assert.equal(err.name, "ValidationError");
    assert.deepEqual(err.problems, ["jobId is missing", "records is empty"]);
    assert.equal(err.message, "Invalid batch: jobId is missing; records is empty");
  });

  it("keeps its message short when there are many problems", () => {
    const problems = Array.from({ length: 25 }, (_, i) => `problem ${i}`);

    const err = new ValidationError(problems);

    assert.equal(err.problems.length, 25);
    assert.match(err.message, /^Invalid input: problem 0; .*problem 9; and 15 more$/);
  });

  it("accepts a single problem", () => {
    assert.deepEqual(new ValidationError("bad").problems, ["bad"]);
  });
});

describe("RetryableError", () => {
  it("is an Error named RetryableError with optional cause and details", () => {
    const cause = new Error("socket hang up");
    const err = new RetryableError("2 records unprocessed", { cause, details: { unprocessed: 2 } });

    assert.ok(err instanceof Error);
    assert.equal(err.name, "RetryableError");
    assert.equal(err.cause, cause);
    assert.deepEqual(err.details, { unprocessed: 2 });
  });
});

describe("isRetryable", () => {
  const retryable = [
    ["a RetryableError", new RetryableError("later")],
    ["ThrottlingException", awsError("ThrottlingException", 400)],
    ["ProvisionedThroughputExceededException", awsError("ProvisionedThroughputExceededException", 400)],
    ["RequestLimitExceeded", awsError("RequestLimitExceeded", 400)],
    ["TooManyRequestsException", awsError("TooManyRequestsException", 429)],
    ["an HTTP 500", awsError("InternalServerError", 500)],
    ["an HTTP 503", awsError("ServiceUnavailable", 503)],
    ["a connection reset", Object.assign(new Error("reset"), { code: "ECONNRESET" })],
    ["an error the SDK marks retryable", Object.assign(new Error("x"), { $retryable: { throttling: false } })],
  ];
  for (const [description, err] of retryable) {
    it(`is true for ${description}`, () => assert.equal(isRetryable(err), true));
  }

  const permanent = [
    ["a ValidationError", new ValidationError(["bad"])],
    ["a ConditionalCheckFailedException", awsError("ConditionalCheckFailedException", 400)],
    ["an AccessDeniedException", awsError("AccessDeniedException", 403)],
    ["a ResourceNotFoundException", awsError("ResourceNotFoundException", 404)],
    ["a plain Error", new Error("bug")],
    ["null", null],
    ["a string", "ThrottlingException"],
  ];
  for (const [description, err] of permanent) {
    it(`is false for ${description}`, () => assert.equal(isRetryable(err), false));
  }
});

describe("wrapHandler", () => {
  it("gives the handler a logger with the request id and logs start and finish as JSON", async () => {
    const { logger, lines, entries } = capture();
    const handler = wrapHandler(
      "batch-load",
      async (event, context, log) => {
        log.info("working", { jobId: event.jobId });
        return { ok: true, requestId: context.awsRequestId };
      },
      { logger, now: () => NOW },
    );

    const result = await handler({ jobId: "job-1" }, { awsRequestId: "req-7" });

    assert.deepEqual(result, { ok: true, requestId: "req-7" });
    assert.deepEqual(entries().map((e) => e.message), ["invocation started", "working", "invocation finished"]);
    for (const line of lines) {
      assert.ok(!line.includes("\n"));
      const entry = JSON.parse(line);
      assert.equal(entry.requestId, "req-7");
      assert.equal(entry.function, "batch-load");
    }
    assert.equal(entries()[2].durationMs, 0);
  });

  it("rethrows the very error the handler threw and logs the failure", async () => {
    const { logger, entries } = capture();
    const failure = awsError("ThrottlingException", 400);
    const handler = wrapHandler("api-handler", async () => {
      throw failure;
    }, { logger });

    await assert.rejects(handler({}, { awsRequestId: "req-8" }), (err) => err === failure);

    const last = entries().at(-1);
    assert.equal(last.level, "error");
    assert.equal(last.message, "invocation failed");
    assert.equal(last.requestId, "req-8");
    assert.equal(last.retryable, true);
    assert.equal(last.error.name, "ThrottlingException");
  });

  it("rethrows a ValidationError, so an invalid batch fails the invocation and reaches the DLQ", async () => {
    const { logger, entries } = capture();
    const handler = wrapHandler("batch-transform", async () => {
      throw new ValidationError(["records[0].id is missing"]);
    }, { logger });

    await assert.rejects(handler({}, { awsRequestId: "r" }), ValidationError);

    assert.equal(entries().at(-1).retryable, false);
    assert.deepEqual(entries().at(-1).error.problems, ["records[0].id is missing"]);
  });

  it("rethrows values that are not errors unchanged", async () => {
    const { logger, entries } = capture();
    const handler = wrapHandler("f", async () => {
      throw "plain string";
    }, { logger });

    await assert.rejects(handler({}, {}), (thrown) => thrown === "plain string");

    assert.deepEqual(entries().at(-1).error, { thrown: "plain string" });
    assert.equal(entries().at(-1).requestId, null);
  });

  it("logs to stdout by default", async () => {
    const original = process.stdout.write;
    const written = [];
    process.stdout.write = (chunk, ...rest) => {
      if (typeof chunk === "string" && chunk.startsWith('{"timestamp"')) {
        written.push(chunk);
        return true;
      }
      return original.call(process.stdout, chunk, ...rest);
    };
    try {
      await wrapHandler("f", async () => "ok")({}, { awsRequestId: "req-9" });
    } finally {
      process.stdout.write = original;
    }

    assert.equal(written.length, 2);
    assert.ok(written.every((line) => JSON.parse(line).requestId === "req-9"));
  });

  it("needs a function", () => {
    assert.throws(() => wrapHandler("f"), /needs a handler function/);
  });
});

describe("requireEnv", () => {
  it("returns the trimmed values of the required variables", () => {
    assert.deepEqual(requireEnv({ A: " a ", B: "b", C: "unused" }, { A: "first", B: "second" }, "fn"), { A: "a", B: "b" });
  });

  it("names every missing or blank variable and what it is for, without echoing values", () => {
    assert.throws(
      () => requireEnv({ A: "", SECRET: "s3cr3t-value" }, { A: "the jobs table", B: "the load function" }, "batch-load"),
      (err) => {
        assert.ok(err instanceof ConfigurationError);
        assert.equal(
          err.message,
          "batch-load: required environment variables are not set: A (the jobs table), B (the load function)",
        );
        return true;
      },
    );
  });
});
