import { describe, it, mock } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const { createLogger } = createRequire(import.meta.url)("etl-shared");

const NOW = new Date("2024-05-01T12:00:00.000Z");

function capture(options = {}) {
  const lines = [];
  const logger = createLogger({ write: (line) => lines.push(line), now: () => NOW, ...options });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line)) };
}

function withEnv(values, fn) {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  try {
    return fn();
  } finally {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe("createLogger", () => {
  it("writes one JSON object per line with timestamp, level, message, requestId, function and the fields", () => {
    const { logger, lines } = capture({ requestId: "req-1", fn: "batch-load" });

    logger.info("batch loaded", { jobId: "job-1", records: 3 });

    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0]), {
      timestamp: "2024-05-01T12:00:00.000Z",
      level: "info",
      message: "batch loaded",
      requestId: "req-1",
      function: "batch-load",
      jobId: "job-1",
      records: 3,
    });
  });

  it("keeps a multi-line message or stack on one line", () => {
    const { logger, lines } = capture();

    logger.error("first\nsecond", { error: new Error("a\nb") });

    assert.equal(lines.length, 1);
    assert.ok(!lines[0].includes("\n"));
    assert.equal(JSON.parse(lines[0]).message, "first\nsecond");
  });

  it("writes to stdout by default, ending each line with a newline", () => {
    const write = mock.method(process.stdout, "write", () => true);
    try {
      createLogger({ requestId: "req-2", fn: "f" }).warn("careful");
    } finally {
      write.mock.restore();
    }

    assert.equal(write.mock.callCount(), 1);
    const [text] = write.mock.calls[0].arguments;
    assert.ok(text.endsWith("}\n"));
    const entry = JSON.parse(text);
    assert.equal(entry.level, "warn");
    assert.equal(entry.requestId, "req-2");
  });

  it("uses null for the request id when there is none, and the Lambda function name by default", () => {
    withEnv({ AWS_LAMBDA_FUNCTION_NAME: "etl-load-prod" }, () => {
      const { logger, entries } = capture();
      logger.info("hello");
      assert.equal(entries()[0].requestId, null);
      assert.equal(entries()[0].function, "etl-load-prod");
    });
  });

  it("does not let fields overwrite the standard keys", () => {
    const { logger, entries } = capture({ requestId: "req-1", fn: "f", base: { level: "x" } });

    logger.info("real", { timestamp: "fake", level: "error", message: "fake", requestId: "other", function: "g" });

    assert.deepEqual(entries()[0], {
      timestamp: NOW.toISOString(),
      level: "info",
      message: "real",
      requestId: "req-1",
      function: "f",
    });
  });

  it("child() adds fields to every line and can set the request id", () => {
    const { logger, entries } = capture({ fn: "f", base: { stage: "load" } });

    const child = logger.child({ requestId: "req-9", jobId: "job-1" });
    child.info("one");
    child.child({ chunk: 2 }).warn("two");
    logger.info("three");

    const [one, two, three] = entries();
    assert.deepEqual([one.requestId, one.stage, one.jobId], ["req-9", "load", "job-1"]);
    assert.deepEqual([two.requestId, two.jobId, two.chunk, two.level], ["req-9", "job-1", 2, "warn"]);
    assert.equal(three.requestId, null, "the parent is unchanged");
    assert.equal(three.jobId, undefined);
  });

  it("skips debug lines unless the level allows them", () => {
    const quiet = capture();
    quiet.logger.debug("hidden");
    quiet.logger.info("shown");
    assert.deepEqual(quiet.entries().map((e) => e.message), ["shown"]);

    const verbose = capture({ level: "debug" });
    verbose.logger.debug("shown");
    verbose.logger.child({ a: 1 }).debug("also shown");
    assert.deepEqual(verbose.entries().map((e) => e.level), ["debug", "debug"]);

    const errorsOnly = capture({ level: "ERROR" });
    errorsOnly.logger.warn("hidden");
    errorsOnly.logger.error("shown");
    assert.deepEqual(errorsOnly.entries().map((e) => e.message), ["shown"]);
  });

  it("takes the level from LOG_LEVEL", () => {
    withEnv({ LOG_LEVEL: "debug" }, () => {
      const { logger, entries } = capture({ level: undefined });
      logger.debug("shown");
      assert.equal(entries().length, 1);
    });
  });

  it("describes errors by name, message, code, status and problems", () => {
    const { logger, entries } = capture();
    const err = Object.assign(new Error("Rate exceeded"), {
      name: "ThrottlingException",
      $metadata: { httpStatusCode: 400, requestId: "aws-1" },
    });
    const invalid = Object.assign(new Error("Invalid"), { name: "ValidationError", problems: ["a", "b"] });

    logger.error("failed", { error: err });
    logger.error("rejected", invalid);

    const [first, second] = entries();
    assert.equal(first.error.name, "ThrottlingException");
    assert.equal(first.error.message, "Rate exceeded");
    assert.equal(first.error.httpStatusCode, 400);
    assert.equal(first.error.awsRequestId, "aws-1");
    assert.match(first.error.stack, /ThrottlingException|Error: Rate exceeded/);
    assert.deepEqual(second.error.problems, ["a", "b"]);
  });

  it("never throws on values JSON cannot hold", () => {
    const { logger, entries } = capture();
    const circular = { name: "loop" };
    circular.self = circular;

    logger.info("odd values", { circular, big: 10n, when: NOW, nan: Number.NaN, fn: () => 1, deep: [[[[[[[[[[1]]]]]]]]]] });

    const entry = entries()[0];
    assert.deepEqual(entry.circular, { name: "loop", self: "[Circular]" });
    assert.equal(entry.big, "10");
    assert.equal(entry.when, NOW.toISOString());
    assert.equal(entry.nan, "NaN");
    assert.equal(entry.fn, undefined);
    assert.match(JSON.stringify(entry.deep), /\[Truncated\]/);
  });

  it("keeps a __proto__ field as data", () => {
    const { logger, lines } = capture();

    logger.info("x", JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}'));

    assert.match(lines[0], /"__proto__":\{"polluted":true\}/);
    assert.equal({}.polluted, undefined);
  });
});

