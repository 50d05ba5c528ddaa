// Normalises a job's records and hands them to the load function.
//
// Invoked asynchronously with `{ jobId, source, records: [{ id, payload }] }`.
// Each payload is normalised (strings trimmed, keys lower-cased, null fields
// dropped) and stamped with source, jobId, transformedAt and a checksum of the
// normalised payload. A batch with any invalid record is refused as a whole
// with a ValidationError listing every problem: loading part of a job would
// leave it half-done with nothing to show for the rest, while a failed
// invocation ends up in the dead-letter queue, where people look.

import { createRequire } from "node:module";

const shared = loadShared();
const { ValidationError, requireEnv, wrapHandler, createLogger } = shared;
const { validateJobRequest, checksum, limitProblems, isPlainObject, limits } = shared.job;

const NAME = "batch-transform";
const REQUIRED_ENV = {
  LOAD_FUNCTION: "the name or ARN of the batch-load function",
};

// Checked at module load so a function deployed without its configuration
// fails its cold start instead of accepting batches it cannot pass on.
readConfig(process.env);

/**
 * Builds a handler around its collaborators so tests can supply their own.
 *
 * @param {object} deps
 * @param {{ send(command: unknown): Promise<unknown> }} deps.lambda Lambda client.
 * @param {Record<string, string|undefined>} [deps.env] LOAD_FUNCTION.
 * @param {{ invoke?: Function }} [deps.commands] Turns Invoke parameters into what
 *   `send` accepts: the SDK's InvokeCommand in production, `{ name, input }` by default.
 * @param {object} [deps.logger] Base logger (etl-shared createLogger).
 * @param {() => Date} [deps.now] Clock, for transformedAt.
 */
export function createHandler({ lambda, env = process.env, commands = {}, logger, now = () => new Date() }) {
  if (typeof lambda?.send !== "function") throw new TypeError("lambda must have a send() method");
  const config = readConfig(env);
  const invoke = commands.invoke ?? ((input) => ({ name: "InvokeCommand", input }));
  const base = logger ?? createLogger({ fn: NAME, now });

  return wrapHandler(
    NAME,
    async (event, _context, log) => {
      const jobLog = log.child({ jobId: shared.job.isJobId(event?.jobId) ? event.jobId : undefined });
      const { records, problems } = transformBatch(event, now().toISOString());
      if (problems.length > 0) {
        jobLog.warn("batch rejected", { problemCount: problems.length, problems: problems.slice(0, 20) });
        throw new ValidationError(problems, "Invalid batch");
      }

      const { jobId } = event;
      const payload = JSON.stringify({ jobId, records });
      const bytes = Buffer.byteLength(payload, "utf8");
      if (bytes > limits.MAX_ASYNC_PAYLOAD_BYTES) {
        const problem =
          `the transformed batch is ${bytes} bytes; an asynchronous invocation accepts at most ` +
          `${limits.MAX_ASYNC_PAYLOAD_BYTES}, so submit the records as smaller jobs`;
        jobLog.warn("batch rejected", { problemCount: 1, problems: [problem] });
        throw new ValidationError([problem], "Invalid batch");
      }

      try {
        await lambda.send(
          invoke({
            FunctionName: config.loadFunction,
            InvocationType: "Event",
            Payload: Buffer.from(payload, "utf8"),
          }),
        );
      } catch (err) {
        jobLog.error("failed to invoke the load function", { loadFunction: config.loadFunction, error: err });
        throw err;
      }

      jobLog.info("batch transformed", { records: records.length, bytes });
      return { jobId, transformed: records.length };
    },
    { logger: base, now },
  );
}

/**
 * Validates a batch and transforms every record, collecting the problems of
 * all records rather than stopping at the first.
 *
 * @returns {{ records: object[], problems: string[] }}
 */
export function transformBatch(event, transformedAt) {
  const problems = [...validateJobRequest(event)];
  if (problems.length > 0) return { records: [], problems };

  const { jobId, source, records } = event;
  const transformed = [];
  records.forEach((record, index) => {
    const collisions = [];
    const payload = normalise(record.payload, collisions, "");
    for (const path of collisions) {
      problems.push(`records[${index}].payload has keys that differ only in case at ${path}`);
    }
    transformed.push({
      id: record.id,
      payload,
      source,
      jobId,
      transformedAt,
      checksum: checksum(payload),
    });
  });
  return { records: transformed, problems: limitProblems(problems) };
}

/**
 * Trims strings, lower-cases object keys and drops null fields at every level.
 * Arrays keep their length and order (null elements stay), so positions in
 * them keep their meaning. Depth is bounded by validateJobRequest.
 */
export function normalise(value, collisions = [], path = "") {
  if (typeof value === "string") return value.trim();
  if (Array.isArray(value)) return value.map((item, i) => normalise(item, collisions, `${path}[${i}]`));
  if (!isPlainObject(value)) return value;
  const entries = [];
  const seen = new Set();
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) continue;
    const lower = key.toLowerCase();
    const at = `${path}.${lower}`;
    // "Name" and "name" would silently overwrite each other; the record is refused instead.
    if (seen.has(lower)) collisions.push(displayPath(at));
    seen.add(lower);
    entries.push([lower, normalise(item, collisions, at)]);
  }
  // fromEntries defines own properties, so a "__proto__" key stays data.
  return Object.fromEntries(entries);
}

let defaultHandler;

/** Lambda entry point (handler setting `index.handler`). */
export async function handler(event, context) {
  // Built once per execution environment so warm invocations reuse the client.
  // A failed build is forgotten so the next call retries.
  defaultHandler ??= createDefaultHandler().catch((err) => {
    defaultHandler = undefined;
    throw err;
  });
  return (await defaultHandler)(event, context);
}

async function createDefaultHandler() {
  // Imported on first use rather than statically: the Lambda runtime provides
  // the SDK, and tests exercise createHandler without it installed.
  const { LambdaClient, InvokeCommand } = await import("@aws-sdk/client-lambda");
  return createHandler({
    lambda: new LambdaClient({}),
    env: process.env,
    commands: { invoke: (input) => new InvokeCommand(input) },
  });
}

function readConfig(env) {
  return { loadFunction: requireEnv(env, REQUIRED_ENV, NAME).LOAD_FUNCTION };
}

// Key paths come from the client; a bounded copy is enough to find the field.
function displayPath(path) {
  const text = path.startsWith(".") ? path.slice(1) : path;
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
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
