// Test doubles shared by the ETL handler tests. Kept outside the test/
// folders because the test runner treats every module there as a test file.

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export const shared = createRequire(import.meta.url)("etl-shared");

export const NOW = new Date("2024-05-01T12:00:00.000Z");
export const CONTEXT = { awsRequestId: "req-0001" };

/**
 * A stand-in SDK client: records every command it is sent and answers with
 * whatever `respond` returns or throws. `inFlight`/`peak` count concurrent sends.
 */
export function fakeClient(respond = async () => ({})) {
  const client = {
    sent: [],
    inFlight: 0,
    peak: 0,
    async send(command) {
      client.sent.push(command);
      client.inFlight += 1;
      client.peak = Math.max(client.peak, client.inFlight);
      try {
        return await respond(command, client.sent.length);
      } finally {
        client.inFlight -= 1;
      }
    },
  };
  return client;
}

/** An error shaped like the ones the AWS SDK throws. */
export function awsError(name, message, httpStatusCode = 400) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode, requestId: "aws-req-1" } });
}

/** A logger from etl-shared that keeps its lines instead of writing them. */
export function captureLogger({ now = () => NOW, level = "debug" } = {}) {
  const lines = [];
  const logger = shared.createLogger({ write: (line) => lines.push(line), now, level });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line)) };
}

/** Decodes the Payload of an Invoke request. */
export function decodePayload(payload) {
  return JSON.parse(Buffer.from(payload).toString("utf8"));
}

/**
 * Loads a handler module in a fresh Node process with exactly the given
 * environment (plus PATH and NODE_PATH unless overridden), the way the Lambda
 * runtime loads it at cold start.
 */
export function coldStart(indexPath, env) {
  const script = `await import(${JSON.stringify(pathToFileURL(indexPath).href)});`;
  return spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { PATH: process.env.PATH, NODE_PATH: process.env.NODE_PATH ?? "", ...env },
    encoding: "utf8",
  });
}

let freshLoads = 0;

/**
 * Evaluates a handler module afresh, as a cold start does, with the given
 * variables set (undefined removes one) and restored afterwards. A new query
 * string makes the module loader evaluate the file again instead of reusing
 * the cached module.
 */
export async function freshImport(indexPath, env) {
  const previous = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  const apply = (values) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(env);
  try {
    freshLoads += 1;
    return await import(`${pathToFileURL(indexPath).href}?cold-start=${freshLoads}`);
  } finally {
    apply(previous);
  }
}

const STAND_IN_SDK = {
  "client-dynamodb": `export const clients = [];
export class DynamoDBClient {
  constructor(config) { this.config = config; this.sent = []; clients.push(this); }
  async send(command) { this.sent.push(command); return {}; }
}
export class PutItemCommand { constructor(input) { this.input = input; } }
export class BatchWriteItemCommand { constructor(input) { this.input = input; } }
export class UpdateItemCommand { constructor(input) { this.input = input; } }
`,
  "client-lambda": `export const clients = [];
export class LambdaClient {
  constructor(config) { this.config = config; this.sent = []; clients.push(this); }
  async send(command) { this.sent.push(command); return { StatusCode: 202 }; }
}
export class InvokeCommand { constructor(input) { this.input = input; } }
`,
};

/**
 * Copies a handler's index.mjs next to stand-in @aws-sdk/client-dynamodb and
 * @aws-sdk/client-lambda packages, so the exported `handler` and its lazy SDK
 * wiring run without the real SDK or AWS.
 */
export function withStandInSdk(indexPath) {
  const dir = mkdtempSync(join(tmpdir(), "etl-handler-"));
  for (const [name, source] of Object.entries(STAND_IN_SDK)) {
    const sdkDir = join(dir, "node_modules", "@aws-sdk", name);
    mkdirSync(sdkDir, { recursive: true });
    writeFileSync(
      join(sdkDir, "package.json"),
      JSON.stringify({ name: `@aws-sdk/${name}`, type: "module", exports: "./index.js" }),
    );
    writeFileSync(join(sdkDir, "index.js"), source);
  }
  copyFileSync(indexPath, join(dir, "index.mjs"));
  return {
    importHandler: () => import(pathToFileURL(join(dir, "index.mjs")).href),
    importSdk: (name) => import(pathToFileURL(join(dir, "node_modules", "@aws-sdk", name, "index.js")).href),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Collects the log lines written to stdout while fn runs. Only our JSON log
 * lines are taken: anything else (the test runner reports through stdout too)
 * is passed through untouched.
 */
export async function captureStdout(fn) {
  const original = process.stdout.write;
  const lines = [];
  process.stdout.write = function write(chunk, ...rest) {
    if (typeof chunk === "string" && chunk.startsWith('{"timestamp"')) {
      lines.push(chunk);
      const callback = rest.find((arg) => typeof arg === "function");
      if (callback) callback();
      return true;
    }
    return original.call(process.stdout, chunk, ...rest);
  };
  try {
    await fn();
  } finally {
    process.stdout.write = original;
  }
  return lines.join("");
}
