import { bytesToHex, type Hex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { signMessage } from "../../attestation/index";
import { keyFromLabel, testCapabilities } from "../../attestation/testing";
import { createLogger } from "../logger";
import { createNodeMetrics } from "../metrics";
import { createIntake, type Intake } from "./createIntake";
import { challengePolicy } from "./policy";

const OBSERVER = "0x00000000000000000000000000000000000000aa" as const;
const intakes: Intake[] = [];
afterEach(async () => {
  for (const i of intakes.splice(0)) await i.stop();
});

const registered = [keyFromLabel("batch-0"), keyFromLabel("batch-1")];
const stranger = keyFromLabel("batch-unregistered");
const ids = new Set(registered.map((k) => bytesToHex(k.publicKey)));

function heartbeat(key: typeof stranger, seq: bigint, epoch = 0n) {
  return signMessage(
    "heartbeat",
    { networkId: 1n, epoch },
    { seq, timeMs: 0n, loadBps: 10, capabilities: testCapabilities },
    key,
  );
}

function intake(verifyThreads: number) {
  const i = createIntake(
    {
      networks: [
        {
          networkId: 1n,
          genesisTime: BigInt(Math.floor(Date.now() / 1000)),
          epochLength: 600,
          policy: { ...challengePolicy(0, 600), heartbeatIntervalMs: 1000 },
          beacon: () => `0x${"00".repeat(32)}` as Hex,
          isRegistered: (d) => ids.has(d),
          assigned: () => ids,
        },
      ],
      signer: keyFromLabel("batch-node"),
      observer: OBSERVER,
      verifyThreads,
    },
    { logger: createLogger({ level: "silent" }), metrics: createNodeMetrics({ defaultMetrics: false }) },
  );
  intakes.push(i);
  return i;
}

describe("ingestHeartbeats (bulk path)", () => {
  for (const threads of [0, 2]) {
    it(`accepts valid heartbeats and drops forged, unregistered and wrong-epoch ones (${threads} worker threads)`, async () => {
      const i = intake(threads);
      const forged = heartbeat(registered[0]!, 99n);
      forged[forged.length - 1]! ^= 1;
      const batch = [
        heartbeat(registered[0]!, 1n),
        heartbeat(registered[1]!, 1n),
        forged,
        heartbeat(stranger, 1n),
        heartbeat(registered[0]!, 2n, 5n),
        new Uint8Array([0xde, 0xad]),
        new Uint8Array(0),
      ];
      expect(await i.ingestHeartbeats(1n, 0n, batch)).toEqual({ accepted: 2, rejected: 5 });
      const devices = i.ledger(1n, 0n).observation(OBSERVER).devices;
      expect(devices.every((d) => d.uptimeBps > 0)).toBe(true);
    });
  }
});
