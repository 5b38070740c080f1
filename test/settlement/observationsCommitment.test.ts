import { keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { observationsCommitment } from "../../oracle-node/agreement";

// The nodes' commitment and the settlement contract's check must hash the same bytes:
// keccak256(observer_0 (20 bytes) | hash_0 (32 bytes) | observer_1 | hash_1 | ...), ascending by observer.
// The same vector is asserted in contracts/test/vigil/SettlementEconomics.t.sol
// (test_ObservationsCommitmentMatchesTheNodes, test_SettlesWithTheObservationVector).
const VECTOR = "0xe42dfcfb14210176dd37e124e5a280cb441d20381bc54a4b22dff7cc81e8032c";

describe("observationsCommitment against the settlement contract", () => {
  it("matches the forge vector, whatever the order and case of the observers", () => {
    const used = [
      { observer: "0xF00000000000000000000000000000000000000F", hash: keccak256(toHex("observation-2")) },
      { observer: "0x0A00000000000000000000000000000000000001", hash: keccak256(toHex("observation-1")) },
      { observer: "0x7e5F4552091A69125d5DfCb7b8C2659029395Bdf", hash: keccak256(toHex("observation-3")) },
    ] as const;
    expect(observationsCommitment(used)).toBe(VECTOR);
    expect(observationsCommitment([...used].reverse())).toBe(VECTOR);
  });

  it("commits to no observation as keccak256 of nothing", () => {
    expect(observationsCommitment([])).toBe(keccak256("0x"));
  });
});
