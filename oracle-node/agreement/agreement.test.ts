import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { afterEach, describe, expect, it } from "vitest";
import { LINE_LEAF_TYPES, lineValues } from "../../contracts/lines";
import { encodeMessage } from "./messages";
import { encodeObservation, observationHash, RELAY_TAG } from "./observationCodec";
import { replayEpoch } from "./replayEpoch";
import { recoverResultVoteSigner, signResultVote } from "./resultVote";
import {
  makeContext,
  makeDevices,
  observe,
  startTestNetwork,
  type TestNetwork,
  type TestNode,
  testVerifier,
  truth,
  waitFor,
} from "./testing/network";

let net: TestNetwork | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe("agreement on loopback", () => {
  it("4 honest nodes certify one result with correct lines and proofs", async () => {
    net = await startTestNetwork({ n: 4 });
    const devices = makeDevices(50);
    const ctx = makeContext({ k: 3, devices }, net.oracles);
    // A registered node also sends garbage on both agreement topics: rejected, scored, harmless.
    const rogue = net.nodes[3]!;
    await rogue.p2p.publish(
      rogue.p2p.topic("agreement"),
      new TextEncoder().encode('{"t":"prevote","view":-1}'),
    );
    await rogue.p2p.publish(rogue.p2p.topic("observations"), new Uint8Array([1, 2, 3]));
    await rogue.p2p.publish(rogue.p2p.topic("agreement"), new Uint8Array([0xff, 0xfe]));
    const certs = await Promise.all(
      net.nodes.map((nd) => nd.agreement.runEpoch(ctx, observe(ctx, nd.account.address))),
    );
    const roots = new Set(certs.map((c) => c.result.resultRoot));
    expect(roots.size).toBe(1);
    for (const nd of net.nodes.slice(0, 3))
      expect(nd.p2p.peers().find((p) => p.peerId === rogue.p2p.peerId)!.score).toBeLessThan(0);
    const cert = certs[0]!;
    expect(cert.votes.length).toBeGreaterThanOrEqual(3);
    for (const v of cert.votes)
      expect((await recoverResultVoteSigner(ctx, v, v.signature)).toLowerCase()).toBe(v.signer.toLowerCase());
    // Every honest observer reported the truth, so each line carries it.
    for (const [i, d] of devices.entries()) {
      const line = cert.result.lines.find((l) => l.deviceId === d.deviceId)!;
      expect(line.uptimeBps).toBe(truth(i).uptimeBps);
      expect(line.work).toBe(truth(i).work);
    }
    expect(cert.result.totalReward).toBeLessThanOrEqual(ctx.budget);
    expect(cert.result.totalReward).toBeGreaterThan(ctx.budget - 100n);
    // The store serves the line with a proof that OpenZeppelin's verifier accepts.
    const served = net.nodes[2]!.store.getDeviceLine(ctx.networkId, ctx.epoch, devices[7]!.deviceId)!;
    expect(served.resultRoot).toBe(cert.result.resultRoot);
    expect(
      StandardMerkleTree.verify(
        served.resultRoot,
        [...LINE_LEAF_TYPES],
        lineValues(served.line),
        served.proof,
      ),
    ).toBe(true);
    // Anyone holding the store replays the result from the signed observations.
    const replay = await replayEpoch(
      net.nodes[2]!.store,
      ctx,
      net.nodes[2]!.p2p.topic("observations"),
      testVerifier,
    );
    expect(replay.matches).toBe(true);
    expect(replay.replayedRoot).toBe(cert.result.resultRoot);
    const stored = net.nodes[1]!.store.getEpochResult(ctx.networkId, ctx.epoch)!;
    expect(stored.certified || stored.votes.length >= 3).toBe(true);
    expect(net.nodes[0]!.agreement.equivocations()).toEqual([]);
  });

  it("4 nodes with a silent view-0 leader change view and still certify", async () => {
    net = await startTestNetwork({ n: 4 });
    const ctx = makeContext({ k: 3, devices: makeDevices(20) }, net.oracles);
    const sorted = net.oracles.map((o) => o.signer.toLowerCase()).sort();
    const leader0 = sorted[Number(ctx.epoch % 4n)];
    const live = net.nodes.filter((nd) => nd.account.address.toLowerCase() !== leader0);
    const certs = await Promise.all(
      live.map((nd) => nd.agreement.runEpoch(ctx, observe(ctx, nd.account.address))),
    );
    expect(new Set(certs.map((c) => c.result.resultRoot)).size).toBe(1);
    // The silent node's observation is missing: the result uses exactly the 3 live ones.
    expect(certs[0]!.result.observations).toHaveLength(3);
    const state = live[0]!.store.getConsensusState(ctx.networkId, ctx.epoch)!;
    expect(state.view).toBeGreaterThanOrEqual(1);
  });

  it("7 nodes with f=2 faulty (one lying and equivocating, one silent) certify the correct result and record equivocation", async () => {
    net = await startTestNetwork({ n: 7 });
    const devices = makeDevices(30);
    // k = n: every device is watched by all, so the median over >= 2f+1 observations is honest.
    const ctx = makeContext({ k: 7, devices }, net.oracles);
    const [liar, silentNode] = [net.nodes[5]!, net.nodes[6]!];
    void silentNode;
    const honest = net.nodes.slice(0, 5);
    // The liar runs the protocol with a false observation and also signs two conflicting results.
    const forged = await Promise.all(
      ["0x11", "0x22"].map((b) =>
        signResultVote(liar.account, ctx, {
          networkId: ctx.networkId,
          epoch: ctx.epoch,
          resultRoot: `0x${b.slice(2).repeat(32)}`,
          observationsCommitment: `0x${"33".repeat(32)}`,
        }),
      ),
    );
    const running = honest.map((nd) => nd.agreement.runEpoch(ctx, observe(ctx, nd.account.address)));
    const lying = liar.agreement.runEpoch(ctx, observe(ctx, liar.account.address, true));
    lying.catch(() => {});
    for (const v of forged)
      await liar.p2p.publish(
        liar.p2p.topic("agreement"),
        encodeMessage({
          t: "vote",
          networkId: v.networkId,
          epoch: v.epoch,
          resultRoot: v.resultRoot,
          observationsCommitment: v.observationsCommitment,
          signature: v.signature,
        }),
      );
    const certs = await Promise.all(running);
    expect(new Set(certs.map((c) => c.result.resultRoot)).size).toBe(1);
    for (const [i, d] of devices.entries()) {
      const line = certs[0]!.result.lines.find((l) => l.deviceId === d.deviceId)!;
      expect(line.uptimeBps).toBe(truth(i).uptimeBps);
      expect(line.work).toBe(truth(i).work);
    }
    for (const nd of honest) {
      const ev = nd.agreement.equivocations({ networkId: ctx.networkId, epoch: ctx.epoch });
      const votes = ev.filter((e) => e.kind === "result-vote");
      expect(votes).toHaveLength(1);
      expect(votes[0]!.signer.toLowerCase()).toBe(liar.account.address.toLowerCase());
      // Both conflicting votes carry valid signatures by the liar: submit-ready evidence.
      for (const bytes of [votes[0]!.first, votes[0]!.second]) {
        const v = JSON.parse(new TextDecoder().decode(bytes));
        const signer = await recoverResultVoteSigner(
          ctx,
          { ...v, networkId: BigInt(v.networkId), epoch: BigInt(v.epoch) },
          v.signature,
        );
        expect(signer).toBe(liar.account.address);
      }
    }
  });

  it("an observation relayed by another node counts as its observer's (observer-signed envelope)", async () => {
    net = await startTestNetwork({ n: 4 });
    const ctx = makeContext({ k: 3, devices: makeDevices(10) }, net.oracles);
    const [a, b, c] = net.nodes as [TestNode, TestNode, TestNode];
    const topic = a.p2p.topic("observations");
    const bytes = encodeObservation(observe(ctx, a.account.address));
    const envelope = a.p2p.seal(topic, bytes); // A shows its observation to B only
    const relayed = new Uint8Array(envelope.length + 1);
    relayed[0] = RELAY_TAG;
    relayed.set(envelope, 1);
    await b.p2p.publish(topic, relayed);
    await waitFor(
      () => c.store.getObservations(ctx.networkId, ctx.epoch).length === 1,
      10_000,
      "relayed observation",
    );
    const [got] = c.store.getObservations(ctx.networkId, ctx.epoch);
    expect(got!.peerId).toBe(a.p2p.peerId);
    expect(got!.hash).toBe(observationHash(bytes));
    // A relay of a forged envelope is rejected.
    const forged = relayed.slice();
    forged[forged.length - 1]! ^= 1;
    await b.p2p.publish(topic, forged);
    await waitFor(
      () => c.p2p.peers().find((p) => p.peerId === b.p2p.peerId)!.score < 0,
      10_000,
      "score drop",
    );
  });

  it("4 nodes with an equivocating view-0 leader (two proposals) still certify one result and record the proposals", async () => {
    net = await startTestNetwork({ n: 4 });
    const ctx = makeContext({ k: 4, devices: makeDevices(12) }, net.oracles);
    const sorted = net.oracles.map((o) => o.signer.toLowerCase()).sort();
    const leader = net.nodes.find(
      (nd) => nd.account.address.toLowerCase() === sorted[Number(ctx.epoch % 4n)],
    )!;
    const honest = net.nodes.filter((nd) => nd !== leader);
    const ref = (nd: TestNode) => {
      const bytes = encodeObservation(observe(ctx, nd.account.address));
      return { observer: nd.account.address, hash: observationHash(bytes), bytes };
    };
    const mine = ref(leader);
    await leader.p2p.publish(leader.p2p.topic("observations"), mine.bytes);
    const running = honest.map((nd) => nd.agreement.runEpoch(ctx, observe(ctx, nd.account.address)));
    const [a, b, c] = honest.map(ref) as [
      ReturnType<typeof ref>,
      ReturnType<typeof ref>,
      ReturnType<typeof ref>,
    ];
    for (const set of [
      [a, b, c],
      [a, b, mine],
    ])
      await leader.p2p.publish(
        leader.p2p.topic("agreement"),
        encodeMessage({
          t: "proposal",
          networkId: ctx.networkId,
          epoch: ctx.epoch,
          view: 0,
          validView: -1,
          observations: set.map(({ observer, hash }) => ({ observer, hash })),
          justification: [],
        }),
      );
    const certs = await Promise.all(running);
    expect(new Set(certs.map((x) => x.result.resultRoot)).size).toBe(1);
    for (const nd of honest) {
      const ev = nd.agreement.equivocations({ epoch: ctx.epoch }).filter((e) => e.kind === "proposal");
      expect(ev.map((e) => e.signer.toLowerCase())).toEqual([leader.account.address.toLowerCase()]);
    }
  });

  it("runs consecutive epochs; the store serves epochs, results with votes and device history", async () => {
    net = await startTestNetwork({ n: 4 });
    const devices = makeDevices(8);
    for (const epoch of [1n, 2n]) {
      const ctx = makeContext({ k: 3, devices, epoch }, net.oracles);
      const certs = await Promise.all(
        net.nodes.map((nd) => nd.agreement.runEpoch(ctx, observe(ctx, nd.account.address))),
      );
      expect(new Set(certs.map((c) => c.result.resultRoot)).size).toBe(1);
    }
    const store = net.nodes[0]!.store;
    const epochs = store.listEpochs(7n);
    expect(epochs.map((e) => e.epoch)).toEqual([2n, 1n]);
    const r2 = store.getEpochResult(7n, 2n)!;
    expect(r2.votes.length).toBeGreaterThanOrEqual(3);
    expect(r2.observations.length).toBeGreaterThanOrEqual(3);
    const history = store.getDeviceHistory(7n, devices[3]!.deviceId);
    expect(history.map((l) => l.epoch)).toEqual([2n, 1n]);
    expect(store.getDeviceLine(7n, 3n, devices[3]!.deviceId)).toBeUndefined();
  });

  it("a failed durable write is logged and retried, a decision that cannot be recorded fails only that node's epoch: no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      net = await startTestNetwork({ n: 4 });
      const ctx = makeContext({ k: 3, devices: makeDevices(10) }, net.oracles);
      const [flaky, full] = net.nodes as [TestNode, TestNode];
      // `flaky`'s first prevote record hits a disk error; `full` cannot record its result vote at all.
      const flakyRecord = flaky.store.recordSigningDecision.bind(flaky.store);
      let failures = 0;
      flaky.store.recordSigningDecision = (d) => {
        if (d.kind === "prevote" && failures++ === 0) throw new Error("disk I/O error");
        return flakyRecord(d);
      };
      const fullRecord = full.store.recordSigningDecision.bind(full.store);
      full.store.recordSigningDecision = (d) => {
        if (d.kind === "result-vote") throw new Error("database or disk is full");
        return fullRecord(d);
      };
      const runs = await Promise.allSettled(
        net.nodes.map((nd) => nd.agreement.runEpoch(ctx, observe(ctx, nd.account.address))),
      );
      expect(runs[1]).toMatchObject({ status: "rejected", reason: { message: "database or disk is full" } });
      const certified = [runs[0], runs[2], runs[3]].map((r) => {
        if (r?.status !== "fulfilled") throw new Error(`expected a certificate, got ${String(r?.reason)}`);
        return r.value.result.resultRoot;
      });
      expect(new Set(certified).size).toBe(1);
      expect(failures).toBeGreaterThan(1); // the failed prevote was signed on the next evaluation
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
