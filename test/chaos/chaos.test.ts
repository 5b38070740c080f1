// Chaos test of issue 16: four `vigil node start` processes (f = 1) settle every epoch on anvil through
// the KeystoneForwarder while this test kills and pauses them.
//
// A. f faulty at a time: kill -9 one node at a random point of an epoch and restart it; once it is
//    back (it certified an epoch again), SIGSTOP another at a random moment and SIGCONT it after the
//    epoch's end and close went by.
//    Every epoch settles with its certified result; none times out.
// B. f + 1 down across an epoch boundary: kill -9 two nodes mid-epoch, restart them after the epoch
//    ended. Nobody can certify that epoch (the two left are short of 2f + 1, the restarted ones start
//    with the epoch current at their start), so it settles as an explicit timeout
//    (`EpochTimedOut`, SETTLEMENT_TIMEOUT_EPOCHS after its end; a restart slower than an epoch, ~20 s
//    here, leaves the next epoch to the timeout too), and settlement catches up within
//    RECOVERY_BOUND_EPOCHS of the nodes' return, with at most TX_PER_EPOCH_BOUND forwarder transactions
//    per settled epoch.
//
// Every verdict comes from the chain (events and views read with viem), and from the certificates the
// nodes serve on their feed API for the no-equivocation check; never from logs. Random moments come
// from a seeded generator: CHAOS_SEED=<printed seed> replays a run's schedule.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { vigilSettlementAbi } from "../../contracts/index";
import { verifyResultVotes } from "../../oracle-node/feed/client/index";
import { type OracleCluster, startOracleCluster } from "./oracleCluster";
import { readForwarderTransactions, readSettlementHistory } from "./settlementAudit";

const NODES = 4;
const F = 1;
/**
 * Short epochs, yet long enough for the operator defaults on 2 busy cores: agreement (a 10 s propose
 * timeout when a view's leader is down) and one settlement per 2 s cron tick.
 */
const EPOCH_SECONDS = 12;
/**
 * Nodes are spawned right after the network is registered; four took 25-41 s (deployment included)
 * to answer with their peers on 2 cores under a load average of 8-12 (an epoch none of them ran from its end times out, as it
 * should, but is no fault of this test's: see `marks.firstEpoch`).
 */
const GENESIS_DELAY_SECONDS = 40;
/**
 * After the f + 1 nodes return, the chain's `nextEpoch` reaches the current epoch within this many
 * epochs: the last epoch nobody certified ended at most when they returned and may settle (as a
 * timeout) SETTLEMENT_TIMEOUT_EPOCHS = 2 epochs after its end; then the epochs certified meanwhile
 * follow, one per 2 s cron tick, and the epoch that ends meanwhile needs its close grace, agreement and
 * a tick (one epoch more); one more for a loaded machine. Measured: 21-27 s (1.8-2.2 epochs).
 */
const RECOVERY_BOUND_EPOCHS = 4;
/**
 * Forwarder transactions per settled epoch while catching up. One is the design (each later node in
 * the transmission schedule checks the forwarder before sending); the second covers a transmitter
 * that raced a slow confirmation on a loaded machine.
 */
const TX_PER_EPOCH_BOUND = 2;

const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = mulberry32(seed);
const between = (lo: number, hi: number) => lo + (hi - lo) * random();
/** `k` distinct node indexes, in random order. */
const pick = (k: number) => {
  const all = Array.from({ length: NODES }, (_, i) => i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, k);
};

const dir = join(import.meta.dirname, "..", "..", "test-output", `chaos-${process.pid}`);
let cluster: OracleCluster;
let failed = false;
/** Block from which the chain is audited (the deployment's). */
let fromBlock: bigint;
/** The first epoch all four nodes ran from its start, and the last one scenario A checked. */
const marks = { firstEpoch: 0n, aThrough: 0n };

