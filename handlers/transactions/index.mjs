// Records financial transactions in DynamoDB exactly once.
//
// The only environment variable this module reads is TABLE_NAME. Anything else
// in the function's environment (credentials, connection strings) is left
// untouched so it can never end up in a log line.

// Checked at module load so a function deployed without its table fails its
// cold start instead of accepting traffic it cannot record.
const TABLE_NAME = process.env.TABLE_NAME;
if (!TABLE_NAME) {
  throw new Error(
    "TABLE_NAME environment variable is not set: it must name the DynamoDB table transactions are recorded in",
  );
}

const FIELDS = ["transactionId", "accountId", "amount", "currency", "type", "occurredAt"];
const TRANSACTION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CURRENCY = /^[A-Z]{3}$/;
const TYPES = ["debit", "credit"];
const MAX_AMOUNT = 1_000_000_000;
// Applied to the number's shortest decimal form, which is also the string
// stored in DynamoDB, so what is stored is exactly what was validated.
// Values too small to print without an exponent fail it, as they should.
const AT_MOST_TWO_DECIMALS = /^\d+(\.\d{1,2})?$/;
// Full date and time with an explicit offset: a timestamp without one would be
// read in the runtime's local zone, so the recorded instant would be a guess.
const TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

export class ValidationError extends Error {
  constructor(problems) {
    super(`Invalid transaction: ${problems.join("; ")}`);
    this.name = "ValidationError";
    this.problems = problems;
  }
}

/**
 * Builds a handler around its collaborators so tests can supply their own.
 *
 * @param {object} deps
 * @param {{ send(command: unknown): Promise<unknown> }} deps.client DynamoDB client.
 * @param {string} deps.tableName Table the transactions are written to.
 * @param {(params: object) => unknown} [deps.buildPutItem] Turns PutItem parameters
 *   into what `client.send` accepts. Production passes `new PutItemCommand(params)`;
 *   the default hands the plain parameters over, which is what a test double wants.
 * @param {{ log(line: string): void }} [deps.logger] Receives one JSON string per log line.
 * @param {() => Date} [deps.now] Clock, for recordedAt, the default occurredAt and log timestamps.
 */
export function createHandler({
  client,
  tableName,
  buildPutItem = (params) => params,
  logger = console,
  now = () => new Date(),
}) {
  if (typeof client?.send !== "function") throw new TypeError("client must have a send() method");
  if (!tableName) throw new Error("tableName is required");

  return async function handler(event, context) {
    const requestId = context?.awsRequestId ?? null;
    const log = (level, message, fields) =>
      logger.log(
        JSON.stringify({ timestamp: now().toISOString(), level, message, requestId, ...fields }),
      );

    const at = now().toISOString();
    let input;
    let transaction;
    try {
      input = extractTransaction(event);
      transaction = validate(input, at);
    } catch (err) {
      // Only the problem descriptions are logged: they name fields, never the
      // submitted values, and the event itself may carry credentials in headers.
      log("warn", "transaction rejected", {
        transactionId: wellFormedId(input),
        problems: err.problems,
      });
      throw err;
    }

    const { transactionId } = transaction;
    const params = {
      TableName: tableName,
      Item: {
        transactionId: { S: transactionId },
        accountId: { S: transaction.accountId },
        amount: { N: String(transaction.amount) },
        currency: { S: transaction.currency },
        type: { S: transaction.type },
        occurredAt: { S: transaction.occurredAt },
        recordedAt: { S: at },
      },
      // Event sources retry; the condition makes a second delivery a no-op
      // instead of a second ledger entry.
      ConditionExpression: "attribute_not_exists(transactionId)",
    };

    try {
      await client.send(buildPutItem(params));
    } catch (err) {
      if (err?.name === "ConditionalCheckFailedException") {
        log("info", "transaction already recorded", { transactionId });
        return { status: "duplicate", transactionId };
      }
      log("error", "failed to record transaction", {
        transactionId,
        error: { name: err?.name, message: err?.message },
      });
      // Rethrown so Lambda reports the failure and the source retries.
      throw err;
    }

    log("info", "transaction recorded", { transactionId });
    return { status: "recorded", transactionId };
  };
}

