// A node that was down while the others certified an epoch fills it in from its peers over real
// libp2p on loopback: it keeps the result only if the signed observations recompute to the root the
// chain settled, and a lying, foreign or oversized answer from one peer costs it nothing but that peer.
import { join } from "node:path";
import { lpStream } from "@libp2p/utils";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { LINE_LEAF_TYPES, lineValues } from "../../contracts/lines";
import type { EpochCertificate } from "../agreement/index";
import {
  makeContext,
  makeDevices,
  observe,
  silent,
  startTestNetwork,
  type TestNetwork,
  testVerifier,
} from "../agreement/testing/network";
import type { EpochContext } from "../agreement/types";
import { Store } from "../store/index";
import { type Backfill, BackfillError, createBackfill } from "./index";
import { BACKFILL_PROTOCOL } from "./protocol";

let net: TestNetwork | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await net?.stop();
  net = undefined;
});

/** Three of four nodes certify epoch 1; node 3 was down (it ran no agreement and starts on an empty store). */
async function certifiedWithoutNode3(): Promise<{ ctx: EpochContext; cert: EpochCertificate }> {
  net = await startTestNetwork({ n: 4 });
  const ctx = makeContext({ k: 3, devices: makeDevices(40) }, net.oracles);
  const certs = await Promise.all(
    net.nodes.slice(0, 3).map((nd) => nd.agreement.runEpoch(ctx, observe(ctx, nd.account.address))),
  );
  return { ctx, cert: certs[0]! };
}

async function backfillOn(
  i: number,
  store: Store,
  ctx: EpochContext,
  metrics?: Registry,
  options = {},
  isOracle = (peerId: string) => net!.allow.has(peerId),
): Promise<Backfill> {
  const nd = net!.nodes[i]!;
  const b = await createBackfill(
    {
      p2p: nd.p2p,
      store,
      epochContext: async () => ctx,
      verifyFraud: testVerifier,
      isOracle,
      logger: silent,
      metrics,
    },
    options,
  );
  cleanups.push(() => b.stop());
  return b;
}

function freshStore(name: string): Store {
  const store = Store.open({ dataDir: join(net!.root, name) });
  cleanups.push(() => store.close());
  return store;
}

