import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

const { job } = createRequire(import.meta.url)("etl-shared");

describe("canonicalJson", () => {
  it("sorts object keys at every level and keeps array order", () => {
    assert.equal(job.canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } }), '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it("gives the same text for the same data whatever the key order", () => {
    assert.equal(job.canonicalJson({ x: 1, y: [1, 2] }), job.canonicalJson({ y: [1, 2], x: 1 }));
  });

  it("escapes strings and keys exactly as JSON does", () => {
    assert.equal(job.canonicalJson({ 'q"k': 'line\nbreak "é"' }), '{"q\\"k":"line\\nbreak \\"é\\""}');
  });
});

describe("checksum", () => {
  it("is the hex sha256 of the canonical JSON", () => {
    const expected = createHash("sha256").update('{"a":1,"b":"two"}').digest("hex");

    assert.equal(job.checksum({ b: "two", a: 1 }), expected);
  });

  it("is stable across calls", () => {
    const value = { list: [1, 2, 3], nested: { k: "v" } };

    assert.equal(job.checksum(value), job.checksum(structuredClone(value)));
  });
});

describe("validateJobRequest", () => {
  it("finds no problem in a valid request", () => {
    assert.deepEqual(job.validateJobRequest({ jobId: "j-1", source: "s", records: [{ id: "r", payload: {} }] }), []);
  });

  it("names fields and positions but never the submitted values", () => {
    const problems = job.validateJobRequest({
      jobId: "secret value 1",
      source: "",
      records: [{ id: "secret value 2", payload: "secret value 3" }],
    });

    assert.equal(problems.length, 3);
    assert.ok(!problems.join(" ").includes("secret value"));
  });

  it("measures depth without recursion, so a very deep payload is reported rather than crashing", () => {
    let deep = {};
    for (let i = 0; i < 100_000; i += 1) deep = { d: deep };

    const problems = job.validateJobRequest({ jobId: "j", source: "s", records: [{ id: "r", payload: deep }] });

    assert.deepEqual(problems, ["records[0].payload is nested more than 32 levels deep"]);
  });
});
