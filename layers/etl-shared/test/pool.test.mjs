import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const { createPool, sharedPool, maxConnections, ConfigurationError } = createRequire(import.meta.url)("etl-shared");

const tick = () => new Promise((resolve) => setImmediate(resolve));

function withMaxConnections(value, fn) {
  const previous = process.env.MAX_CONNECTIONS;
  if (value === undefined) delete process.env.MAX_CONNECTIONS;
  else process.env.MAX_CONNECTIONS = value;
  try {
    return fn();
  } finally {
    if (previous === undefined) delete process.env.MAX_CONNECTIONS;
    else process.env.MAX_CONNECTIONS = previous;
  }
}

describe("the pool", () => {
  it("never runs more than MAX_CONNECTIONS tasks at once: 50 tasks with MAX_CONNECTIONS=3", async () => {
    const pool = withMaxConnections("3", () => createPool());
    let running = 0;
    let peak = 0;
    const done = [];

    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        pool.use(async () => {
          running += 1;
          peak = Math.max(peak, running);
          assert.ok(pool.stats().inUse <= 3);
          await tick();
          await tick();
          running -= 1;
          done.push(i);
        }),
      ),
    );

    assert.equal(pool.max, 3);
    assert.equal(peak, 3, "three ran together, never more");
    assert.equal(done.length, 50);
    assert.deepEqual(pool.stats(), { max: 3, size: 3, inUse: 0, idle: 3, waiting: 0, peakInUse: 3 });
  });

  it("creates at most max connections and reuses them", async () => {
    let created = 0;
    const pool = createPool({ max: 2, create: async () => ({ id: ++created }) });
    const seen = new Set();

    await Promise.all(Array.from({ length: 10 }, () => pool.use(async (connection) => {
      seen.add(connection.id);
      await tick();
    })));

    assert.equal(created, 2);
    assert.deepEqual([...seen].sort(), [1, 2]);
  });

  it("can hand out the same client as every connection, limiting only concurrency", async () => {
    const client = { name: "dynamodb" };
    const pool = createPool({ max: 2, create: () => client });

    const results = await Promise.all([1, 2, 3].map(() => pool.use(async (c) => c)));

    assert.deepEqual(results, [client, client, client]);
  });

  it("serves waiting tasks first come, first served", async () => {
    const pool = createPool({ max: 1 });
    const order = [];
    const first = await pool.acquire();

    const waiting = ["a", "b", "c"].map((name) => pool.use(async () => order.push(name)));
    assert.equal(pool.stats().waiting, 3);
    pool.release(first);
    await Promise.all(waiting);

    assert.deepEqual(order, ["a", "b", "c"]);
  });

  it("releases the connection when the task throws, and passes the error on unchanged", async () => {
    const pool = createPool({ max: 1 });
    const failure = new Error("task failed");

    await assert.rejects(pool.use(async () => { throw failure; }), (err) => err === failure);

    assert.equal(pool.stats().inUse, 0);
    assert.equal(await pool.use(async () => "next"), "next");
  });

  it("frees the slot when creating a connection fails, so waiting tasks still run", async () => {
    let attempts = 0;
    const pool = createPool({
      max: 1,
      create: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error("connect failed");
        return { attempt: attempts };
      },
    });

    const first = pool.use(async () => "first");
    const second = pool.use(async (c) => c.attempt);

    await assert.rejects(first, /connect failed/);
    assert.equal(await second, 2);
    assert.equal(pool.stats().size, 1);
  });

  it("refuses a release without an acquire", () => {
    const pool = createPool({ max: 1 });

    assert.throws(() => pool.release({}), /release\(\) called without a matching acquire\(\)/);
  });

  it("defaults to 10 connections when MAX_CONNECTIONS is unset or empty", () => {
    assert.equal(withMaxConnections(undefined, () => createPool().max), 10);
    assert.equal(withMaxConnections("", () => createPool().max), 10);
  });

  it("accepts every whole number from 1 to 100", () => {
    assert.equal(maxConnections("1"), 1);
    assert.equal(maxConnections(" 42 "), 42);
    assert.equal(maxConnections("100"), 100);
    assert.equal(createPool({ max: 7 }).max, 7);
  });

  for (const value of ["0", "101", "-1", "2.5", "ten", "1e2", " ", "0x10", "NaN"]) {
    it(`throws a clear error for MAX_CONNECTIONS=${JSON.stringify(value)}`, () => {
      assert.throws(
        () => withMaxConnections(value, () => createPool()),
        (err) => {
          assert.ok(err instanceof ConfigurationError);
          assert.equal(err.name, "ConfigurationError");
          assert.equal(
            err.message,
            `MAX_CONNECTIONS must be a whole number from 1 to 100 (unset means 10), got ${JSON.stringify(value)}`,
          );
          return true;
        },
      );
    });
  }

  it("refuses a max given directly that is out of range", () => {
    assert.throws(() => createPool({ max: 0 }), /MAX_CONNECTIONS must be a whole number/);
    assert.throws(() => createPool({ max: 3.5 }), /MAX_CONNECTIONS must be a whole number/);
  });
});

describe("sharedPool", () => {
  it("returns the same pool for every call in one container, sized from MAX_CONNECTIONS", async () => {
    const client = { name: "client" };
    const pool = withMaxConnections("4", () => sharedPool(() => client));
    const again = withMaxConnections("9", () => sharedPool(() => ({ name: "other" })));

    assert.equal(again, pool);
    assert.equal(pool.max, 4);
    assert.equal(await again.use(async (c) => c), client, "the first create() is the one used");
  });
});
