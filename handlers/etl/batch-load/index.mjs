// Writes a job's transformed records to DynamoDB and marks the job loaded.
//
// Invoked asynchronously by batch-transform with `{ jobId, records }`.
// Records go out with BatchWriteItem in chunks of 25 (the most one call
// accepts). Chunks run concurrently, but never more at once than the pool
// allows (MAX_CONNECTIONS), so a large batch neither opens a socket per chunk
// nor bursts past the table's capacity. Items DynamoDB leaves unprocessed are
// retried with exponential backoff; if some remain, the invocation fails with
// a RetryableError so Lambda retries it, and the DLQ receives it if it keeps
// failing. Writes are plain puts of the same keys, so a retry is harmless.

import { createRequire } from "node:module";

const shared = loadShared();
const {
  createPool,
  sharedPool,
  maxConnections,
  requireEnv,
  wrapHandler,
  createLogger,
  ValidationError,
  RetryableError,
  isRetryable,
} = shared;
const { isJobId, canonicalJson, checksum, depth, limitProblems, isPlainObject, limits } = shared.job;

const NAME = "batch-load";
const REQUIRED_ENV = {
  RECORDS_TABLE: "the DynamoDB table records are written to",
  JOBS_TABLE: "the DynamoDB table whose job items are marked loaded",
};
export const CHUNK_SIZE = 25;
export const MAX_RETRIES = 5;
const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;
const LOAD_FIELDS = ["jobId", "records"];
const RECORD_FIELDS = ["id", "payload", "source", "jobId", "transformedAt", "checksum"];
const CHECKSUM = /^[0-9a-f]{64}$/;
// Returned instead of a response when a chunk got its turn after another had failed.
const SKIPPED = Symbol("skipped");

// Checked at module load so a function deployed without its configuration
// fails its cold start instead of accepting batches it cannot write.
readConfig(process.env);

/**
 * Builds a handler around its collaborators so tests can supply their own.
 *
 * @param {object} deps
 * @param {{ send(command: unknown): Promise<unknown> }} deps.dynamodb DynamoDB client.
 * @param {Record<string, string|undefined>} [deps.env] RECORDS_TABLE, JOBS_TABLE, MAX_CONNECTIONS.
 * @param {object} [deps.pool] Bounds concurrent DynamoDB calls; defaults to a new
 *   pool of MAX_CONNECTIONS around `dynamodb`.
 * @param {{ batchWriteItem?: Function, updateItem?: Function }} [deps.commands] Turn
 *   request parameters into what `send` accepts: the SDK's commands in production,
 *   `{ name, input }` objects by default.
 * @param {object} [deps.logger] Base logger (etl-shared createLogger).
 * @param {(ms: number) => Promise<void>} [deps.sleep] Waits between retries.
 * @param {() => number} [deps.random] Jitter source in [0, 1).
 * @param {() => Date} [deps.now] Clock, for loadedAt.
 */
