// Accepts ETL job requests: validates them, records the job in DynamoDB once,
// and hands the records to the transform function asynchronously.
//
// Invoked by API Gateway (proxy integration, the job as a JSON body) or
// directly with the job as the event. Invalid requests get a 400 answer rather
// than an error, because an API caller needs to know what to fix; AWS failures
// are rethrown so they show up as function errors.

import { createRequire } from "node:module";

const shared = loadShared();
const { createPool, sharedPool, maxConnections, requireEnv, wrapHandler, createLogger } = shared;
const { validateJobRequest } = shared.job;

const NAME = "api-handler";
const REQUIRED_ENV = {
  JOBS_TABLE: "the DynamoDB table jobs are recorded in",
  TRANSFORM_FUNCTION: "the name or ARN of the batch-transform function",
};
const JSON_HEADERS = { "content-type": "application/json" };

// Checked at module load so a function deployed without its configuration
// fails its cold start instead of accepting jobs it cannot record.
readConfig(process.env);

/**
 * Builds a handler around its collaborators so tests can supply their own.
 *
 * @param {object} deps
 * @param {{ send(command: unknown): Promise<unknown> }} deps.dynamodb DynamoDB client.
 * @param {{ send(command: unknown): Promise<unknown> }} deps.lambda Lambda client.
 * @param {Record<string, string|undefined>} [deps.env] JOBS_TABLE, TRANSFORM_FUNCTION, MAX_CONNECTIONS.
 * @param {object} [deps.pool] Bounds concurrent DynamoDB calls; defaults to a new
 *   pool of MAX_CONNECTIONS around `dynamodb`.
 * @param {{ putItem?: Function, invoke?: Function }} [deps.commands] Turn request
 *   parameters into what `send` accepts. Production passes the SDK's
 *   PutItemCommand and InvokeCommand; the defaults make `{ name, input }`
 *   objects, shaped like SDK commands, for test doubles.
 * @param {object} [deps.logger] Base logger (etl-shared createLogger).
 * @param {() => Date} [deps.now] Clock.
 */
export function createHandler({
  dynamodb,
  lambda,
  env = process.env,
  pool,
  commands = {},
  logger,
  now = () => new Date(),
}) {
  if (typeof dynamodb?.send !== "function") throw new TypeError("dynamodb must have a send() method");
  if (typeof lambda?.send !== "function") throw new TypeError("lambda must have a send() method");
  const config = readConfig(env);
  const limiter = pool ?? createPool({ max: config.maxConnections, create: () => dynamodb });
  const putItem = commands.putItem ?? plainCommand("PutItemCommand");
  const invoke = commands.invoke ?? plainCommand("InvokeCommand");
  const base = logger ?? createLogger({ fn: NAME, now });

  return wrapHandler(
    NAME,
    async (event, _context, log) => {
      let job;
      try {
        job = parseEvent(event);
      } catch (err) {
        if (err instanceof BadRequest) return reject(log, [err.message]);
        throw err;
      }
      const problems = validateJobRequest(job);
      if (problems.length > 0) return reject(log, problems, job);

      const { jobId, source, records } = job;
      const jobLog = log.child({ jobId });
      const params = {
        TableName: config.jobsTable,
        Item: {
          jobId: { S: jobId },
          source: { S: source },
          status: { S: "accepted" },
          recordCount: { N: String(records.length) },
          acceptedAt: { S: now().toISOString() },
        },
        // A client retrying the same request must not start the job twice.
        ConditionExpression: "attribute_not_exists(jobId)",
      };

      try {
        await limiter.use((client) => client.send(putItem(params)));
      } catch (err) {
        if (err?.name === "ConditionalCheckFailedException") {
          jobLog.info("job already exists");
          return respond(409, { error: "job already exists", jobId });
        }
        jobLog.error("failed to record job", { table: config.jobsTable, error: err });
        throw err;
      }

      try {
        await lambda.send(
          invoke({
            FunctionName: config.transformFunction,
            InvocationType: "Event",
            Payload: Buffer.from(JSON.stringify({ jobId, source, records }), "utf8"),
          }),
        );
      } catch (err) {
        // The job item exists but nothing will process it; the line says so,
        // so the job can be found and resubmitted.
        jobLog.error("job recorded but the transform could not be invoked", {
          transformFunction: config.transformFunction,
          error: err,
        });
        throw err;
      }

      jobLog.info("job accepted", { records: records.length });
      return respond(202, { jobId, status: "accepted", records: records.length });
    },
    { logger: base, now },
  );
}

let defaultHandler;

/** Lambda entry point (handler setting `index.handler`). */
export async function handler(event, context) {
  // Built once per execution environment so warm invocations reuse the clients
  // and the pool. A failed build is forgotten so the next call retries.
  defaultHandler ??= createDefaultHandler().catch((err) => {
    defaultHandler = undefined;
    throw err;
  });
  return (await defaultHandler)(event, context);
}

async function createDefaultHandler() {
  // Imported on first use rather than statically: the Lambda runtime provides
  // the SDK, and tests exercise createHandler without it installed.
  const [{ DynamoDBClient, PutItemCommand }, { LambdaClient, InvokeCommand }] = await Promise.all([
    import("@aws-sdk/client-dynamodb"),
    import("@aws-sdk/client-lambda"),
  ]);
  const dynamodb = new DynamoDBClient({});
  return createHandler({
    dynamodb,
    lambda: new LambdaClient({}),
    env: process.env,
    pool: sharedPool(() => dynamodb),
    commands: {
      putItem: (input) => new PutItemCommand(input),
      invoke: (input) => new InvokeCommand(input),
    },
  });
}

function readConfig(env) {
  const values = requireEnv(env, REQUIRED_ENV, NAME);
  return {
    jobsTable: values.JOBS_TABLE,
    transformFunction: values.TRANSFORM_FUNCTION,
    maxConnections: maxConnections(env.MAX_CONNECTIONS),
  };
}

class BadRequest extends Error {}

// The job itself, or an API Gateway proxy event carrying it as a JSON string
// in `body` (base64-encoded when isBase64Encoded is set).
function parseEvent(event) {
  if (!isObject(event)) throw new BadRequest("the event must be a JSON object");
  if (!Object.hasOwn(event, "body")) return event;
  if (typeof event.body !== "string") throw new BadRequest("body must be a JSON string");
  const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("body is not valid JSON");
  }
}

function reject(log, problems, job) {
  // Problems name fields, never values, and the event is not logged: headers
  // can carry credentials and records can carry personal data.
  log.warn("job request rejected", { jobId: wellFormedJobId(job), problems });
  return respond(400, { error: "invalid job request", problems });
}

function respond(statusCode, body) {
  return { statusCode, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

function wellFormedJobId(job) {
  return shared.job.isJobId(job?.jobId) ? job.jobId : undefined;
}

function plainCommand(name) {
  return (input) => ({ name, input });
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function loadShared() {
  try {
    return createRequire(import.meta.url)("etl-shared");
  } catch (err) {
    if (err?.code === "MODULE_NOT_FOUND" && String(err.message).includes("'etl-shared'")) {
      throw new Error(
        "etl-shared is not installed: attach the etl-shared Lambda layer to this function " +
          "(or, outside Lambda, set NODE_PATH to layers/etl-shared/nodejs/node_modules)",
      );
    }
    throw err;
  }
}
