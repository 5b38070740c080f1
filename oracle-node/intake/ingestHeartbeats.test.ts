import { bytesToHex, type Hex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { signMessage } from "../../attestation/index";
import { keyFromLabel, testCapabilities, testRegistration } from "../../attestation/testing";
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
/** On chain, but its own registration never reached the node: nothing of it is credited. */
const silent = keyFromLabel("batch-no-registration");
const ids = new Set([...registered, silent].map((k) => bytesToHex(k.publicKey)));
const OWNER = `0x${"ab".repeat(20)}` as Hex;

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
          ownerOf: (d) => (ids.has(d) ? OWNER : undefined),
          assigned: () => ids,
          // Heartbeats only: no evidence is judged here, so no challenger is assigned.
          judges: () => ({ beacon: new Uint8Array(32), challengers: [] }),
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
      for (const k of registered) await i.gateway(1n).register(testRegistration(k, 1n));
      const forged = heartbeat(registered[0]!, 99n);
      forged[forged.length - 1]! ^= 1;
      const batch = [
        heartbeat(registered[0]!, 1n),
        heartbeat(registered[1]!, 1n),
        forged,
        heartbeat(stranger, 1n),
        heartbeat(silent, 1n),
        heartbeat(registered[0]!, 2n, 5n),
        new Uint8Array([0xde, 0xad]),
        new Uint8Array(0),
      ];
      expect(await i.ingestHeartbeats(1n, 0n, batch)).toEqual({ accepted: 2, rejected: 6 });
      const uptime = new Map(
        i
          .ledger(1n, 0n)
          .observation(OBSERVER)
          .devices.map((d) => [d.deviceId, d.uptimeBps]),
      );
      for (const k of registered) expect(uptime.get(bytesToHex(k.publicKey))).toBeGreaterThan(0);
      expect(uptime.get(bytesToHex(silent.publicKey)) ?? 0).toBe(0);
    });
  }
});
