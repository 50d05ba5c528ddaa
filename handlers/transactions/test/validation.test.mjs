import { describe, it } from "node:test";
import assert from "node:assert/strict";

// index.mjs refuses to load without TABLE_NAME, so it is set before the import.
process.env.TABLE_NAME = "transactions-from-env";
const { createHandler, ValidationError } = await import("../index.mjs");

const valid = {
  transactionId: "tx-1",
  accountId: "acct-1",
  amount: 10,
  currency: "USD",
  type: "credit",
};

function setup() {
  const sent = [];
  const handler = createHandler({
    client: { send: async (command) => sent.push(command) },
    tableName: "transactions-test",
    logger: { log() {} },
    now: () => new Date("2024-05-01T12:00:00Z"),
  });
  return { handler, sent };
}

const without = (field) => {
  const copy = { ...valid };
  delete copy[field];
  return copy;
};
const withField = (field, value) => ({ ...valid, [field]: value });

// [description, event, text the error message must contain]
const rejected = [
  ["a missing transactionId", without("transactionId"), "transactionId"],
  ["a numeric transactionId", withField("transactionId", 42), "transactionId"],
  ["an empty transactionId", withField("transactionId", ""), "transactionId"],
  ["a transactionId longer than 64 characters", withField("transactionId", "a".repeat(65)), "transactionId"],
  ["a transactionId with a space", withField("transactionId", "tx 1"), "transactionId"],
  ["a transactionId with a slash", withField("transactionId", "tx/1"), "transactionId"],
  ["a transactionId with non-ASCII letters", withField("transactionId", "tx-é"), "transactionId"],

  ["a missing accountId", without("accountId"), "accountId"],
  ["an empty accountId", withField("accountId", ""), "accountId"],
  ["an accountId longer than 64 characters", withField("accountId", "a".repeat(65)), "accountId"],
  ["a numeric accountId", withField("accountId", 1234), "accountId"],

  ["a missing amount", without("amount"), "amount"],
  ["an amount given as a string", withField("amount", "10.00"), "amount"],
  ["a zero amount", withField("amount", 0), "amount"],
  ["a negative amount", withField("amount", -5), "amount"],
  ["a NaN amount", withField("amount", Number.NaN), "amount"],
  ["an infinite amount", withField("amount", Number.POSITIVE_INFINITY), "amount"],
  ["an amount with three decimal places", withField("amount", 10.005), "amount"],
  ["an amount carrying float error", withField("amount", 0.1 + 0.2), "amount"],
  ["an amount too small to have two decimals", withField("amount", 1e-7), "amount"],
  ["an amount above one billion", withField("amount", 1_000_000_000.01), "amount"],

  ["a missing currency", without("currency"), "currency"],
  ["a lowercase currency", withField("currency", "usd"), "currency"],
  ["a two-letter currency", withField("currency", "US"), "currency"],
  ["a four-letter currency", withField("currency", "USDT"), "currency"],
  ["a numeric currency", withField("currency", 840), "currency"],

  ["a missing type", without("type"), "type"],
  ["an unknown type", withField("type", "refund"), "type"],
  ["an uppercase type", withField("type", "DEBIT"), "type"],

  ["an occurredAt that is not a date", withField("occurredAt", "yesterday"), "occurredAt"],
  ["an occurredAt that is only a date", withField("occurredAt", "2024-05-01"), "occurredAt"],
  ["an occurredAt without a UTC offset", withField("occurredAt", "2024-05-01T10:00:00"), "occurredAt"],
  ["an occurredAt on a day that does not exist", withField("occurredAt", "2023-02-29T10:00:00Z"), "occurredAt"],
  ["an occurredAt at hour 24", withField("occurredAt", "2024-05-01T24:00:00Z"), "occurredAt"],
  ["an occurredAt given as epoch milliseconds", withField("occurredAt", 1714564800000), "occurredAt"],
  ["an occurredAt in a non-ISO format Date would accept", withField("occurredAt", "May 1, 2024 10:00 UTC"), "occurredAt"],
  ["an empty occurredAt", withField("occurredAt", ""), "occurredAt"],
  ["an occurredAt of null", withField("occurredAt", null), "occurredAt"],

  ["an unknown field", withField("note", "hello"), 'unknown field "note"'],
  ["a __proto__ field from JSON", JSON.parse(`{"__proto__": {"admin": true}, ${JSON.stringify(valid).slice(1)}`), 'unknown field "__proto__"'],

  ["a null event", null, "event must be a JSON object"],
  ["an array event", [valid], "event must be a JSON object"],
  ["a string event", JSON.stringify(valid), "event must be a JSON object"],
  ["a body that is not a string", { body: valid }, "body must be a JSON string"],
  ["a null body", { body: null }, "body must be a JSON string"],
  ["a body that is not JSON", { body: "{transactionId: tx-1" }, "body is not valid JSON"],
  ["a body holding a JSON array", { body: "[]" }, "body must be a JSON object"],
  ["a body holding JSON null", { body: "null" }, "body must be a JSON object"],
  ["a body transaction with an unknown field", { body: JSON.stringify(withField("extra", 1)) }, 'unknown field "extra"'],
];

describe("validation", () => {
  for (const [description, event, expected] of rejected) {
    it(`rejects ${description}`, async () => {
      const { handler, sent } = setup();

      await assert.rejects(handler(event, { awsRequestId: "req-v" }), (err) => {
        assert.ok(err instanceof ValidationError);
        assert.equal(err.name, "ValidationError");
        assert.ok(err.message.includes(expected), `"${err.message}" mentions ${expected}`);
        return true;
      });
      assert.equal(sent.length, 0, "nothing is written");
    });
  }

  it("lists every problem in one error", async () => {
    const { handler } = setup();

    await assert.rejects(handler({ amount: 1.234, color: "red" }), (err) => {
      for (const text of ['unknown field "color"', "transactionId", "accountId", "amount", "currency", "type"]) {
        assert.ok(err.message.includes(text), `message mentions ${text}`);
      }
      assert.equal(err.problems.length, 6);
      return true;
    });
  });

  const accepted = [
    ["the smallest amount, 0.01", withField("amount", 0.01), "amount", { N: "0.01" }],
    ["an amount of exactly one billion", withField("amount", 1_000_000_000), "amount", { N: "1000000000" }],
    ["an amount written with a trailing zero", JSON.parse('{"transactionId":"tx-1","accountId":"a","amount":12.50,"currency":"JPY","type":"debit"}'), "amount", { N: "12.5" }],
    ["a 64-character transactionId", withField("transactionId", `${"A".repeat(32)}${"z_-9".repeat(8)}`), "transactionId", { S: `${"A".repeat(32)}${"z_-9".repeat(8)}` }],
    ["a 64-character accountId", withField("accountId", "é".repeat(64)), "accountId", { S: "é".repeat(64) }],
    ["an occurredAt with a negative offset and fractional seconds", withField("occurredAt", "2024-02-29T23:30:00.5-01:00"), "occurredAt", { S: "2024-03-01T00:30:00.500Z" }],
  ];
  for (const [description, event, field, stored] of accepted) {
    it(`accepts ${description}`, async () => {
      const { handler, sent } = setup();

      const result = await handler(event, { awsRequestId: "req-v" });

      assert.equal(result.status, "recorded");
      assert.deepEqual(sent[0].Item[field], stored);
    });
  }
});
