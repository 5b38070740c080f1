import { describe, expect, it } from "vitest";
import { nodeVerify } from "../crypto/node";
import { keccak256 } from "../hash";
import { type Message, verifyMessage } from "../messages/message";
import { signMessage } from "../messages/sign";
import { keyFromLabel } from "../testing";
import { challengePolicy } from "./challengePolicy";
import { challengeRounds, RoundGuard } from "./rounds";

const beacon = (i: number) => keccak256(new TextEncoder().encode(`beacon-${i}`));

describe("challengeRounds", () => {
  it("gives a 30 s devnet epoch four rounds, one of each type, all ending inside the epoch", () => {
    const policy = challengePolicy(1, 30);
    for (let i = 0; i < 20; i++) {
      const rounds = challengeRounds(policy, beacon(i), 1_000_000, 30_000);
      expect(rounds).toHaveLength(4);
      expect(new Set(rounds.map((r) => r.type))).toEqual(
        new Set(["compute", "storage", "bandwidth", "latency"]),
      );
      for (const r of rounds) {
        expect(r.atMs).toBeGreaterThanOrEqual(1_000_000);
        expect(r.atMs + policy.deadlineMs[r.type]).toBeLessThanOrEqual(1_030_000);
      }
    }
  });

  it("is the same for every node (a function of the beacon) and differs between beacons", () => {
    const policy = challengePolicy(1, 30);
    const a = challengeRounds(policy, beacon(1), 0, 30_000);
    expect(challengeRounds(policy, beacon(1), 0, 30_000)).toEqual(a);
    const others = Array.from({ length: 8 }, (_, i) => challengeRounds(policy, beacon(i + 2), 0, 30_000));
    expect(others.some((o) => JSON.stringify(o) !== JSON.stringify(a))).toBe(true);
  });

  it("gives an hour-long production epoch a round a minute and none for a policy without types", () => {
    const rounds = challengeRounds(challengePolicy(1, 3_600), beacon(0), 0, 3_600_000);
    expect(rounds.length).toBeGreaterThanOrEqual(59);
    expect(rounds[1]!.atMs - rounds[0]!.atMs).toBe(60_000);
    expect(challengeRounds(challengePolicy(0, 3_600), beacon(0), 0, 3_600_000)).toEqual([]);
  });
});

describe("RoundGuard (the device's check)", () => {
  const policy = challengePolicy(1, 30);
  const rounds = challengeRounds(policy, beacon(7), 1_000_000, 30_000);
  const node = keyFromLabel("round-node");
  const challenge = (
    type: "compute" | "latency",
    issuedAtMs: number,
    span = policy.deadlineMs[type],
    signer = node,
  ) => {
    const params = type === "compute" ? { type, n: 64, samples: 44 } : { type };
    const bytes = signMessage(
      "challenge",
      { networkId: 1n, epoch: 0n },
      {
        deviceId: new Uint8Array(32),
        beacon: new Uint8Array(32),
        nonce: new Uint8Array(32),
        saltHash: new Uint8Array(32),
        issuedAtMs: BigInt(issuedAtMs),
        deadlineMs: BigInt(issuedAtMs + span),
        params,
      } as never,
      signer,
    );
    const m = verifyMessage(bytes, { kind: "challenge", networkId: 1n }, nodeVerify);
    if (!m.ok) throw m.error;
    return m.value as Message<"challenge">;
  };
  const roundOf = (type: string) => rounds.find((r) => r.type === type)!;

  it("takes one challenge per challenger and round, of the round's type and the policy's deadline", () => {
    const guard = new RoundGuard();
    const at = roundOf("compute").atMs;
    guard.check(challenge("compute", at + 100), rounds, policy);
    // Another node in the same round is fine; the same node again is not.
    guard.check(challenge("compute", at + 150, undefined, keyFromLabel("other-node")), rounds, policy);
    expect(() => guard.check(challenge("compute", at + 200), rounds, policy)).toThrow(/second challenge/);
  });

  it("refuses a challenge outside every round of its type, or with another deadline", () => {
    const guard = new RoundGuard();
    const compute = roundOf("compute").atMs;
    const latency = roundOf("latency").atMs;
    expect(() => guard.check(challenge("compute", latency), rounds, policy)).toThrow(/in no compute round/);
    expect(() => guard.check(challenge("compute", compute - 2_001 - 1), rounds, policy)).toThrow(
      /OUT_OF_ROUND/,
    );
    expect(() => guard.check(challenge("compute", compute, 60_000), rounds, policy)).toThrow(
      /deadline 60000 ms/,
    );
    // Within the node's late-round limit plus the clock slack: accepted.
    guard.check(challenge("compute", compute + 3_900), rounds, policy);
  });
});
