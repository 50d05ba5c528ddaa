import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const INDEX = fileURLToPath(new URL("../index.mjs", import.meta.url));

// Loads index.mjs in a fresh Node process with exactly the given environment,
// the way the Lambda runtime loads it at cold start.
function coldStart(env) {
  const script = `await import(${JSON.stringify(pathToFileURL(INDEX).href)});`;
  return spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { PATH: process.env.PATH, ...env },
    encoding: "utf8",
  });
}

const secrets = {
  DATABASE_URL: "postgres://ledger:Zq8-db-password-91x@db.internal:5432/ledger",
  API_KEY: "sk_live_4f0c1d2e3b4a5968",
};

describe("cold start", () => {
  it("fails with a clear error when TABLE_NAME is missing", () => {
    const result = coldStart(secrets);

    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /TABLE_NAME environment variable is not set/);
    for (const value of Object.values(secrets)) {
      assert.ok(!`${result.stdout}${result.stderr}`.includes(value), "secrets stay out of the output");
    }
  });

  it("fails when TABLE_NAME is empty", () => {
    const result = coldStart({ TABLE_NAME: "" });

    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /TABLE_NAME/);
  });

  it("loads when TABLE_NAME is set", () => {
    const result = coldStart({ TABLE_NAME: "transactions" });

    assert.equal(result.status, 0, result.stderr);
  });

  it("refuses to build a handler without a table name or a client", async () => {
    process.env.TABLE_NAME = "transactions-from-env";
    const { createHandler } = await import("../index.mjs");
    const client = { send: async () => ({}) };

    assert.throws(() => createHandler({ client, tableName: "" }), /tableName is required/);
    assert.throws(() => createHandler({ client: {}, tableName: "t" }), /send\(\) method/);
  });
});

describe("the exported handler", () => {
  // A copy of index.mjs next to a stand-in @aws-sdk/client-dynamodb, so the
  // lazy SDK wiring is exercised without the real SDK or AWS.
  const dir = mkdtempSync(join(tmpdir(), "transactions-handler-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const sdkDir = join(dir, "node_modules", "@aws-sdk", "client-dynamodb");
  mkdirSync(sdkDir, { recursive: true });
  writeFileSync(
    join(sdkDir, "package.json"),
    JSON.stringify({ name: "@aws-sdk/client-dynamodb", type: "module", exports: "./index.js" }),
  );
  writeFileSync(
    join(sdkDir, "index.js"),
    `export const clients = [];
export class DynamoDBClient {
  constructor(config) { this.config = config; this.sent = []; clients.push(this); }
  async send(command) { this.sent.push(command); return {}; }
}
export class PutItemCommand { constructor(input) { this.input = input; } }
`,
  );
  copyFileSync(INDEX, join(dir, "index.mjs"));

  it("creates one DynamoDB client on first use and reuses it, sending PutItemCommands to TABLE_NAME", async () => {
    process.env.TABLE_NAME = "transactions-prod";
    const { handler } = await import(pathToFileURL(join(dir, "index.mjs")).href);
    const sdk = await import(pathToFileURL(join(sdkDir, "index.js")).href);
    const log = [];
    const event = (id) => ({ transactionId: id, accountId: "a", amount: 1, currency: "USD", type: "credit" });

    const originalLog = console.log;
    console.log = (line) => log.push(line);
    try {
      assert.equal(sdk.clients.length, 0, "nothing is created before the first invocation");
      assert.deepEqual(await handler(event("tx-1"), { awsRequestId: "r1" }), { status: "recorded", transactionId: "tx-1" });
      assert.deepEqual(await handler(event("tx-2"), { awsRequestId: "r2" }), { status: "recorded", transactionId: "tx-2" });
    } finally {
      console.log = originalLog;
    }

    assert.equal(sdk.clients.length, 1, "the client is reused across invocations");
    const sent = sdk.clients[0].sent;
    assert.equal(sent.length, 2);
    assert.ok(sent.every((command) => command instanceof sdk.PutItemCommand));
    assert.equal(sent[0].input.TableName, "transactions-prod");
    assert.equal(sent[1].input.Item.transactionId.S, "tx-2");
    assert.deepEqual(log.map((line) => JSON.parse(line).requestId), ["r1", "r2"]);
  });
});