let defaultHandler;

/** Lambda entry point (handler setting `index.handler`). */
export async function handler(event, context) {
  // Built once per execution environment so warm invocations reuse the client
  // and its connections. A failed build is forgotten so the next call retries.
  defaultHandler ??= createDefaultHandler().catch((err) => {
    defaultHandler = undefined;
    throw err;
  });
  return (await defaultHandler)(event, context);
}

async function createDefaultHandler() {
  // Imported on first use rather than statically: the Lambda runtime provides
  // the SDK, and tests exercise createHandler without it installed.
  const { DynamoDBClient, PutItemCommand } = await import("@aws-sdk/client-dynamodb");
  return createHandler({
    client: new DynamoDBClient({}),
    tableName: TABLE_NAME,
    buildPutItem: (params) => new PutItemCommand(params),
  });
}

// Accepts the transaction itself or an API Gateway proxy event carrying it as a
// JSON string in `body`.
function extractTransaction(event) {
  if (!isObject(event)) throw new ValidationError(["event must be a JSON object"]);
  if (!Object.hasOwn(event, "body")) return event;
  if (typeof event.body !== "string") throw new ValidationError(["body must be a JSON string"]);
  const text = event.isBase64Encoded
    ? Buffer.from(event.body, "base64").toString("utf8")
    : event.body;
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError(["body is not valid JSON"]);
  }
  if (!isObject(parsed)) throw new ValidationError(["body must be a JSON object"]);
  return parsed;
}

// Collects every problem rather than stopping at the first, so a caller can fix
// a bad request in one round trip.
function validate(input, defaultOccurredAt) {
  const problems = [];
  for (const key of Object.keys(input)) {
    if (!FIELDS.includes(key)) problems.push(`unknown field "${key}"`);
  }

  const { transactionId, accountId, amount, currency, type, occurredAt } = input;
  if (typeof transactionId !== "string" || !TRANSACTION_ID.test(transactionId)) {
    problems.push("transactionId must be a string of 1-64 characters from A-Z, a-z, 0-9, _ and -");
  }
  if (typeof accountId !== "string" || accountId.length === 0 || accountId.length > 64) {
    problems.push("accountId must be a non-empty string of at most 64 characters");
  }
  if (
    typeof amount !== "number" ||
    !Number.isFinite(amount) ||
    amount <= 0 ||
    amount > MAX_AMOUNT ||
    !AT_MOST_TWO_DECIMALS.test(String(amount))
  ) {
    problems.push("amount must be a number greater than 0, at most 1000000000, with at most 2 decimal places");
  }
  if (typeof currency !== "string" || !CURRENCY.test(currency)) {
    problems.push("currency must be a 3-letter uppercase ISO 4217 code");
  }
  if (!TYPES.includes(type)) {
    problems.push(`type must be one of: ${TYPES.join(", ")}`);
  }
  if (occurredAt !== undefined && !isTimestamp(occurredAt)) {
    problems.push("occurredAt must be an ISO 8601 timestamp with a UTC offset, e.g. 2024-05-01T12:30:00Z");
  }

  if (problems.length > 0) throw new ValidationError(problems);
  return {
    transactionId,
    accountId,
    amount,
    currency,
    type,
    // Normalised to UTC so stored timestamps sort and compare as strings.
    occurredAt: occurredAt === undefined ? defaultOccurredAt : new Date(occurredAt).toISOString(),
  };
}

function isTimestamp(value) {
  const match = typeof value === "string" && TIMESTAMP.exec(value);
  if (!match || Number.isNaN(Date.parse(value))) return false;
  // Date rolls impossible days over (2023-02-30 becomes March 2); a real
  // calendar date survives the round trip unchanged.
  const date = match[1];
  return new Date(`${date}T00:00:00Z`).toISOString().startsWith(date);
}

function wellFormedId(input) {
  const id = input?.transactionId;
  return typeof id === "string" && TRANSACTION_ID.test(id) ? id : undefined;
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
