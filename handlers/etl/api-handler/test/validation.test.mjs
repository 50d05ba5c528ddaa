import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CONTEXT, captureLogger, fakeClient } from "../../support/fakes.mjs";

process.env.JOBS_TABLE = "jobs-from-env";
process.env.TRANSFORM_FUNCTION = "transform-from-env";
const { createHandler } = await import("../index.mjs");

const ENV = { JOBS_TABLE: "etl-jobs-test", TRANSFORM_FUNCTION: "etl-transform-test" };

const valid = () => ({
  jobId: "job-1",
  source: "crm",
  records: [{ id: "r-1", payload: { a: 1 } }],
});
const withField = (field, value) => ({ ...valid(), [field]: value });
const without = (field) => {
  const copy = valid();
  delete copy[field];
  return copy;
};
const withRecord = (record) => ({ ...valid(), records: [record] });
const records = (n, payload = () => ({ a: 1 })) => Array.from({ length: n }, (_, i) => ({ id: `r-${i}`, payload: payload(i) }));
const nested = (levels) => {
  let value = { leaf: true };
  for (let i = 1; i < levels; i += 1) value = { inner: value };
  return value;
};

function setup() {
  const dynamodb = fakeClient();
  const lambda = fakeClient();
  const capture = captureLogger();
  const handler = createHandler({ dynamodb, lambda, env: ENV, logger: capture.logger });
  return { handler, dynamodb, lambda, ...capture };
}

// [description, event, text one of the problems must contain]
const rejected = [
  ["a missing jobId", without("jobId"), "jobId"],
  ["a numeric jobId", withField("jobId", 7), "jobId"],
  ["an empty jobId", withField("jobId", ""), "jobId"],
  ["a jobId longer than 64 characters", withField("jobId", "j".repeat(65)), "jobId"],
  ["a jobId with a space", withField("jobId", "job 1"), "jobId"],
  ["a jobId with a slash", withField("jobId", "job/1"), "jobId"],
  ["a missing source", without("source"), "source"],
  ["an empty source", withField("source", ""), "source"],
  ["a source longer than 128 characters", withField("source", "s".repeat(129)), "source"],
  ["a numeric source", withField("source", 1), "source"],
  ["missing records", without("records"), "records must be an array of 1-500"],
  ["records that are not an array", withField("records", { id: "r-1" }), "records must be an array"],
  ["an empty records array", withField("records", []), "records must be an array of 1-500"],
  ["501 records", withField("records", records(501)), "records must be an array of 1-500"],
  ["a record that is not an object", withField("records", ["r-1"]), "records[0] must be an object"],
  ["a record without an id", withRecord({ payload: {} }), "records[0].id"],
  ["a record with a numeric id", withRecord({ id: 1, payload: {} }), "records[0].id"],
  ["a record with an empty id", withRecord({ id: "", payload: {} }), "records[0].id"],
  ["a record id longer than 64 characters", withRecord({ id: "r".repeat(65), payload: {} }), "records[0].id"],
  ["a record without a payload", withRecord({ id: "r-1" }), "records[0].payload must be a JSON object"],
  ["a record with an array payload", withRecord({ id: "r-1", payload: [] }), "records[0].payload must be a JSON object"],
  ["a record with a null payload", withRecord({ id: "r-1", payload: null }), "records[0].payload must be a JSON object"],
  ["a record with a string payload", withRecord({ id: "r-1", payload: "{}" }), "records[0].payload must be a JSON object"],
  ["a record with an unknown field", withRecord({ id: "r-1", payload: {}, extra: 1 }), 'records[0] has unknown field "extra"'],
  ["two records with the same id", withField("records", [{ id: "r-1", payload: {} }, { id: "r-1", payload: {} }]), "records[1].id repeats records[0].id"],
  ["a payload nested more than 32 levels", withRecord({ id: "r-1", payload: nested(33) }), "nested more than 32 levels"],
  ["a payload too large for one DynamoDB item", withRecord({ id: "r-1", payload: { text: "x".repeat(360_000) } }), "at most 350000"],
  ["a request too large to hand on", withField("records", records(2, () => ({ text: "x".repeat(310_000) }))), "the job request is"],
  ["an unknown top-level field", withField("priority", "high"), 'unknown field "priority"'],
  ["a __proto__ field from JSON", JSON.parse(`{"__proto__": {"admin": true}, ${JSON.stringify(valid()).slice(1)}`), 'unknown field "__proto__"'],
  ["a null event", null, "the event must be a JSON object"],
  ["an array event", [valid()], "the event must be a JSON object"],
  ["a body that is not a string", { body: valid() }, "body must be a JSON string"],
  ["a null body", { body: null }, "body must be a JSON string"],
  ["a body that is not JSON", { body: "{jobId: job-1" }, "body is not valid JSON"],
  ["a body holding a JSON array", { body: "[]" }, "the job request must be a JSON object"],
  ["a body job with an unknown field", { body: JSON.stringify(withField("extra", 1)) }, 'unknown field "extra"'],
];