export function createHandler({
  dynamodb,
  env = process.env,
  pool,
  commands = {},
  logger,
  sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random = Math.random,
  now = () => new Date(),
}) {
  if (typeof dynamodb?.send !== "function") throw new TypeError("dynamodb must have a send() method");
  const config = readConfig(env);
  const limiter = pool ?? createPool({ max: config.maxConnections, create: () => dynamodb });
  const batchWriteItem = commands.batchWriteItem ?? plainCommand("BatchWriteItemCommand");
  const updateItem = commands.updateItem ?? plainCommand("UpdateItemCommand");
  const base = logger ?? createLogger({ fn: NAME, now });

  // Half fixed, half random: always some wait, and chunks throttled together
  // do not all come back at the same moment.
  function backoff(retry) {
    const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (retry - 1));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  async function writeChunk(requests, chunk, state, log) {
    let pending = requests;
    let reason = "unprocessed items";
    for (let attempt = 0; attempt <= MAX_RETRIES; attempt += 1) {
      if (attempt > 0) {
        const delayMs = backoff(attempt);
        log.warn("retrying records DynamoDB did not write", {
          chunk,
          retry: attempt,
          pending: pending.length,
          delayMs,
          reason,
        });
        await sleep(delayMs);
      }
      // Another chunk has failed the invocation: sending more is wasted work.
      if (state.error) return pending.length;
      const final = attempt === MAX_RETRIES;
      let response;
      try {
        response = await limiter.use(async (client) => {
          if (state.error) return SKIPPED;
          try {
            return await client.send(batchWriteItem({ RequestItems: { [config.recordsTable]: pending } }));
          } catch (err) {
            // Recorded before the connection is released, so the chunk that
            // gets it next sees the failure and does not send.
            if (final || !isRetryable(err)) state.error ??= err;
            throw err;
          }
        });
      } catch (err) {
        if (final || !isRetryable(err)) throw err;
        reason = err.name;
        continue;
      }
      if (response === SKIPPED) return pending.length;
      pending = response?.UnprocessedItems?.[config.recordsTable] ?? [];
      if (pending.length === 0) return 0;
      reason = "unprocessed items";
    }
    return pending.length;
  }

  return wrapHandler(
    NAME,
    async (event, _context, log) => {
      const jobLog = log.child({ jobId: isJobId(event?.jobId) ? event.jobId : undefined });
      const problems = validateLoadRequest(event);
      if (problems.length > 0) {
        jobLog.warn("batch rejected", { problemCount: problems.length, problems: problems.slice(0, 20) });
        throw new ValidationError(problems, "Invalid load batch");
      }

      const { jobId, records } = event;
      const loadedAt = now().toISOString();
      const requests = records.map((record) => ({
        PutRequest: {
          Item: {
            jobId: { S: jobId },
            recordId: { S: record.id },
            source: { S: record.source },
            checksum: { S: record.checksum },
            transformedAt: { S: record.transformedAt },
            loadedAt: { S: loadedAt },
            // Stored as its canonical JSON, the exact text `checksum` hashes.
            payload: { S: canonicalJson(record.payload) },
          },
        },
      }));
      const chunks = [];
      for (let i = 0; i < requests.length; i += CHUNK_SIZE) chunks.push(requests.slice(i, i + CHUNK_SIZE));

      // Every chunk is allowed to settle before the invocation ends, so no
      // write is still running when Lambda freezes the environment.
      const state = { error: undefined };
      const outcomes = await Promise.allSettled(
        chunks.map((chunk, index) => writeChunk(chunk, index, state, jobLog)),
      );
      if (state.error) {
        jobLog.error("failed to write records", { table: config.recordsTable, error: state.error });
        throw state.error;
      }
      const failed = outcomes.find((outcome) => outcome.status === "rejected");
      if (failed) throw failed.reason;
      const unprocessed = outcomes.reduce((sum, outcome) => sum + outcome.value, 0);
      if (unprocessed > 0) {
        throw new RetryableError(
          `${unprocessed} of ${records.length} records were still unprocessed by DynamoDB after ${MAX_RETRIES} retries`,
          { details: { jobId, table: config.recordsTable, unprocessed, records: records.length } },
        );
      }

      try {
        await limiter.use((client) =>
          client.send(
            updateItem({
              TableName: config.jobsTable,
              Key: { jobId: { S: jobId } },
              UpdateExpression: "SET #status = :status, loadedCount = :count, loadedAt = :loadedAt",
              // Only jobs the API recorded are updated; an update would
              // otherwise create a job item that has no source or recordCount.
              ConditionExpression: "attribute_exists(jobId)",
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: {
                ":status": { S: "loaded" },
                ":count": { N: String(records.length) },
                ":loadedAt": { S: loadedAt },
              },
            }),
          ),
        );
      } catch (err) {
        jobLog.error("records written but the job could not be marked loaded", {
          table: config.jobsTable,
          error: err,
        });
        throw err;
      }

      jobLog.info("batch loaded", { records: records.length, chunks: chunks.length });
      return { jobId, loaded: records.length };
    },
    { logger: base, now },
  );
}

/**
 * Checks a load batch `{ jobId, records }` as batch-transform produces it.
 * Problems name fields and record positions, never values.
 */
