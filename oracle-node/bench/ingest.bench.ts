// `npm run bench -- ingest [threads] [count]`: heartbeats one node verifies and credits per second
// with its verification spread over worker threads (default: every core), against the raw
// node:crypto Ed25519 verify rate of one core measured in the same run.
import { availableParallelism } from "node:os";
import { bytesToHex, type Hex } from "viem";
import { noTicket, signMessage } from "../../attestation/index";
import { keyFromLabel, testCapabilities, testRegistration } from "../../attestation/testing";
import { ed25519VerifyRate } from "../../scripts/bench/baseline";
import type { BenchScenario } from "../../scripts/bench/scenario";
import { challengePolicy, createIntake } from "../intake/index";
import { createLogger } from "../logger";
import { createNodeMetrics } from "../metrics";

const BATCH = 512;
const OWNER = `0x${"ab".repeat(20)}` as Hex;

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

export const scenario: BenchScenario = {
  name: "ingest",
  description:
    "heartbeats accepted per second by one node (worker-thread verification) vs raw Ed25519 verify on one core",
  async run(args) {
    const threads = Number(args[0] ?? availableParallelism());
    const count = Number(args[1] ?? 60_000);
    const devices = Array.from({ length: 1000 }, (_, i) => keyFromLabel(`ingest-device-${i}`));
    const ids = new Set(devices.map((d) => bytesToHex(d.publicKey)));
    // The node's clock stays at the signing time (`now` below): the run measures verification, and
    // signing 60k heartbeats on a loaded machine must not push them past `maxClockSkewMs`. They echo
    // no ticket, so they are accepted (verified, registered, on time) and credit no uptime.
    const signedAt = Date.now();
    const messages = Array.from({ length: count }, (_, i) =>
      signMessage(
        "heartbeat",
        { networkId: 1n, epoch: 0n },
        {
          seq: BigInt(i),
          timeMs: BigInt(signedAt),
          ticket: noTicket(),
          loadBps: 5000,
          capabilities: testCapabilities,
        },
        devices[i % devices.length]!,
      ),
    );

    // Also in CPU time: on a shared machine wall-clock rates mostly measure the neighbours' load.
    const rawWall0 = performance.now();
    const rawCpu0 = process.cpuUsage();
    const rawOneCore = ed25519VerifyRate(2_000);
    const rawCpuSeconds = cpuSeconds(process.cpuUsage(rawCpu0));
    const rawPerCpuSecond = (rawOneCore * ((performance.now() - rawWall0) / 1000)) / rawCpuSeconds;

    const intake = createIntake(
      {
        networks: [
          {
            networkId: 1n,
            genesisTime: BigInt(Math.floor(signedAt / 1000)),
            epochLength: 3600,
            policy: challengePolicy(0, 3600),
            beacon: () => `0x${"00".repeat(32)}` as Hex,
            isRegistered: (d) => ids.has(d),
            ownerOf: (d) => (ids.has(d) ? OWNER : undefined),
            storageOf: () => undefined,
            assigned: () => ids,
            // Heartbeats only: no evidence is judged here, so no challenger is assigned.
            judges: () => ({ beacon: new Uint8Array(32), challengers: [] }),
          },
        ],
        signer: keyFromLabel("ingest-node"),
        observer: "0x00000000000000000000000000000000000000aa",
        verifyThreads: threads,
        now: () => signedAt,
      },
      { logger: createLogger({ level: "silent" }), metrics: createNodeMetrics({ defaultMetrics: false }) },
    );
    try {
      // Heartbeats count only from devices whose registration (naming the chain's owner) was accepted.
      for (const d of devices) await intake.gateway(1n).register(testRegistration(d, 1n));
      const batches: Uint8Array[][] = [];
      for (let i = 0; i < messages.length; i += BATCH) batches.push(messages.slice(i, i + BATCH));
      // Warm-up: workers start, JIT settles, key cache fills.
      await intake.ingestHeartbeats(1n, 0n, batches[0]!);
      // Keep two batches per worker in flight so no worker waits on the main thread.
      const start = performance.now();
      const cpu0 = process.cpuUsage();
      let accepted = 0;
      let next = 1;
      const lanes = Array.from({ length: Math.max(1, threads) * 2 }, async () => {
        while (next < batches.length) {
          const r = await intake.ingestHeartbeats(1n, 0n, batches[next++]!);
          accepted += r.accepted;
        }
      });
      await Promise.all(lanes);
      const seconds = (performance.now() - start) / 1000;
      // process.cpuUsage counts every thread of the process, workers included.
      const ingestCpuSeconds = cpuSeconds(process.cpuUsage(cpu0));
      const expected = count - batches[0]!.length;
      if (accepted !== expected) throw new Error(`accepted ${accepted} of ${expected} valid heartbeats`);
      const ingestPerSec = accepted / seconds;
      const coresUsed = Math.max(1, Math.min(threads, availableParallelism()));
      return {
        threads,
        cores: availableParallelism(),
        heartbeats: accepted,
        ingestPerSec: Math.round(ingestPerSec),
        rawEd25519VerifyPerSecOneCore: Math.round(rawOneCore),
        ratioToOneCore: Number((ingestPerSec / rawOneCore).toFixed(3)),
        ratioPerCoreUsed: Number((ingestPerSec / (rawOneCore * coresUsed)).toFixed(3)),
        goalPerCore: 0.8,
        ingestPerCpuSecond: Math.round(accepted / ingestCpuSeconds),
        rawEd25519VerifyPerCpuSecond: Math.round(rawPerCpuSecond),
        cpuEfficiency: Number((accepted / ingestCpuSeconds / rawPerCpuSecond).toFixed(3)),
        cpuSecondsUsed: Number(ingestCpuSeconds.toFixed(2)),
        wallSeconds: Number(seconds.toFixed(2)),
      };
    } finally {
      await intake.stop();
    }
  },
};
