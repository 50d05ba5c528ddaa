import { describe, it, mock } from "node:test";
import assert from "node:assert/strict";

// index.mjs refuses to load without TABLE_NAME, just as it fails a Lambda cold
// start, so it is set before the module is imported.
process.env.TABLE_NAME = "transactions-from-env";
const { createHandler, ValidationError } = await import("../index.mjs");

const TABLE = "transactions-test";
const NOW = new Date("2024-05-01T12:00:00.000Z");
const CONTEXT = { awsRequestId: "req-0001" };

const transaction = () => ({
  transactionId: "tx_2024-0001",
  accountId: "acct-7f3c9e",
  amount: 125.5,
  currency: "EUR",
  type: "debit",
  occurredAt: "2024-04-30T09:15:00+02:00",
});

// A stand-in for DynamoDBClient: records what it was sent and answers with
// whatever `respond` returns or throws.
function fakeClient(respond = async () => ({})) {
  const sent = [];
  return {
    sent,
    async send(command) {
      sent.push(command);
      return respond(command);
    },
  };
}

function setup({ respond } = {}) {
  const client = fakeClient(respond);
  const lines = [];
  const handler = createHandler({
    client,
    tableName: TABLE,
    logger: { log: (line) => lines.push(line) },
    now: () => NOW,
  });
  return { handler, client, lines, logs: () => lines.map((line) => JSON.parse(line)) };
}

function awsError(name, message) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

describe("recording a transaction", () => {
  it("writes the exact PutItem parameters and reports the transaction as recorded", async () => {
    const { handler, client } = setup();

    const result = await handler(transaction(), CONTEXT);

    assert.deepEqual(result, { status: "recorded", transactionId: "tx_2024-0001" });
    assert.deepEqual(client.sent, [
      {
        TableName: TABLE,
        Item: {
          transactionId: { S: "tx_2024-0001" },
          accountId: { S: "acct-7f3c9e" },
          amount: { N: "125.5" },
          currency: { S: "EUR" },
          type: { S: "debit" },
          occurredAt: { S: "2024-04-30T07:15:00.000Z" },
          recordedAt: { S: "2024-05-01T12:00:00.000Z" },
        },
        ConditionExpression: "attribute_not_exists(transactionId)",
      },
    ]);
  });

  it("defaults occurredAt to the time the transaction is recorded", async () => {
    const { handler, client } = setup();
    const { occurredAt, ...rest } = transaction();

    await handler(rest, CONTEXT);

    assert.deepEqual(client.sent[0].Item.occurredAt, { S: "2024-05-01T12:00:00.000Z" });
  });

  it("accepts the transaction as an API Gateway body string", async () => {
    const { handler, client } = setup();
    const event = {
      httpMethod: "POST",
      headers: { "content-type": "application/json" },
      requestContext: { requestId: "apigw-1" },
      body: JSON.stringify(transaction()),
    };

    const result = await handler(event, CONTEXT);

    assert.deepEqual(result, { status: "recorded", transactionId: "tx_2024-0001" });
    assert.equal(client.sent[0].Item.accountId.S, "acct-7f3c9e");
  });

  it("accepts a base64-encoded API Gateway body", async () => {
    const { handler, client } = setup();
    const body = Buffer.from(JSON.stringify(transaction())).toString("base64");

    await handler({ body, isBase64Encoded: true }, CONTEXT);

    assert.equal(client.sent[0].Item.transactionId.S, "tx_2024-0001");
  });

  it("hands the client whatever buildPutItem makes of the parameters", async () => {
    const client = fakeClient();
    const handler = createHandler({
      client,
      tableName: TABLE,
      logger: { log() {} },
      buildPutItem: (input) => ({ kind: "PutItemCommand", input }),
    });

    await handler(transaction(), CONTEXT);

    assert.equal(client.sent[0].kind, "PutItemCommand");
    assert.equal(client.sent[0].input.TableName, TABLE);
  });

  it("returns duplicate when the transaction was already recorded", async () => {
    const { handler, logs } = setup({
      respond: async () => {
        throw awsError("ConditionalCheckFailedException", "The conditional request failed");
      },
    });

    const result = await handler(transaction(), CONTEXT);

    assert.deepEqual(result, { status: "duplicate", transactionId: "tx_2024-0001" });
    assert.equal(logs().at(-1).level, "info");
  });

  it("rejects with the original error when DynamoDB fails, and logs it as JSON at level error", async () => {
    const failure = awsError("ProvisionedThroughputExceededException", "Rate of requests exceeds the allowed throughput");
    const { handler, logs } = setup({
      respond: async () => {
        throw failure;
      },
    });

    await assert.rejects(handler(transaction(), CONTEXT), (err) => err === failure);

    const entry = logs().find((line) => line.level === "error");
    assert.ok(entry, "an error line is logged");
    assert.equal(entry.transactionId, "tx_2024-0001");
    assert.equal(entry.requestId, "req-0001");
    assert.deepEqual(entry.error, {
      name: "ProvisionedThroughputExceededException",
      message: "Rate of requests exceeds the allowed throughput",
    });
  });
});