describe("secrets", () => {
  const secrets = {
    DATABASE_URL: "postgres://etl:Zq8-db-password-91x@db.internal:5432/etl",
    API_KEY: "sk_live_4f0c1d2e3b4a5968",
    AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    AWS_SESSION_TOKEN: "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH",
    SIGNING_PASSPHRASE: "correct horse battery staple",
  };

  it("scrubs the values of secret-looking environment variables from messages, fields and errors", () => {
    withEnv(secrets, () => {
      const { logger, lines } = capture();
      const leak = Object.values(secrets).join(" | ");
      logger.error(`connect failed: ${leak}`, {
        detail: leak,
        nested: { list: [leak], error: new Error(`boom ${secrets.DATABASE_URL}`) },
      });
      logger.child({ context: secrets.API_KEY }).info("child line");

      const all = lines.join("\n");
      for (const value of Object.values(secrets)) assert.ok(!all.includes(value), `logs must not contain ${value}`);
      assert.match(all, /\[REDACTED\]/);
    });
  });

  it("redacts fields whose names say they hold a secret", () => {
    const { logger, entries } = capture();

    logger.info("request", { headers: { Authorization: "Bearer abc", Cookie: "s=1" }, password: "pw", apiKey: "k", jobId: "job-1" });

    assert.deepEqual(entries()[0].headers, { Authorization: "[REDACTED]", Cookie: "[REDACTED]" });
    assert.equal(entries()[0].password, "[REDACTED]");
    assert.equal(entries()[0].apiKey, "[REDACTED]");
    assert.equal(entries()[0].jobId, "job-1");
  });

  it("leaves ordinary variables and short values alone", () => {
    withEnv({ JOBS_TABLE: "etl-jobs-prod", AUTH_MODE: "iam" }, () => {
      const { logger, entries } = capture();
      logger.info("using etl-jobs-prod with iam auth");
      assert.equal(entries()[0].message, "using etl-jobs-prod with iam auth");
    });
  });
});