const nextEpoch = () =>
  cluster.home.public.readContract({
    address: cluster.deployment.settlement,
    abi: vigilSettlementAbi,
    functionName: "nextEpoch",
    args: [cluster.networkId],
  });

/** Wall-clock ms at `fraction` of epoch `e`. */
const at = (e: bigint, fraction: number) => cluster.epochEndMs(e - 1n) + fraction * EPOCH_SECONDS * 1000;

/** The first moment at a random fraction in [lo, hi] of an epoch that is still ahead (this one or the next). */
function randomMoment(lo: number, hi: number): { epoch: bigint; ms: number } {
  const r = between(lo, hi);
  const now = cluster.epochAt();
  const epoch = at(now, r) > Date.now() + 500 ? now : now + 1n;
  return { epoch, ms: at(epoch, r) };
}

const sleepUntil = (ms: number) => sleep(Math.max(0, ms - Date.now()));

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await check())) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    },
    { timeout: timeoutMs, interval: 250 },
  );
}

/** `work`, unless one of `nodes` exits first: then it fails at once, naming the node's log. */
function whileRunning<T>(nodes: readonly number[], work: Promise<T>): Promise<T> {
  const exited = Promise.race(nodes.map((i) => cluster.nodes[i]!.proc.exited.then((code) => ({ i, code }))));
  return Promise.race([work.then((value) => ({ value })), exited.then((exit) => ({ exit }))]).then((r) => {
    if ("value" in r) return r.value;
    const { i, code } = r.exit;
    throw new Error(
      `node ${i} exited (code ${code}) while the test waited for it; see ${cluster.nodes[i]!.proc.logFile}`,
    );
  });
}

