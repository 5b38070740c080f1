import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { afterEach, describe, expect, it } from "vitest";
import { LINE_LEAF_TYPES, lineValues } from "../../contracts/lines";
import { recoverResultVoteSigner } from "./resultVote";
import {
  makeContext,
  makeDevices,
  observe,
  startTestNetwork,
  type TestNetwork,
  truth,
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
    const certs = await Promise.all(net.nodes.map((nd) => nd.agreement.runEpoch(ctx, observe(ctx, nd.account.address))));
    const roots = new Set(certs.map((c) => c.result.resultRoot));
    expect(roots.size).toBe(1);
    const cert = certs[0]!;
    expect(cert.votes.length).toBeGreaterThanOrEqual(3);
    for (const v of cert.votes) expect((await recoverResultVoteSigner(ctx, v, v.signature)).toLowerCase()).toBe(v.signer.toLowerCase());
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
    expect(StandardMerkleTree.verify(served.resultRoot, [...LINE_LEAF_TYPES], lineValues(served.line), served.proof)).toBe(true);
    const stored = net.nodes[1]!.store.getEpochResult(ctx.networkId, ctx.epoch)!;
    expect(stored.certified || stored.votes.length >= 3).toBe(true);
    expect(net.nodes[0]!.agreement.equivocations()).toEqual([]);
  });
});
