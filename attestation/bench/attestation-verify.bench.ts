import { verify as cryptoVerify, generateKeyPairSync, sign } from "node:crypto";
import { ed25519VerifyRate, measureRate } from "../../scripts/bench/baseline";
import type { BenchScenario } from "../../scripts/bench/scenario";
import { nobleVerify } from "../crypto/noble";
import { nodeSigner, nodeVerify } from "../crypto/node";
import { taggedHash, u32be } from "../hash";
import { createHeartbeatVerifier } from "../heartbeat";
import { noTicket } from "../messages/heartbeat";
import { verifyMessage } from "../messages/message";
import { signMessage } from "../messages/sign";
import { testCapabilities } from "../testing";

const NET = 1n;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Operations per second of process CPU time: what the work costs, whatever the neighbours do. */
function cpuRate(op: () => void, count: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) op();
  const d = process.cpuUsage(start);
  return count / ((d.user + d.system) / 1e6);
}
const EPOCH = 7n;

export const scenario: BenchScenario = {
  name: "attestation-verify",
  description:
    "signed heartbeat attestations verified per second on one core (decode + context + signature + registry + replay) vs raw node:crypto Ed25519",
  async run(args) {
    const deviceCount = Number(args[0] ?? 1_000);
    const perDevice = 30;
    const signers = Array.from({ length: deviceCount }, (_, i) =>
      nodeSigner(taggedHash("bench.device", u32be(i))),
    );
    // Device-major order of fresh sequence numbers: every verification is a new, valid attestation
    // from one of many keys (the node's realistic load), so nothing is a replay.
    const heartbeats: Uint8Array[] = [];
    for (let seq = 1; seq <= perDevice; seq++)
      for (const s of signers)
        heartbeats.push(
          signMessage(
            "heartbeat",
            { networkId: NET, epoch: EPOCH },
            {
              seq: BigInt(seq),
              timeMs: 0n,
              ticket: noTicket(),
              loadBps: 1_000,
              capabilities: testCapabilities,
            },
            s,
          ),
        );
    const registered = new Set(signers.map((s) => Buffer.from(s.publicKey).toString("hex")));
    const isRegistered = (id: Uint8Array) => registered.has(Buffer.from(id).toString("hex"));
    let verify = createHeartbeatVerifier({ networkId: NET, verify: nodeVerify, isRegistered });
    let i = 0;
    const attest = () => {
      if (i === heartbeats.length) {
        i = 0;
        verify = createHeartbeatVerifier({ networkId: NET, verify: nodeVerify, isRegistered });
      }
      if (!verify(heartbeats[i++]!, EPOCH).ok) throw new Error("valid heartbeat rejected");
    };
    // This machine is shared: interleave short rounds of both measurements so load changes hit
    // both alike, and report the medians (and the median of the per-round ratios).
    const rounds = Number(args[1] ?? 7);
    const attestationRates: number[] = [];
    const rawRates: number[] = [];
    for (let r = 0; r < rounds; r++) {
      attestationRates.push(measureRate(attest, 400));
      rawRates.push(ed25519VerifyRate(400));
    }
    // The same two measurements in CPU time (raw: the baseline's operation, one key, 128 bytes).
    const raw = generateKeyPairSync("ed25519");
    const rawMessage = Buffer.alloc(128, 7);
    const rawSignature = sign(null, rawMessage, raw.privateKey);
    const rawOp = () => {
      if (!cryptoVerify(null, rawMessage, raw.publicKey, rawSignature)) throw new Error("raw verify failed");
    };
    const cpuAttestation: number[] = [];
    const cpuRaw: number[] = [];
    for (let r = 0; r < rounds; r++) {
      cpuAttestation.push(cpuRate(attest, 3_000));
      cpuRaw.push(cpuRate(rawOp, 3_000));
    }
    const attestationRate = median(attestationRates);
    const rawRate = median(rawRates);
    const ratio = median(attestationRates.map((a, r) => a / rawRates[r]!));
    let k = 0;
    const expect = { kind: "heartbeat" as const, networkId: NET, epoch: EPOCH };
    const portableRate = measureRate(() => {
      if (!verifyMessage(heartbeats[k++ % heartbeats.length]!, expect, nobleVerify).ok)
        throw new Error("rejected");
    }, 1_000);
    return {
      devices: deviceCount,
      heartbeatBytes: heartbeats[0]!.length,
      attestationsVerifiedPerSec: Math.round(attestationRate),
      rawEd25519VerifyPerSec: Math.round(rawRate),
      ratioToRawVerify: Number(ratio.toFixed(3)),
      rounds,
      attestationsVerifiedPerCpuSec: Math.round(median(cpuAttestation)),
      rawEd25519VerifyPerCpuSec: Math.round(median(cpuRaw)),
      cpuRatioToRawVerify: Number((median(cpuAttestation) / median(cpuRaw)).toFixed(3)),
      portableNobleAttestationsPerSec: Math.round(portableRate),
    };
  },
};
