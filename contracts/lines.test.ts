import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { decodeAbiParameters, getAddress, type Hex, keccak256, recoverTypedDataAddress, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  buildLinesTree,
  type DeviceLine,
  InvalidLineError,
  LINE_LEAF_TYPES,
  lineLeaf,
  lineProof,
  lineValues,
} from "./lines";
import {
  encodeEpochSettlementReport,
  encodeFraudSlashReport,
  genesisBeacon,
  nextBeacon,
  REPORT_KIND,
} from "./reports";
import { resultVoteDomain, resultVoteTypes } from "./votes";

const owner = privateKeyToAccount(generatePrivateKey()).address;
const line = (i: number): DeviceLine => ({
  networkId: 3n,
  epoch: 9n,
  deviceId: keccak256(toHex(`device-${i}`)),
  owner,
  uptimeBps: 10_000 - i,
  work: BigInt(i * 7),
  reward: BigInt(i) * 10n ** 15n,
  slash: i === 2 ? 5n : 0n,
});

describe("device lines", () => {
  it("builds a tree whose proofs verify and whose leaves match the contract's hashing", () => {
    const lines = Array.from({ length: 33 }, (_, i) => line(i));
    const tree = buildLinesTree(lines);
    for (const l of [lines[0]!, lines[17]!, lines[32]!]) {
      const proof = lineProof(tree, l);
      expect(StandardMerkleTree.verify(tree.root, [...LINE_LEAF_TYPES], lineValues(l), proof)).toBe(true);
      expect(tree.leafHash(lineValues(l))).toBe(lineLeaf(l));
    }
    // A changed field is not in the tree.
    expect(() => lineProof(tree, { ...lines[3]!, reward: 1n })).toThrow();
    expect(
      StandardMerkleTree.verify(
        tree.root,
        [...LINE_LEAF_TYPES],
        lineValues({ ...lines[3]!, work: 0n }),
        lineProof(tree, lines[3]!),
      ),
    ).toBe(false);
  });

  it("rejects a line that does not fit its leaf types", () => {
    const bad: [Partial<DeviceLine>, keyof DeviceLine][] = [
      [{ deviceId: "0x1234" }, "deviceId"],
      [{ uptimeBps: 10_001 }, "uptimeBps"],
      [{ uptimeBps: 1.5 }, "uptimeBps"],
      [{ epoch: 2n ** 64n }, "epoch"],
      [{ reward: -1n }, "reward"],
      [{ owner: "0xnot-an-address" as Hex }, "owner"],
    ];
    for (const [change, field] of bad) {
      const error = (() => {
        try {
          buildLinesTree([line(0), { ...line(1), ...change }]);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(InvalidLineError);
      expect((error as InvalidLineError).field).toBe(field);
      expect((error as InvalidLineError).index).toBe(1);
    }
  });
});

describe("report bodies", () => {
  it("encodes kind 1 as abi.encode(uint8, bytes(abi.encode(EpochSettlement)))", () => {
    const settlement = {
      networkId: 3n,
      epoch: 9n,
      resultRoot: keccak256(toHex("root")),
      observationsCommitment: keccak256(toHex("obs")),
      deviceCount: 33,
      qualifiedCount: 30,
      totalReward: 10n ** 18n,
      totalSlash: 5n,
      slashes: [
        { deviceId: keccak256(toHex("d")), amount: 5n, reason: 1, evidenceHash: keccak256(toHex("e")) },
      ],
      // Given out of order (and in mixed case): the encoding sorts them ascending, as the contract wants.
      observations: [
        { observer: "0xf00000000000000000000000000000000000000f", hash: keccak256(toHex("o2")) },
        { observer: "0x0a00000000000000000000000000000000000001", hash: keccak256(toHex("o1")) },
      ],
    } as const;
    const [kind, payload] = decodeAbiParameters(
      [{ type: "uint8" }, { type: "bytes" }],
      encodeEpochSettlementReport(settlement),
    );
    expect(kind).toBe(REPORT_KIND.epochSettlement);
    const [decoded] = decodeAbiParameters(
      [
        {
          type: "tuple",
          components: [
            { name: "networkId", type: "uint64" },
            { name: "epoch", type: "uint64" },
            { name: "resultRoot", type: "bytes32" },
            { name: "observationsCommitment", type: "bytes32" },
            { name: "deviceCount", type: "uint32" },
            { name: "qualifiedCount", type: "uint32" },
            { name: "totalReward", type: "uint256" },
            { name: "totalSlash", type: "uint256" },
            {
              name: "slashes",
              type: "tuple[]",
              components: [
                { name: "deviceId", type: "bytes32" },
                { name: "amount", type: "uint256" },
                { name: "reason", type: "uint8" },
                { name: "evidenceHash", type: "bytes32" },
              ],
            },
            {
              name: "observations",
              type: "tuple[]",
              components: [
                { name: "observer", type: "address" },
                { name: "hash", type: "bytes32" },
              ],
            },
          ],
        },
      ],
      payload,
    );
    expect(decoded).toEqual({
      ...settlement,
      observations: [
        { observer: getAddress("0x0a00000000000000000000000000000000000001"), hash: keccak256(toHex("o1")) },
        { observer: getAddress("0xf00000000000000000000000000000000000000f"), hash: keccak256(toHex("o2")) },
      ],
    });
  });

  it("encodes kind 2 as abi.encode(uint8, bytes(abi.encode(networkId, epoch, DeviceSlash)))", () => {
    const slash = {
      deviceId: keccak256(toHex("d")),
      amount: 7n,
      reason: 2,
      evidenceHash: keccak256(toHex("e")),
    };
    const [kind, payload] = decodeAbiParameters(
      [{ type: "uint8" }, { type: "bytes" }],
      encodeFraudSlashReport(1n, 4n, slash),
    );
    expect(kind).toBe(REPORT_KIND.fraudSlash);
    const [networkId, epoch, decoded] = decodeAbiParameters(
      [
        { type: "uint64" },
        { type: "uint64" },
        {
          type: "tuple",
          components: [
            { name: "deviceId", type: "bytes32" },
            { name: "amount", type: "uint256" },
            { name: "reason", type: "uint8" },
            { name: "evidenceHash", type: "bytes32" },
          ],
        },
      ],
      payload,
    );
    expect([networkId, epoch, decoded]).toEqual([1n, 4n, slash]);
  });

  it("chains beacons as docs/interfaces.md says", () => {
    const b0 = genesisBeacon(1n);
    expect(b0).not.toBe(genesisBeacon(2n));
    const root: Hex = keccak256(toHex("root"));
    expect(nextBeacon(b0, root)).not.toBe(nextBeacon(b0, keccak256(toHex("other"))));
  });
});

describe("result votes", () => {
  it("signs and recovers an EIP-712 ResultVote", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const settlement = privateKeyToAccount(generatePrivateKey()).address;
    const message = {
      networkId: 1n,
      epoch: 2n,
      resultRoot: keccak256(toHex("root")),
      observationsCommitment: keccak256(toHex("obs")),
    };
    const domain = resultVoteDomain(31337, settlement);
    const signature = await account.signTypedData({
      domain,
      types: resultVoteTypes,
      primaryType: "ResultVote",
      message,
    });
    expect(
      await recoverTypedDataAddress({
        domain,
        types: resultVoteTypes,
        primaryType: "ResultVote",
        message,
        signature,
      }),
    ).toBe(account.address);
  });
});
