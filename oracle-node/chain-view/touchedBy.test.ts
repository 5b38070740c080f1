import { type Address, encodeEventTopics, type Hex, type Log } from "viem";
import { describe, expect, it } from "vitest";
import { vigilRegistryAbi, vigilSettlementAbi } from "../../contracts/index";
import { touchedBy } from "./touchedBy";

const registry = "0x1000000000000000000000000000000000000001" as Address;
const settlement = "0x2000000000000000000000000000000000000002" as Address;
const device = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
const word = (n: bigint | number) => n.toString(16).padStart(64, "0");

function log(address: Address, topics: readonly unknown[], data: Hex = "0x"): Log {
  return {
    address,
    topics: topics as [Hex, ...Hex[]],
    data,
    blockNumber: 1n,
    blockHash: `0x${"00".repeat(32)}`,
    logIndex: 0,
    transactionHash: `0x${"00".repeat(32)}`,
    transactionIndex: 0,
    removed: false,
  };
}
const exit = (networkId: bigint, deviceId: Hex, address = registry) =>
  log(
    address,
    encodeEventTopics({
      abi: vigilRegistryAbi,
      eventName: "DeviceExitRequested",
      args: { networkId, deviceId },
    }),
    `0x${word(0)}`,
  );

describe("touchedBy", () => {
  it("dedupes what a range touched, skips other networks, other contracts and owner settings", () => {
    const t = touchedBy(
      [
        exit(1n, device(1)),
        exit(1n, device(1)),
        exit(2n, device(2)),
        // The same event from an address that is not the registry changes nothing.
        exit(1n, device(3), settlement),
        log(
          registry,
          encodeEventTopics({
            abi: vigilRegistryAbi,
            eventName: "OperatorSlashed",
            args: { signer: registry },
          }),
          `0x${word(5)}`,
        ),
        log(
          registry,
          encodeEventTopics({ abi: vigilRegistryAbi, eventName: "UnbondingDelaySet" }),
          `0x${word(0)}`,
        ),
        log(
          settlement,
          encodeEventTopics({
            abi: vigilSettlementAbi,
            eventName: "EpochTimedOut",
            args: { networkId: 1n, epoch: 4n },
          }),
        ),
      ],
      { registry, settlement, networks: [1n] },
    );
    expect([...t.devices]).toEqual([[device(1), 1n]]);
    expect(t.operators).toBe(true);
    expect([...t.settlement]).toEqual([1n]);
    expect(t.networks.size).toBe(0);
    expect(Object.fromEntries(t.events)).toEqual({
      DeviceExitRequested: 2,
      OperatorSlashed: 1,
      EpochTimedOut: 1,
    });
  });
});