const log = (line: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

beforeAll(async () => {
  log(`seed ${seed} (CHAOS_SEED=${seed} replays this schedule); node logs in ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  cluster = await startOracleCluster({
    dir,
    nodes: NODES,
    epochSeconds: EPOCH_SECONDS,
    genesisDelaySeconds: GENESIS_DELAY_SECONDS,
    devices: 3,
  });
  fromBlock = BigInt(cluster.deployment.deployBlock ?? 0);
}, 120_000);

afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") failed = true;
});

afterAll(async () => {
  await cluster?.stop();
  // Logs stay for a failed run (their path is printed at the start).
  if (!failed) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe.sequential("chaos: settlement survives crashed and paused oracle nodes", () => {
  it("four node processes come up and find each other", async () => {
    await whileRunning(
      [0, 1, 2, 3],
      until(
        "all four nodes to answer /health with 3 peers each",
        async () => {
          for (let i = 0; i < NODES; i++) if ((await cluster.peers(i)) < NODES - 1) return false;
          return true;
        },
        90_000,
      ),
    );
    // The first epoch all four ran through from its start: faults come after it.
    marks.firstEpoch = Date.now() < cluster.epochEndMs(-1n) ? 0n : cluster.epochAt() + 1n;
    log(`all nodes up; genesis in ${Math.round((cluster.epochEndMs(-1n) - Date.now()) / 1000)} s`);
  }, 100_000);

  it("A: with f = 1 node faulty at a time (kill -9 and restart, then SIGSTOP and SIGCONT) every epoch settles", async (ctx) => {
    // Each scenario starts from the state the one before left: nothing to learn after a failure.
    if (failed) ctx.skip();
    const [killed, paused] = pick(2) as [number, number];
    // kill -9 at a random point of an epoch all four nodes ran from its start.
    let moment = randomMoment(0.1, 0.9);
    if (moment.epoch < marks.firstEpoch)
      moment = { epoch: marks.firstEpoch, ms: at(marks.firstEpoch, between(0.1, 0.9)) };
    await sleepUntil(moment.ms);
    cluster.kill(killed);
    log(`A: kill -9 node ${killed} in epoch ${cluster.epochAt()}`);
    await sleep(between(2_000, 6_000));
    await until(`node ${killed}'s process to exit`, async () => !cluster.nodes[killed]!.proc.alive(), 10_000);
    cluster.restart(killed);
    await whileRunning(
      [killed],
      until(`node ${killed} to answer again`, () => cluster.healthy(killed), 60_000),
    );
    // Back once it certified an epoch it ran: the one current when it answered (it closes it at its end).
    const rejoined = cluster.epochAt();
    log(`A: node ${killed} restarted, answering in epoch ${rejoined}`);
    await until(
      `node ${killed} to certify epoch ${rejoined} after its restart`,
      async () => (await cluster.result(killed, rejoined)) !== undefined,
      cluster.epochEndMs(rejoined) - Date.now() + 40_000,
    );

    // SIGSTOP another at a random moment of an epoch's second half and SIGCONT it at one of the next
    // epoch's 20-60%: it sleeps through an epoch's end and its close (end + 2 s of grace), 4-14 s.
    const pause = randomMoment(0.4, 0.9);
    await sleepUntil(pause.ms);
    cluster.pause(paused);
    const pausedIn = cluster.epochAt();
    await sleepUntil(at(pause.epoch + 1n, between(0.2, 0.6)));
    cluster.resume(paused);
    const resumedIn = cluster.epochAt();
    log(`A: SIGSTOP node ${paused} in epoch ${pausedIn}, SIGCONT in epoch ${resumedIn}`);

    // Every node holds the certificate of the epoch it was resumed in (the paused one closes it on
    // time, at its end): all four take part again before B.
    const through = resumedIn;
    await until(
      `all four nodes to certify epoch ${through}`,
      async () => {
        for (let i = 0; i < NODES; i++) if (!(await cluster.result(i, through))) return false;
        return true;
      },
      cluster.epochEndMs(through) - Date.now() + 40_000,
    );
    await until(
      `the chain to settle through epoch ${through}`,
      async () => (await nextEpoch()) > through,
      40_000,
    );
    const history = await readSettlementHistory(
      cluster.home.public,
      cluster.deployment.settlement,
      cluster.networkId,
      fromBlock,
    );
    // With f faulty nodes the rest certify every epoch: none waits for the timeout (but an epoch that
    // ended before all four ran, which nobody or too few closed).
    expect(history.timedOut.filter((e) => e >= marks.firstEpoch)).toEqual([]);
    expect(history.settled.map((s) => s.epoch)).toEqual(
      Array.from({ length: Number(history.nextEpoch) }, (_, i) => BigInt(i)),
    );
    marks.aThrough = through;
    log(`A: epochs 0..${history.nextEpoch - 1n} settled, none by timeout`);
  }, 150_000);

  it(`B: f + 1 nodes killed across an epoch boundary: that epoch times out and settlement catches up within ${RECOVERY_BOUND_EPOCHS} epochs`, async (ctx) => {
    if (failed) ctx.skip();
    const down = pick(2);
    const kill = randomMoment(0.3, 0.8);
    await sleepUntil(kill.ms);
    const killedAt = Date.now();
    for (const i of down) cluster.kill(i);
    log(`B: kill -9 nodes ${down.join(" and ")} in epoch ${cluster.epochAt()}`);
    // Down across the boundary: restarted 1-3 s after the epoch ended.
    await sleepUntil(cluster.epochEndMs(kill.epoch) + between(1_000, 3_000));
    for (const i of down) {
      await until(`node ${i}'s process to exit`, async () => !cluster.nodes[i]!.proc.alive(), 10_000);
      cluster.restart(i);
    }
    await whileRunning(
      down,
      until(
        `nodes ${down.join(" and ")} to answer again`,
        async () => (await Promise.all(down.map((i) => cluster.healthy(i)))).every(Boolean),
        60_000,
      ),
    );
    const returnedAt = Date.now();
    const returnBlock = await cluster.home.public.getBlockNumber();
    log(`B: nodes ${down.join(" and ")} back in epoch ${cluster.epochAt()}`);

    // Caught up: every epoch that has ended is settled (`nextEpoch` is the current epoch).
    const boundMs = RECOVERY_BOUND_EPOCHS * EPOCH_SECONDS * 1000;
    let caughtUpAt = 0;
    await until(
      "the chain's nextEpoch to reach the current epoch",
      async () => {
        const now = cluster.epochAt();
        if ((await nextEpoch()) < now || cluster.epochAt() !== now) return false;
        caughtUpAt = Date.now();
        return true;
      },
      boundMs + 60_000,
    );
    const caughtBlock = await cluster.home.public.getBlockNumber();
    const recoverMs = caughtUpAt - returnedAt;

    const history = await readSettlementHistory(
      cluster.home.public,
      cluster.deployment.settlement,
      cluster.networkId,
      fromBlock,
    );
    const catchUp = history.settled.filter(
      (s) => s.blockNumber > returnBlock && s.blockNumber <= caughtBlock,
    );
    const txs = await readForwarderTransactions(
      cluster.home.public,
      cluster.deployment.forwarder,
      returnBlock + 1n,
      caughtBlock,
    );
    const perEpoch = new Map<bigint, number>();
    for (const t of txs) if (t.epoch !== undefined) perEpoch.set(t.epoch, (perEpoch.get(t.epoch) ?? 0) + 1);
    const failedTxs = txs.filter((t) => t.reverted || t.delivered === false);
    log(
      `B: time to recover ${(recoverMs / 1000).toFixed(1)} s = ${(recoverMs / 1000 / EPOCH_SECONDS).toFixed(2)} epochs ` +
        `(from both nodes answering to nextEpoch = current epoch ${history.nextEpoch}; bound ${RECOVERY_BOUND_EPOCHS} epochs)`,
    );
    log(
      `B: catch-up settled epochs ${catchUp.map((s) => s.epoch).join(", ")} ` +
        `(timed out: ${history.timedOut.join(", ")}) with ${txs.length} forwarder transactions ` +
        `(${(txs.length / Math.max(1, catchUp.length)).toFixed(2)} per settled epoch; by epoch ${[...perEpoch].map(([e, n]) => `${e}: ${n}`).join(", ")}; ` +
        `${failedTxs.length} not delivered)`,
    );

    // The epoch the two were down across could not be certified: it settled as an explicit timeout,
    // and only epochs whose end or agreement fell while f + 1 were down did.
    expect(history.timedOut).toContain(kill.epoch);
    const firstPossible = cluster.epochAt(killedAt) - 1n;
    const lastPossible = cluster.epochAt(returnedAt);
    for (const e of history.timedOut.filter((e) => e >= marks.firstEpoch)) {
      expect(e).toBeGreaterThanOrEqual(firstPossible);
      expect(e).toBeLessThanOrEqual(lastPossible);
    }
    expect(catchUp.length).toBeGreaterThan(0);
    expect(recoverMs).toBeLessThanOrEqual(boundMs);
    expect(txs.length).toBeLessThanOrEqual(TX_PER_EPOCH_BOUND * catchUp.length);
    for (const s of catchUp) expect(perEpoch.get(s.epoch) ?? 0).toBeLessThanOrEqual(TX_PER_EPOCH_BOUND);
  }, 200_000);

  it("the chain settled every epoch exactly once and in order, nobody equivocated, no node crashed", async (ctx) => {
    if (failed) ctx.skip();
    const history = await readSettlementHistory(
      cluster.home.public,
      cluster.deployment.settlement,
      cluster.networkId,
      fromBlock,
    );
    const last = history.nextEpoch - 1n;
    expect(last).toBeGreaterThan(marks.aThrough);
    // One EpochSettled per epoch, 0..last, in chain order; nextEpoch just past the last.
    expect(history.settled.map((s) => s.epoch)).toEqual(
      Array.from({ length: Number(last) + 1 }, (_, i) => BigInt(i)),
    );
    // Timeouts are the settlements with a zero root, and only those.
    const zero = history.settled.filter((s) => /^0x0+$/.test(s.resultRoot)).map((s) => s.epoch);
    expect(zero).toEqual(history.timedOut);
    // No equivocation proven on chain, and none in the certificates the nodes serve: each signer signed
    // one result per epoch, across every node's copy.
    expect(history.slashedOracles).toEqual([]);
    // Nor did any node's agreement record one (of any message kind) since it last started.
    expect(await Promise.all(cluster.nodes.map((_, i) => cluster.equivocations(i)))).toEqual([0, 0, 0, 0]);
    const signers = cluster.nodes.map((n) => n.signer);
    const signed = new Map<string, string>();
    /** Per node, the certified epochs its feed does not serve (missed while down, not backfilled yet). */
    const missing = cluster.nodes.map((): bigint[] => []);
    for (const s of history.settled) {
      const held = await Promise.all(cluster.nodes.map((_, i) => cluster.result(i, s.epoch)));
      const results = held.filter((r) => r !== undefined);
      if (history.timedOut.includes(s.epoch)) {
        // Nobody held a certificate for an epoch the DON settled empty.
        expect(results).toEqual([]);
        continue;
      }
      expect(results.length).toBeGreaterThan(0);
      held.forEach((r, i) => {
        if (!r) missing[i]!.push(s.epoch);
      });
      for (const r of results) {
        expect(r.resultRoot).toBe(s.resultRoot);
        const voters = await verifyResultVotes(
          { ...r, networkId: BigInt(r.networkId), epoch: BigInt(r.epoch) },
          {
            chainId: cluster.anvil.chainId,
            settlement: cluster.deployment.settlement,
            signers,
            threshold: 2 * F + 1,
            strict: true,
          },
        );
        for (const v of voters) {
          const key = `${s.epoch}:${v.toLowerCase()}`;
          const what = `${r.resultRoot}:${r.observationsCommitment}`;
          expect(signed.get(key) ?? what, `${v} signed two results for epoch ${s.epoch}`).toBe(what);
          signed.set(key, what);
        }
      }
    }
    log(
      `audit: certified epochs a node's feed lacks: ${missing.map((m, i) => `node ${i}: ${m.join(", ") || "none"}`).join("; ")}`,
    );
    // The only exits were the kill -9s this test sent.
    const kills = cluster.faults.filter((f) => f.signal === "SIGKILL").map((f) => `oracle node ${f.node}`);
    expect(cluster.exits.map((e) => `${e.name}:${e.signal}`).sort()).toEqual(
      kills.map((k) => `${k}:SIGKILL`).sort(),
    );
    // Forwarder transactions over the whole run, per epoch they tried to settle.
    const txs = await readForwarderTransactions(
      cluster.home.public,
      cluster.deployment.forwarder,
      fromBlock,
      await cluster.home.public.getBlockNumber(),
    );
    const perEpoch = new Map<bigint, number>();
    for (const t of txs) if (t.epoch !== undefined) perEpoch.set(t.epoch, (perEpoch.get(t.epoch) ?? 0) + 1);
    const extra = [...perEpoch].filter(([, n]) => n > 1);
    log(
      `audit: ${txs.length} forwarder transactions for ${history.settled.length} settled epochs over the run` +
        ` (${txs.filter((t) => t.reverted || t.delivered === false).length} not delivered;` +
        ` epochs with more than one: ${extra.map(([e, n]) => `${e}: ${n}`).join(", ") || "none"})`,
    );
    for (const [, n] of perEpoch) expect(n).toBeLessThanOrEqual(TX_PER_EPOCH_BOUND);
    log(
      `audit: epochs 0..${last} settled once each, in order; timed out: ${history.timedOut.join(", ")}; no equivocation`,
    );
  }, 60_000);
});

/** A small seeded PRNG (mulberry32), so a run's schedule can be replayed from its printed seed. */
function mulberry32(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