describe("backfill of a missed epoch from peers", () => {
  it("a restarted node fills in a settled epoch it missed: same root, lines with proofs, certified", async () => {
    const { ctx, cert } = await certifiedWithoutNode3();
    for (const i of [0, 1, 2]) await backfillOn(i, net!.nodes[i]!.store, ctx);
    const empty = freshStore("node3-restarted");
    const metrics = new Registry();
    const b = await backfillOn(3, empty, ctx, metrics);
    const settled = {
      resultRoot: cert.result.resultRoot,
      observationsCommitment: cert.result.observationsCommitment,
    };
    const out = await b.fill(ctx.networkId, ctx.epoch, settled);
    expect(out.observations).toBe(3);
    expect(out.votes).toBeGreaterThanOrEqual(3);
    const stored = empty.getEpochResult(ctx.networkId, ctx.epoch)!;
    expect(stored.certified).toBe(true);
    expect(stored.resultRoot).toBe(cert.result.resultRoot);
    const device = cert.result.lines[5]!.deviceId;
    const served = empty.getDeviceLine(ctx.networkId, ctx.epoch, device)!;
    expect(
      StandardMerkleTree.verify(
        served.resultRoot,
        [...LINE_LEAF_TYPES],
        lineValues(served.line),
        served.proof,
      ),
    ).toBe(true);
    // Filling again is a no-op (no second request).
    await b.fill(ctx.networkId, ctx.epoch, settled);
    expect((await metrics.getSingleMetric("vigil_backfill_answers_total")!.get()).values).toEqual([
      expect.objectContaining({ labels: { outcome: "ok" }, value: 1 }),
    ]);
  });

  it("fills an epoch whose rewards the uptime SLA shaped without the history behind them: the peer's rewards, proven by the root", async () => {
    net = await startTestNetwork({ n: 4 });
    const plain = makeContext({ k: 3, devices: makeDevices(40) }, net.oracles);
    // Half the devices have a perfect full window (bonus), the rest a poor one (penalty).
    const ctx: EpochContext = {
      ...plain,
      uptime: {
        sla: {
          windowEpochs: 3,
          bonusThresholdBps: 9_990,
          bonusBps: 2_000,
          penaltyThresholdBps: 9_000,
          penaltyBps: 5_000,
        },
        history: {
          epochs: [0n],
          devices: new Map(
            plain.devices.map((d, i) => [
              d.deviceId.toLowerCase(),
              { sumBps: i % 2 ? 20_000 : 8_000, lines: 2 },
            ]),
          ),
        },
      },
    };
    const certs = await Promise.all(
      net.nodes.slice(0, 3).map((nd) => nd.agreement.runEpoch(ctx, observe(ctx, nd.account.address))),
    );
    const cert = certs[0]!;
    for (const i of [0, 1, 2]) await backfillOn(i, net!.nodes[i]!.store, ctx);
    const empty = freshStore("node3-no-history");
    // The restarted node has no history: it recomputes with the plain formula, which differs.
    const b = await backfillOn(3, empty, plain);
    await b.fill(plain.networkId, plain.epoch, {
      resultRoot: cert.result.resultRoot,
      observationsCommitment: cert.result.observationsCommitment,
    });
    const stored = empty.getEpochResult(plain.networkId, plain.epoch)!;
    expect(stored.resultRoot).toBe(cert.result.resultRoot);
    expect(stored.totalReward).toBe(cert.result.totalReward);
    expect(empty.getLines(plain.networkId, plain.epoch).map((l) => l.reward)).toEqual(
      cert.result.lines.map((l) => l.reward),
    );
  });

  it("refuses answers that do not recompute to the chain's root, and a timed-out epoch, storing nothing", async () => {
    const { ctx, cert } = await certifiedWithoutNode3();
    for (const i of [0, 1, 2]) await backfillOn(i, net!.nodes[i]!.store, ctx);
    const empty = freshStore("node3-restarted");
    const b = await backfillOn(3, empty, ctx);
    // The chain says another root (as if the peers had certified something the chain did not settle).
    const wrong = {
      resultRoot: `0x${"ab".repeat(32)}`,
      observationsCommitment: cert.result.observationsCommitment,
    } as const;
    const err = await b.fill(ctx.networkId, ctx.epoch, wrong).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackfillError);
    expect((err as BackfillError).code).toBe("BACKFILL_UNAVAILABLE");
    expect(Object.values((err as BackfillError).context.peers as Record<string, string>)).toEqual([
      expect.stringContaining("do not recompute"),
      expect.stringContaining("do not recompute"),
      expect.stringContaining("do not recompute"),
    ]);
    expect(empty.getEpochResult(ctx.networkId, ctx.epoch)).toBeUndefined();
    expect(empty.getObservations(ctx.networkId, ctx.epoch)).toEqual([]);
    const zero = {
      resultRoot: `0x${"00".repeat(32)}`,
      observationsCommitment: `0x${"00".repeat(32)}`,
    } as const;
    await expect(b.fill(ctx.networkId, ctx.epoch, zero)).rejects.toMatchObject({
      code: "BACKFILL_NOTHING_TO_FETCH",
    });
  });

  it("a Byzantine peer (tampered envelope, another epoch, an endless length prefix) costs only its own answer", async () => {
    const { ctx, cert } = await certifiedWithoutNode3();
    const settled = {
      resultRoot: cert.result.resultRoot,
      observationsCommitment: cert.result.observationsCommitment,
    };
    // Node 0 answers with an observation whose envelope has one byte flipped.
    const honest = await backfillOn(0, net!.nodes[0]!.store, ctx);
    await honest.stop();
    const liar = net!.nodes[0]!;
    const lies: ((req: Uint8Array) => Uint8Array | "endless")[] = [];
    await liar.p2p.libp2p.handle(BACKFILL_PROTOCOL, async (stream) => {
      const lp = lpStream(stream);
      const req = (await lp.read()).subarray();
      const lie = lies.shift() ?? (() => new Uint8Array([1]));
      const out = lie(req);
      if (out === "endless") {
        // Announces a 1 GiB answer and sends 64 KiB of it.
        const prefix = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x04]);
        stream.send(prefix);
        stream.send(new Uint8Array(64 * 1024));
        return;
      }
      await lp.write(out);
      await stream.close();
    });
    cleanups.push(() => liar.p2p.libp2p.unhandle(BACKFILL_PROTOCOL));
    const observations = liar.store.getObservations(ctx.networkId, ctx.epoch);
    const used = cert.result.observations.map((ref) => {
      const row = observations.find((r) => r.hash === ref.hash && r.observer === ref.observer.toLowerCase())!;
      return {
        observer: ref.observer,
        hash: ref.hash,
        envelope: `0x${Buffer.from(row.envelope).toString("hex")}`,
      };
    });
    const answer = (o: object) => new TextEncoder().encode(JSON.stringify(o));
    // One byte of the first envelope's signature (bytes 41.. of the envelope) flipped.
    const flip = (hex: string, byte: number) =>
      `${hex.slice(0, 2 + 2 * byte)}${(Number.parseInt(hex.slice(2 + 2 * byte, 4 + 2 * byte), 16) ^ 0xff).toString(16).padStart(2, "0")}${hex.slice(4 + 2 * byte)}`;
    const tampered = used.map((u, i) => (i === 0 ? { ...u, envelope: flip(u.envelope, 50) } : u));
    lies.push(
      () =>
        answer({
          ok: true,
          networkId: "7",
          epoch: String(ctx.epoch),
          observations: tampered,
          votes: [],
          rewards: [],
        }),
      () =>
        answer({
          ok: true,
          networkId: "7",
          epoch: String(ctx.epoch + 1n),
          observations: used,
          votes: [],
          rewards: [],
        }),
      () => "endless",
    );
    // The asking node trusts only the liar as an oracle here, so the liar's is the only answer.
    const store3 = freshStore("node3-restarted");
    const asker = await backfillOn(
      3,
      store3,
      ctx,
      undefined,
      { maxResponseBytes: 1024 * 1024 },
      (peerId) => peerId === liar.p2p.peerId,
    );
    for (const why of [
      "not signed by its observer|does not open|does not hash",
      "is for network 7 epoch",
      "too long",
    ]) {
      const err = (await asker
        .fill(ctx.networkId, ctx.epoch, settled)
        .catch((e: unknown) => e)) as BackfillError;
      expect(err, String(err)).toBeInstanceOf(BackfillError);
      expect(err.code).toBe("BACKFILL_UNAVAILABLE");
      const reason = Object.values(err.context.peers as Record<string, string>)[0]!;
      expect(reason).toMatch(new RegExp(why, "i"));
      expect(store3.getEpochResult(ctx.networkId, ctx.epoch)).toBeUndefined();
    }
  });
});
