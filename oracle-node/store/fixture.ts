// One epoch of the rows a node really writes, for the store's retention tests and bench: every
// observer's signed observation set (canonical encoding in a real Ed25519 gossip envelope), the
// result with its lines and tree, one vote per oracle, the node's signing decisions and consensus
// state. Sizes match the node's; only vote signatures are placeholders of the right length.
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Address, Hex } from "viem";
import { buildLinesTreeNodes } from "../agreement/linesTree";
import { encodeObservation, observationHash } from "../agreement/observationCodec";
import type { DeviceLine, EpochResult, ObservationSet } from "../agreement/types";
import { EnvelopeSigner } from "../p2p/index";
import type { Store } from "./store";

export interface EpochWriter {
  /** Writes every row of `epoch` the node would write, as the agreement writes them. */
  writeEpoch(store: Store, networkId: bigint, epoch: bigint): void;
}

const hex = (n: number, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, "0")}` as Hex;

/** `devices` devices watched by `k` of `oracles` observers each (the devnet runs 4 oracles, k = 2). */
export async function createEpochWriter(opts: {
  devices: number;
  oracles?: number;
  k?: number;
}): Promise<EpochWriter> {
  const oracles = opts.oracles ?? 4;
  const k = opts.k ?? 2;
  const signers = await Promise.all(
    Array.from({ length: oracles }, async () => new EnvelopeSigner(await generateKeyPair("Ed25519"))),
  );
  const observers = Array.from({ length: oracles }, (_, i) => hex(0xa11ce + i, 20) as Address);
  const deviceIds = Array.from({ length: opts.devices }, (_, i) => hex(i * 7919 + 1, 32)).sort();
  const owners = Array.from({ length: opts.devices }, (_, i) => hex(0xb0b + (i % 97), 20) as Address);
  return {
    writeEpoch(store, networkId, epoch) {
      const e = Number(epoch);
      for (let o = 0; o < oracles; o++) {
        const set: ObservationSet = {
          networkId,
          epoch,
          observer: observers[o]!,
          devices: deviceIds
            .filter((_, d) => (d - o + oracles) % oracles < k)
            .map((deviceId, d) => ({
              deviceId,
              uptimeBps: 9000 + ((d * 31 + e) % 1001),
              work: BigInt(100 + ((d * 7 + e) % 900)),
            })),
        };
        const bytes = encodeObservation(set);
        store.saveObservation({
          networkId,
          epoch,
          observer: set.observer,
          hash: observationHash(bytes),
          peerId: `12D3KooWPeer${o}`.padEnd(52, "x"),
          bytes,
          envelope: signers[o]!.seal("vigil/observations/1", bytes),
        });
      }
      const lines: DeviceLine[] = deviceIds.map((deviceId, d) => ({
        networkId,
        epoch,
        deviceId,
        owner: owners[d]!,
        uptimeBps: 9000 + ((d * 31 + e) % 1001),
        work: BigInt(100 + ((d * 7 + e) % 900)),
        reward: 10n ** 18n + BigInt(d * 1_000_003 + e),
        slash: 0n,
      }));
      const tree = buildLinesTreeNodes(lines);
      const result: EpochResult = {
        networkId,
        epoch,
        resultRoot: tree.root,
        observationsCommitment: hex(e + 1, 32),
        deviceCount: lines.length,
        qualifiedCount: lines.length,
        totalReward: lines.reduce((a, l) => a + l.reward, 0n),
        totalSlash: 0n,
        slashes: [],
        lines,
        observations: observers.map((observer, o) => ({ observer, hash: hex(o + e, 32) })),
      };
      store.saveResult(result, tree);
      for (const signer of observers)
        store.saveVote({
          networkId,
          epoch,
          signer,
          resultRoot: result.resultRoot,
          observationsCommitment: result.observationsCommitment,
          signature: `0x${"5a".repeat(65)}`,
        });
      for (const kind of ["proposal", "prevote", "precommit"] as const)
        store.recordSigningDecision({ networkId, epoch, kind, view: 0, value: result.resultRoot });
      store.recordSigningDecision({
        networkId,
        epoch,
        kind: "result-vote",
        view: -1,
        value: result.resultRoot,
      });
      store.saveConsensusState({
        networkId,
        epoch,
        view: 0,
        lockedValue: result.resultRoot,
        lockedView: 0,
        validValue: result.resultRoot,
        validView: 0,
      });
      store.markCertified(networkId, epoch);
    },
  };
}
