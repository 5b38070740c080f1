import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { bytesToHex, type Hex, hexToBytes, keccak256, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { keyFromLabel, stagedComputeFraud } from "../../attestation/testing";
import type { EpochContext } from "../agreement/index";
import { testAccount } from "../agreement/testing/network";
import { assignNetwork } from "../assignment/index";
import { createFraudVerifier } from "./fraudVerifier";
import { signerFromPeerKey } from "./signerFromPeerKey";

const NET = 3n;
const EPOCH = 6n;
const device = keyFromLabel("fraud-verifier-device");
const deviceId = bytesToHex(device.publicKey);

describe("the result function's fraud check binds the judge", () => {
  let ctx: EpochContext;
  let keys: PrivateKey[];
  let assigned: PrivateKey[];
  let unassigned: PrivateKey;
  beforeAll(async () => {
    keys = await Promise.all([0, 1, 2, 3].map(() => generateKeyPair("Ed25519")));
    const oracles = keys.map((k, i) => ({
      signer: testAccount(i).address,
      peerId: peerIdFromPrivateKey(k).toString(),
    }));
    const beacon = keccak256(toHex("fraud-verifier-beacon"));
    const assignment = assignNetwork({
      beacon,
      deviceIds: [deviceId],
      nodes: oracles.map((o) => o.signer),
      k: 2,
    });
    ctx = {
      networkId: NET,
      epoch: EPOCH,
      chainId: 31337,
      settlement: "0x00000000000000000000000000000000000051e7",
      budget: 1000n,
      k: 2,
      oracles,
      devices: [{ deviceId, owner: testAccount(9).address, stake: 10n }],
      beacon,
      assignment,
    };
    const watchers = assignment.get(deviceId)!;
    assigned = keys.filter((_, i) => watchers.includes(oracles[i]!.signer));
    unassigned = keys.find((_, i) => !watchers.includes(oracles[i]!.signer))!;
    expect(assigned).toHaveLength(2);
  });

  const verdict = (
    challenger: PrivateKey | ReturnType<typeof keyFromLabel>,
    at: { epoch?: bigint; beacon?: Hex } = {},
  ) => ({
    reason: 1,
    evidence: stagedComputeFraud("raw" in challenger ? signerFromPeerKey(challenger) : challenger, device, {
      networkId: NET,
      epoch: at.epoch ?? EPOCH,
      beacon: hexToBytes(at.beacon ?? ctx.beacon),
    }),
  });
  const verify = createFraudVerifier(new Set([NET]));

  it("counts evidence from an oracle assigned to the device, under the epoch's beacon", () => {
    for (const k of assigned) expect(verify(ctx, deviceId, verdict(k))).toBe(true);
  });

  it("ignores the same fraud staged by a registered oracle not assigned to it, or by a stranger", () => {
    expect(verify(ctx, deviceId, verdict(unassigned))).toBe(false);
    expect(verify(ctx, deviceId, verdict(keyFromLabel("stranger")))).toBe(false);
  });

  it("ignores evidence of another epoch or seeded from another beacon", () => {
    expect(verify(ctx, deviceId, verdict(assigned[0]!, { epoch: EPOCH - 1n }))).toBe(false);
    expect(verify(ctx, deviceId, verdict(assigned[0]!, { beacon: keccak256(toHex("other")) }))).toBe(false);
  });

  it("hands each bundle that proved fraud over to be kept, and no other", () => {
    const kept: { epoch: bigint; deviceId: Hex; evidenceHash: Hex; bytes: Uint8Array }[] = [];
    const keeping = createFraudVerifier(new Set([NET]), (e) => kept.push(e));
    const good = verdict(assigned[0]!);
    expect(keeping(ctx, deviceId, good)).toBe(true);
    expect(keeping(ctx, deviceId, verdict(unassigned))).toBe(false);
    expect(keeping(ctx, deviceId, { ...good, reason: 2 })).toBe(false);
    expect(kept).toEqual([
      {
        networkId: NET,
        epoch: EPOCH,
        deviceId,
        evidenceHash: keccak256(good.evidence),
        bytes: good.evidence,
      },
    ]);
  });

  it("ignores a network the node does not serve, and a verdict naming another reason or device", () => {
    expect(createFraudVerifier(new Set([NET + 1n]))(ctx, deviceId, verdict(assigned[0]!))).toBe(false);
    expect(verify(ctx, deviceId, { ...verdict(assigned[0]!), reason: 2 })).toBe(false);
    expect(verify(ctx, bytesToHex(keyFromLabel("x").publicKey), verdict(assigned[0]!))).toBe(false);
  });
});