describe("logging", () => {
  it("writes every log line as JSON with level, message, timestamp and the requestId", async () => {
    const outcomes = [
      async () => ({}),
      async () => {
        throw awsError("ConditionalCheckFailedException", "The conditional request failed");
      },
      async () => {
        throw awsError("InternalServerError", "Internal server error");
      },
    ];
    const lines = [];
    for (const respond of outcomes) {
      const run = setup({ respond });
      await run.handler(transaction(), CONTEXT).catch(() => {});
      await run.handler({ ...transaction(), amount: -1 }, CONTEXT).catch(() => {});
      lines.push(...run.lines);
    }

    assert.ok(lines.length >= 6);
    for (const line of lines) {
      assert.ok(!line.includes("\n"), "one object per line");
      const entry = JSON.parse(line);
      assert.equal(entry.requestId, "req-0001");
      assert.equal(entry.timestamp, NOW.toISOString());
      assert.ok(["info", "warn", "error"].includes(entry.level));
      assert.equal(typeof entry.message, "string");
      assert.equal(entry.transactionId, "tx_2024-0001");
    }
  });

  it("writes to stdout through console.log by default", async () => {
    const log = mock.method(console, "log", () => {});
    try {
      const handler = createHandler({ client: fakeClient(), tableName: TABLE });
      await handler(transaction(), CONTEXT);
    } finally {
      log.mock.restore();
    }

    assert.equal(log.mock.callCount(), 1);
    const entry = JSON.parse(log.mock.calls[0].arguments[0]);
    assert.equal(entry.message, "transaction recorded");
    assert.equal(entry.requestId, "req-0001");
  });

  it("logs the validation problems when a transaction is rejected", async () => {
    const { handler, logs } = setup();

    await assert.rejects(handler({ ...transaction(), currency: "eur" }, CONTEXT), ValidationError);

    const [entry] = logs();
    assert.equal(entry.level, "warn");
    assert.equal(entry.transactionId, "tx_2024-0001");
    assert.equal(entry.problems.length, 1);
    assert.match(entry.problems[0], /currency/);
  });

  it("never logs secrets from the environment or the event, even when recording fails", async () => {
    const secrets = {
      DATABASE_URL: "postgres://ledger:Zq8-db-password-91x@db.internal:5432/ledger",
      API_KEY: "sk_live_4f0c1d2e3b4a5968",
    };
    const previous = { DATABASE_URL: process.env.DATABASE_URL, API_KEY: process.env.API_KEY };
    Object.assign(process.env, secrets);
    const output = [];
    const capture = (...args) => output.push(args.map(String).join(" "));
    const spies = ["log", "info", "warn", "error", "debug"].map((name) =>
      mock.method(console, name, capture),
    );
    const bearer = "Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig";

    try {
      const failures = [
        async () => ({}),
        async () => {
          throw awsError("ConditionalCheckFailedException", "The conditional request failed");
        },
        async () => {
          throw awsError("AccessDeniedException", "User is not authorized to perform dynamodb:PutItem");
        },
      ];
      for (const respond of failures) {
        const handler = createHandler({ client: fakeClient(respond), tableName: TABLE });
        const apiEvent = { headers: { Authorization: bearer }, body: JSON.stringify(transaction()) };
        await handler(apiEvent, CONTEXT).catch(() => {});
        await handler({ ...transaction(), amount: "lots" }, CONTEXT).catch(() => {});
      }
    } finally {
      for (const spy of spies) spy.mock.restore();
      for (const [name, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }

    assert.ok(output.length >= 6, "the handler did log");
    const all = output.join("\n");
    for (const value of [...Object.values(secrets), bearer, "acct-7f3c9e"]) {
      assert.ok(!all.includes(value), `logs must not contain ${value}`);
    }
  });
});
