import { bytesToHex, type Hex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { challengePolicy, noTicket, signMessage } from "../../attestation/index";
import { keyFromLabel, testCapabilities, testRegistration } from "../../attestation/testing";
import { createLogger } from "../logger";
import { createNodeMetrics } from "../metrics";
import { createIntake, type Intake } from "./createIntake";

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

function heartbeat(key: typeof stranger, seq: bigint, epoch = 0n, ticket = noTicket(), timeMs = Date.now()) {
  return signMessage(
    "heartbeat",
    { networkId: 1n, epoch },
    { seq, timeMs: BigInt(timeMs), ticket, loadBps: 10, capabilities: testCapabilities },
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
          storageOf: () => undefined,
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
    it(`accepts valid heartbeats and drops forged, unregistered, wrong-epoch and skewed ones; credits fresh tickets only (${threads} worker threads)`, async () => {
      const i = intake(threads);
      const tickets = [];
      for (const k of registered)
        tickets.push((await i.gateway(1n).register(testRegistration(k, 1n))).ticket);
      const forged = heartbeat(registered[0]!, 99n, 0n, tickets[0]);
      forged[forged.length - 1]! ^= 1;
      const batch = [
        // Echoes the ticket this node gave it: credited.
        heartbeat(registered[0]!, 1n, 0n, tickets[0]),
        // Valid but echoes no ticket (pre-signed, or posted by someone else): accepted, not credited.
        heartbeat(registered[1]!, 1n),
        forged,
        heartbeat(stranger, 1n),
        heartbeat(silent, 1n),
        heartbeat(registered[0]!, 2n, 5n),
        heartbeat(registered[1]!, 3n, 0n, tickets[1], Date.now() - 60_000),
        new Uint8Array([0xde, 0xad]),
        new Uint8Array(0),
      ];
      expect(await i.ingestHeartbeats(1n, 0n, batch)).toEqual({ accepted: 2, rejected: 7 });
      const uptime = () =>
        new Map(
          i
            .ledger(1n, 0n)
            .observation(OBSERVER)
            .devices.map((d) => [d.deviceId, d.uptimeBps]),
        );
      expect(uptime().get(bytesToHex(registered[0]!.publicKey))).toBeGreaterThan(0);
      expect(uptime().get(bytesToHex(registered[1]!.publicKey))).toBe(0);
      expect(uptime().get(bytesToHex(silent.publicKey)) ?? 0).toBe(0);
      // The skewed heartbeat used nothing: device 1's ticket still credits it (once).
      expect(await i.ingestHeartbeats(1n, 0n, [heartbeat(registered[1]!, 4n, 0n, tickets[1])])).toEqual({
        accepted: 1,
        rejected: 0,
      });
      expect(uptime().get(bytesToHex(registered[1]!.publicKey))).toBeGreaterThan(0);
      expect(i.gateway(1n).redeemTicket(registered[1]!.publicKey, tickets[1]!)).toBe("used");
    });
  }
});