export function validateLoadRequest(event) {
  if (!isPlainObject(event)) return ["the load batch must be a JSON object"];
  const problems = [];
  for (const key of Object.keys(event)) {
    if (!LOAD_FIELDS.includes(key)) problems.push(`unknown field ${quote(key)}`);
  }
  const { jobId, records } = event;
  if (!isJobId(jobId)) problems.push("jobId must be a string of 1-64 characters from A-Z, a-z, 0-9, _ and -");
  if (!Array.isArray(records) || records.length === 0 || records.length > limits.MAX_RECORDS) {
    problems.push(`records must be an array of 1-${limits.MAX_RECORDS} records`);
    return limitProblems(problems);
  }

  const firstIndex = new Map();
  records.forEach((record, index) => {
    const at = `records[${index}]`;
    if (!isPlainObject(record)) {
      problems.push(`${at} must be an object`);
      return;
    }
    for (const key of Object.keys(record)) {
      if (!RECORD_FIELDS.includes(key)) problems.push(`${at} has unknown field ${quote(key)}`);
    }
    const { id, payload, source, transformedAt } = record;
    if (typeof id !== "string" || id.length === 0 || id.length > limits.MAX_RECORD_ID_LENGTH) {
      problems.push(`${at}.id must be a string of 1-${limits.MAX_RECORD_ID_LENGTH} characters`);
    } else if (firstIndex.has(id)) {
      // BatchWriteItem refuses a call that writes one key twice.
      problems.push(`${at}.id repeats records[${firstIndex.get(id)}].id`);
    } else {
      firstIndex.set(id, index);
    }
    if (record.jobId !== jobId) problems.push(`${at}.jobId must equal the batch's jobId`);
    if (typeof source !== "string" || source.length === 0 || source.length > limits.MAX_SOURCE_LENGTH) {
      problems.push(`${at}.source must be a string of 1-${limits.MAX_SOURCE_LENGTH} characters`);
    }
    if (typeof transformedAt !== "string" || Number.isNaN(Date.parse(transformedAt))) {
      problems.push(`${at}.transformedAt must be an ISO 8601 timestamp`);
    }
    if (typeof record.checksum !== "string" || !CHECKSUM.test(record.checksum)) {
      problems.push(`${at}.checksum must be 64 lowercase hex characters`);
    }
    if (!isPlainObject(payload)) {
      problems.push(`${at}.payload must be a JSON object`);
      return;
    }
    if (depth(payload) > limits.MAX_PAYLOAD_DEPTH) {
      problems.push(`${at}.payload is nested more than ${limits.MAX_PAYLOAD_DEPTH} levels deep`);
      return;
    }
    const bytes = Buffer.byteLength(canonicalJson(payload), "utf8");
    if (bytes > limits.MAX_RECORD_PAYLOAD_BYTES) {
      problems.push(`${at}.payload is ${bytes} bytes as JSON; at most ${limits.MAX_RECORD_PAYLOAD_BYTES} fit in an item`);
    } else if (CHECKSUM.test(record.checksum ?? "") && checksum(payload) !== record.checksum) {
      // The payload changed after the transform computed its checksum.
      problems.push(`${at}.checksum does not match its payload`);
    }
  });
  return limitProblems(problems);
}

let defaultHandler;

/** Lambda entry point (handler setting `index.handler`). */
export async function handler(event, context) {
  // Built once per execution environment so warm invocations reuse the client
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
  const { DynamoDBClient, BatchWriteItemCommand, UpdateItemCommand } = await import("@aws-sdk/client-dynamodb");
  const dynamodb = new DynamoDBClient({});
  return createHandler({
    dynamodb,
    env: process.env,
    pool: sharedPool(() => dynamodb),
    commands: {
      batchWriteItem: (input) => new BatchWriteItemCommand(input),
      updateItem: (input) => new UpdateItemCommand(input),
    },
  });
}

function readConfig(env) {
  const values = requireEnv(env, REQUIRED_ENV, NAME);
  return {
    recordsTable: values.RECORDS_TABLE,
    jobsTable: values.JOBS_TABLE,
    maxConnections: maxConnections(env.MAX_CONNECTIONS),
  };
}

function plainCommand(name) {
  return (input) => ({ name, input });
}

function quote(key) {
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
}

// Kept local so a missing layer yields a clear message at cold start.
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