describe("invalid job requests", () => {
  for (const [description, event, expected] of rejected) {
    it(`answers 400 with the problems for ${description}, writing nothing`, async () => {
      const { handler, dynamodb, lambda } = setup();

      const response = await handler(event, CONTEXT);

      assert.equal(response.statusCode, 400);
      const body = JSON.parse(response.body);
      assert.equal(body.error, "invalid job request");
      assert.ok(Array.isArray(body.problems) && body.problems.length > 0);
      assert.ok(
        body.problems.some((problem) => problem.includes(expected)),
        `${JSON.stringify(body.problems)} mentions ${expected}`,
      );
      assert.equal(dynamodb.sent.length, 0, "nothing is written");
      assert.equal(lambda.sent.length, 0, "nothing is invoked");
    });
  }

  it("lists every problem in one answer and logs them at level warn", async () => {
    const { handler, entries } = setup();

    const response = await handler({ jobId: "job-1", color: "red", records: [{ id: 5 }] }, CONTEXT);

    const { problems } = JSON.parse(response.body);
    assert.equal(problems.length, 4);
    for (const text of ['unknown field "color"', "source", "records[0].id", "records[0].payload"]) {
      assert.ok(problems.some((problem) => problem.includes(text)), `problems mention ${text}`);
    }
    const warning = entries().find((e) => e.message === "job request rejected");
    assert.equal(warning.level, "warn");
    assert.equal(warning.jobId, "job-1");
    assert.deepEqual(warning.problems, problems);
  });

  it("caps a long list of problems so the answer stays small", async () => {
    const { handler } = setup();
    const bad = Array.from({ length: 80 }, () => ({ id: "" }));

    const response = await handler({ ...valid(), records: bad }, CONTEXT);

    const { problems } = JSON.parse(response.body);
    assert.equal(problems.length, 51);
    assert.equal(problems.at(-1), "and 110 more problems");
  });
});

describe("valid job requests at the limits", () => {
  const accepted = [
    ["500 records", withField("records", records(500))],
    ["a 64-character jobId", withField("jobId", `${"A".repeat(32)}${"z_-9".repeat(8)}`)],
    ["a 128-character source", withField("source", "s".repeat(128))],
    ["a 64-character record id", withRecord({ id: "é".repeat(64), payload: {} })],
    ["an empty payload", withRecord({ id: "r-1", payload: {} })],
    ["a payload nested 32 levels", withRecord({ id: "r-1", payload: nested(32) })],
  ];
  for (const [description, event] of accepted) {
    it(`accepts ${description}`, async () => {
      const { handler, dynamodb, lambda } = setup();

      const response = await handler(event, CONTEXT);

      assert.equal(response.statusCode, 202, response.body);
      assert.equal(dynamodb.sent.length, 1);
      assert.equal(lambda.sent.length, 1);
    });
  }
});
