// The local AWS's Node.js execution environment: loads one function's handler and runs the
// invocations its parent sends, one at a time, as Lambda's managed runtime does.
//
// Protocol: the parent writes one JSON request per line on stdin; every line this process
// writes on stdout is one JSON frame: {k:"init"}, {k:"log"} (console output, formatted here in
// the function's log format), {k:"out"} (raw stdout/stderr writes) or {k:"result"}. Raw writes
// go through the same stream as the result, so a line printed just before a handler returns
// is never attributed to the next invocation.

import { createInterface } from "node:readline";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";

const taskRoot = process.env.LAMBDA_TASK_ROOT;
const handlerSetting = process.env._HANDLER ?? "index.handler";
const jsonLogs = process.env.AWS_LAMBDA_LOG_FORMAT === "JSON";
const writeFrame = process.stdout.write.bind(process.stdout);
let requestId = null;

function frame(payload) {
  writeFrame(`${JSON.stringify(payload)}\n`);
}

// Raw writes (a logger writing JSON lines itself, a crash trace) reach the log unformatted.
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, encoding, callback) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    frame({ k: "out", m: text });
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") done();
    return true;
  };
}

// console.* lines in the shape Lambda's runtime gives them (Text: tab-separated, JSON: one object).
const LEVELS = { log: "INFO", info: "INFO", warn: "WARN", error: "ERROR", debug: "DEBUG", trace: "TRACE" };
for (const [method, level] of Object.entries(LEVELS)) {
  console[method] = (...args) => {
    const message = format(...args);
    const timestamp = new Date().toISOString();
    const line = jsonLogs
      ? JSON.stringify({ timestamp, level, requestId, message })
      : `${timestamp}\t${requestId ?? "undefined"}\t${level}\t${message}`;
    frame({ k: "log", m: line });
  };
}

function describe(err, fallbackType) {
  if (err instanceof Error) {
    const trace = String(err.stack ?? "").split("\n").slice(1).map((l) => l.trim());
    return { errorType: err.name || fallbackType, errorMessage: err.message, trace };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

// Lambda's runtimes ship the whole AWS SDK v3; the local AWS ships the clients functions use
// most (package.json beside this file). A missing one says so, and how to run it here anyway.
function sdkHint(message) {
  const missing = /'(@aws-sdk\/[^'/]+)/.exec(String(message))?.[1];
  if (!missing) return "";
  return ` (the local AWS's Node.js runtime has the AWS SDK v3 clients functions use most, not ` +
    `${missing}: bundle it in the function's code or a layer to run it here; Lambda's runtime ` +
    `has every client)`;
}

async function loadHandler() {
  const dot = handlerSetting.lastIndexOf(".");
  const [modulePath, exportName] = [handlerSetting.slice(0, dot), handlerSetting.slice(dot + 1)];
  // Lambda looks for the module with each of these extensions, in this order.
  const file = [".js", ".mjs", ".cjs"].map((ext) => join(taskRoot, modulePath + ext)).find(existsSync);
  if (!file) {
    const error = new Error(`Cannot find module '${modulePath}'`);
    error.name = "Runtime.ImportModuleError";
    throw error;
  }
  let loaded;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (err) {
    if (err?.code === "ERR_MODULE_NOT_FOUND" || err?.code === "MODULE_NOT_FOUND") {
      const error = new Error(`${err.name}: ${err.message}${sdkHint(err.message)}`);
      error.name = "Runtime.ImportModuleError";
      throw error;
    }
    throw err;
  }
  const handler = loaded[exportName] ?? loaded.default?.[exportName];
  if (typeof handler !== "function") {
    const error = new Error(`${modulePath}.${exportName} is undefined or not exported`);
    error.name = "Runtime.HandlerNotFound";
    throw error;
  }
  return handler;
}

function context(request) {
  const deadline = request.deadlineMs;
  return {
    awsRequestId: request.requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: request.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

async function run(handler, request) {
  requestId = request.requestId;
  const started = performance.now();
  let outcome;
  try {
    const value = await handler(request.event, context(request));
    outcome = { ok: true, payload: JSON.stringify(value === undefined ? null : value) };
  } catch (err) {
    outcome = { ok: false, error: describe(err, "Error") };
  }
  const memoryMb = Math.ceil(process.memoryUsage().rss / (1024 * 1024));
  frame({ k: "result", requestId, durationMs: performance.now() - started, memoryMb, ...outcome });
  requestId = null;
}

const initStarted = performance.now();
let handler;
try {
  handler = await loadHandler();
  frame({ k: "init", ok: true, durationMs: performance.now() - initStarted });
} catch (err) {
  frame({ k: "init", ok: false, durationMs: performance.now() - initStarted, error: describe(err, "Runtime.UserCodeSyntaxError") });
}

// One invocation at a time: the next line is read only after the previous result is sent.
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  await run(handler, JSON.parse(line));
}
