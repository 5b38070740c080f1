import type { Logger } from "pino";
import { type AgentBehaviour, type DeviceAgent, startDeviceAgent } from "../agent/deviceAgent";
import type { DeviceGateway } from "../agent/gateway";
import { bytesToHex } from "../bytes";
import type { Signer } from "../crypto/ed25519";
import { nodeSigner } from "../crypto/node";
import { keccak256, taggedHash, u32be } from "../hash";
import type { Capabilities } from "../messages/capabilities";

/** How a simulated device behaves. Everything but `honest` is a cheat the network must catch. */
export const STRATEGIES = [
  "honest",
  "wrongCompute", // computes, but every row is wrong: slashable (computeWrongRow)
  "partialCompute", // skips a fraction of the rows: slashable once a skipped row is sampled
  "replayHeartbeat", // replays a heartbeat signed for another epoch (or network): rejected, earns no uptime
  "forgedSignature", // a registered deviceId, messages signed with another key: rejected (BAD_SIGNATURE), not attributable
  "offline", // silent for part of the run: less uptime, missed challenges
  "slow", // answers after the deadline (slow or relayed): `late`, no credit
  "lostStorage", // lost some storage chunks: slashable (storageMissing)
  "sybil", // not registered on chain: rejected (UNKNOWN_DEVICE)
] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface FleetOptions {
  /** One entry per device. */
  strategies: Strategy[];
  /** The nodes each device talks to (its assignment); the same list for all if an array. */
  gateways: DeviceGateway[] | ((device: FleetDeviceInfo) => DeviceGateway[]);
  /** Keys are derived from this, so a fleet is reproducible (default "vigil-fleet"). */
  seed?: string;
  capabilities?: Capabilities;
  storage?: { chunks: number; chunkBytes: number };
  heartbeatIntervalMs?: number;
  pollWaitMs?: number;
  /** partialCompute: fraction of rows skipped (default 0.1). */
  skipFraction?: number;
  /** lostStorage: fraction of chunks lost (default 0.5). */
  lostFraction?: number;
  /** offline: silent during [from, to) ms after start (default the first 5 heartbeat intervals). */
  offlineWindowMs?: [number, number];
  /** slow: delay before each answer, ms (default 3 s, past the default latency/storage deadlines). */
  slowDelayMs?: number;
  /** Owner address per device (default: derived from the key). */
  owner?: (index: number) => Uint8Array;
  logger?: Logger;
}

export interface FleetDeviceInfo {
  index: number;
  strategy: Strategy;
  /** Raw 32-byte Ed25519 public key = on-chain deviceId. */
  deviceId: Uint8Array;
  deviceIdHex: `0x${string}`;
  /** 32-byte Ed25519 secret seed of the key the device claims (the devnet registers `deviceId`). */
  secretKey: Uint8Array;
  owner: Uint8Array;
  ownerHex: `0x${string}`;
  /** Whether the devnet should register it on chain (false only for Sybils). */
  registered: boolean;
}

export interface FleetDevice extends FleetDeviceInfo {
  agent: DeviceAgent;
}

export interface Fleet {
  devices: FleetDevice[];
  stop(): Promise<void>;
}

export const defaultFleetCapabilities: Capabilities = {
  gpuModel: "",
  gpuMemoryMiB: 0,
  storageBytes: 64n * 1024n,
  bandwidthClass: 0,
  computeClass: 0,
};

const hex = (b: Uint8Array): `0x${string}` => `0x${bytesToHex(b)}`;

/** The devices a fleet would run, without starting them (for registering them on chain first). */
export function planFleet(opts: Pick<FleetOptions, "strategies" | "seed" | "owner">): FleetDeviceInfo[] {
  const seed = new TextEncoder().encode(opts.seed ?? "vigil-fleet");
  return opts.strategies.map((strategy, index) => {
    const secretKey = taggedHash("vigil.fleet.key", seed, u32be(index));
    const deviceId = nodeSigner(secretKey).publicKey;
    const owner = opts.owner?.(index) ?? keccak256(deviceId).subarray(12);
    return {
      index,
      strategy,
      deviceId,
      deviceIdHex: hex(deviceId),
      secretKey,
      owner,
      ownerHex: hex(owner),
      registered: strategy !== "sybil",
    };
  });
}

/** Starts every device of the fleet in this process against the given node gateways. */
export function runFleet(opts: FleetOptions): Fleet {
  const interval = opts.heartbeatIntervalMs ?? 1_000;
  const storage = opts.storage ?? { chunks: 64, chunkBytes: 1024 };
  const skip = opts.skipFraction ?? 0.1;
  const lost = opts.lostFraction ?? 0.5;
  const devices = planFleet(opts).map((info): FleetDevice => {
    let signer: Signer = nodeSigner(info.secretKey);
    const behaviour: AgentBehaviour = {};
    switch (info.strategy) {
      case "wrongCompute":
        behaviour.wrongResult = true;
        break;
      case "partialCompute":
        // Skip rows whose position in a fixed permutation falls in the first `skip` fraction.
        behaviour.skipRow = (i) => ((i * 2654435761) >>> 0) / 0x1_0000_0000 < skip;
        break;
      case "replayHeartbeat":
        behaviour.replayHeartbeats = true;
        break;
      case "forgedSignature": {
        const forger = nodeSigner(taggedHash("vigil.fleet.forger", info.secretKey));
        signer = { publicKey: info.deviceId, sign: (m) => forger.sign(m) };
        break;
      }
      case "offline": {
        const [from, to] = opts.offlineWindowMs ?? [0, 5 * interval];
        behaviour.offline = (t) => t >= from && t < to;
        break;
      }
      case "slow":
        behaviour.responseDelayMs = opts.slowDelayMs ?? 3_000;
        break;
      case "lostStorage":
        behaviour.lostChunk = (i) => ((i * 2246822519) >>> 0) / 0x1_0000_0000 < lost;
        break;
    }
    const gateways = typeof opts.gateways === "function" ? opts.gateways(info) : opts.gateways;
    const agent = startDeviceAgent({
      signer,
      owner: info.owner,
      capabilities: opts.capabilities ?? defaultFleetCapabilities,
      storage: { seed: taggedHash("vigil.fleet.storage", info.deviceId), ...storage },
      gateways,
      heartbeatIntervalMs: interval,
      pollWaitMs: opts.pollWaitMs,
      behaviour,
      logger: opts.logger?.child({ device: info.deviceIdHex.slice(0, 10), strategy: info.strategy }),
    });
    return { ...info, agent };
  });
  return {
    devices,
    async stop() {
      await Promise.all(devices.map((d) => d.agent.stop()));
    },
  };
}
