import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { GossipMessage } from "../p2p/index";
import { Store } from "../store/index";
import { observationsCommitment } from "./computeResult";
import { EpochConsensus, VIEW_MARGIN } from "./epochConsensus";
import { type ConsensusMessage, encodeMessage } from "./messages";
import { encodeObservation, observationHash } from "./observationCodec";
import { defaultAgreementOptions } from "./options";
import { makeContext, makeDevices, observe, silent, testAccount, testVerifier } from "./testing/network";

let dataDir: string | undefined;
let store: Store | undefined;
let inst: EpochConsensus | undefined;
afterEach(() => {
  inst?.stop();
  store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  inst = store = dataDir = undefined;
});

/**
 * One node's consensus for epoch 1 among four oracles (peer ids `peer0..3`), all observations held,
 * timeouts out of the way: messages are fed by hand. `me` is the oracle that leads view 3, so views
 * 0..2 are led by others.
 */
async function setup() {
  const accounts = [0, 1, 2, 3].map(testAccount);
  const oracles = accounts.map((a, i) => ({ signer: a.address, peerId: `peer${i}` }));
  const ctx = makeContext({ k: 3, devices: makeDevices(12) }, oracles);
  const sorted = oracles.map((o) => o.signer.toLowerCase()).sort();
  const leaderOf = (view: number) =>
    oracles.findIndex((o) => o.signer.toLowerCase() === sorted[Number((ctx.epoch + BigInt(view)) % 4n)]);
  const me = leaderOf(3);
  dataDir = mkdtempSync(join(tmpdir(), "vigil-consensus-"));
  store = Store.open({ dataDir });
  const refs = oracles.map((o, i) => {
    const bytes = encodeObservation(observe(ctx, o.signer));
    const hash = observationHash(bytes);
    store!.saveObservation({
      networkId: ctx.networkId,
      epoch: ctx.epoch,
      observer: o.signer,
      hash,
      peerId: `peer${i}`,
      bytes,
      envelope: bytes,
    });
    return { observer: o.signer, hash, bytes };
  });
  const published: ConsensusMessage[] = [];
  inst = new EpochConsensus(ctx, {
    opts: { ...defaultAgreementOptions, proposeTimeoutMs: 600_000, rebroadcastMs: 600_000 },
    store,
    log: silent,
    account: accounts[me]!,
    verifyFraud: testVerifier,
    agreementTopic: "agreement",
    onEquivocation: () => {},
    relay: async () => {},
    publish: async (kind, data) => {
      if (kind === "agreement") published.push(JSON.parse(new TextDecoder().decode(data)));
      return data;
    },
  });
  const mine = refs[me]!;
  await inst.start({ bytes: mine.bytes, hash: mine.hash });
  const from = (i: number, m: ConsensusMessage): GossipMessage => {
    const data = encodeMessage(m);
    return {
      topic: "agreement",
      data,
      from: `peer${i}`,
      propagationSource: `peer${i}`,
      timestampMs: 0,
      envelope: data,
    };
  };
  const step = (t: "prevote" | "precommit", view: number, value: string | null): ConsensusMessage => ({
    t,
    networkId: ctx.networkId,
    epoch: ctx.epoch,
    view,
    value,
  });
  const others = [0, 1, 2, 3].filter((i) => i !== me);
  return { ctx, inst, store, me, others, leaderOf, refs, published, from, step };
}

describe("EpochConsensus bounds", () => {
  it("keeps the views around its own whatever views one oracle claims, and follows f + 1 oracles to the view the (f+1)-th reached", async () => {
    const { inst, others, from, step } = await setup();
    const [a, b] = others as [number, number];
    await inst.onMessage(from(a, step("prevote", 1_000_000, null)));
    for (let v = 0; v < 500; v++) await inst.onMessage(from(a, step("precommit", 3 + v, null)));
    expect(inst.currentView).toBe(0);
    expect(inst.memory().views).toBeLessThanOrEqual(VIEW_MARGIN + 1);
    expect(inst.memory().retainedBytes).toBeLessThan(4 * 1024);
    // A second oracle at view 7: two (f + 1) are past view 0, and the lower of them is at 7.
    await inst.onMessage(from(b, step("prevote", 7, null)));
    await vi.waitFor(() => expect(inst.currentView).toBe(7));
    expect(inst.memory().views).toBeLessThanOrEqual(VIEW_MARGIN + 2);
  });

  it("decides from precommits of a view it was moved past (the decided nodes' rebroadcasts)", async () => {
    const { ctx, inst, store, others, leaderOf, refs, published, from, step } = await setup();
    const value = observationsCommitment(refs);
    const proposal: ConsensusMessage = {
      t: "proposal",
      networkId: ctx.networkId,
      epoch: ctx.epoch,
      view: 0,
      validView: -1,
      observations: refs.map(({ observer, hash }) => ({ observer, hash })),
      justification: [],
    };
    await inst.onMessage(from(leaderOf(0), proposal));
    await vi.waitFor(() => expect(published.some((m) => m.t === "prevote" && m.value === value)).toBe(true));
    // The others decide in view 0, but their precommits reach this node only after two of them (one
    // Byzantine would do with one honest node ahead) moved it to view 5.
    for (const i of others.slice(0, 2)) await inst.onMessage(from(i, step("prevote", 5, null)));
    await vi.waitFor(() => expect(inst.currentView).toBe(5));
    for (const i of others) await inst.onMessage(from(i, step("precommit", 0, value)));
    await vi.waitFor(() =>
      expect(store.getSigningDecision(ctx.networkId, ctx.epoch, "result-vote", -1)).toBe(value),
    );
    await vi.waitFor(() => expect(published.some((m) => m.t === "vote")).toBe(true));
  });
});
