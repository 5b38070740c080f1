import type { Logger } from "pino";
import {
  type AgentBehaviour,
  type AssignmentSource,
  type DeviceAgent,
  startDeviceAgent,
} from "../agent/deviceAgent";
import type { DeviceGateway } from "../agent/gateway";
import { bytesToHex } from "../bytes";
import type { Signer } from "../crypto/ed25519";
import { nodeSigner } from "../crypto/node";
import { keccak256, taggedHash, u32be } from "../hash";
import type { Capabilities } from "../messages/capabilities";
import type { FraudReasonName } from "../messages/evidence";
import { createFramingChallenger } from "./framingChallenger";
import { flakyTransport, rewritingProxy } from "./hostileTransport";
import type { Strategy } from "./strategies";

export { STRATEGIES, STRATEGY_INFO, type Strategy, type StrategyInfo } from "./strategies";

export interface FleetOptions {
  /** One entry per device. */
  strategies: Strategy[];
  /** The nodes each device talks to (its assignment); the same list for all if an array. */
  gateways: DeviceGateway[] | ((device: FleetDeviceInfo) => DeviceGateway[]);
  /** Keys are derived from this, so a fleet is reproducible (default "vigil-fleet"). */
  seed?: string;
  capabilities?: Capabilities;
  storage?: { chunks: number; chunkBytes: number };
  /** Fixed heartbeat period for every device; default: each node's policy (see `startDeviceAgent`). */
  heartbeatIntervalMs?: number;
  pollWaitMs?: number;
  /** partialCompute: fraction of rows skipped (default 0.1). */
  skipFraction?: number;
  /** lostStorage: fraction of chunks lost (default 0.5). */
  lostFraction?: number;
  /** offline: silent during [from, to) ms after start (default 5 × `heartbeatIntervalMs`, or 5 s). */
  offlineWindowMs?: [number, number];
  /** slow: delay before each answer, ms (default: half a second past each challenge's own deadline). */
  slowDelayMs?: number;
  /** Owner address per device (default: derived from the key). */
  owner?: (index: number) => Uint8Array;
  /**
   * Where the framing challenger (which `honestFramed` devices also answer) sends the evidence it
   * fabricates, e.g. onto the oracles' gossip or their fraud endpoint. Without it nobody frames.
   */
  onFramedEvidence?: (evidence: Uint8Array, reason: FraudReasonName) => void;
  /**
   * The framing challenger's key. Default: an unregistered key. A byzantine *oracle* (one of the f a
   * network tolerates) frames with its own registered key, and seeds its challenges from the epoch's
   * beacon (from `assignment`), so devices it is assigned to answer it and only the framing checks
   * before signing stand between them and a slash.
   */
  framerSigner?: Signer;
  /**
   * One assignment source shared by every device (e.g. `createChainAssignment`: its chain reads are
   * per epoch, not per device). With it each device answers only the oracles assigned to it, so
   * the framing challenger (an unregistered key) is refused; without it any challenger is answered.
   */
  assignment?: AssignmentSource;
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
  /**
   * The owner the chain registers the device under: `owner`, except for a squatted device, whose
   * key an attacker registered first under the attacker's address.
   */
  chainOwner: Uint8Array;
  chainOwnerHex: `0x${string}`;
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
    const chainOwner =
      strategy === "honestSquatted" ? taggedHash("vigil.fleet.squatter", deviceId).subarray(12) : owner;
    return {
      index,
      strategy,
      deviceId,
      deviceIdHex: hex(deviceId),
      secretKey,
      owner,
      ownerHex: hex(owner),
      registered: strategy !== "sybil",
      chainOwner,
      chainOwnerHex: hex(chainOwner),
    };
  });
}

/** Starts every device of the fleet in this process against the given node gateways. */
export function runFleet(opts: FleetOptions): Fleet {
  // Time scale of the cheats below (offline window, framing cadence), not the heartbeat period.
  const interval = opts.heartbeatIntervalMs ?? 1_000;
  const storage = opts.storage ?? { chunks: 64, chunkBytes: 1024 };
  const skip = opts.skipFraction ?? 0.1;
  const lost = opts.lostFraction ?? 0.5;
  const planned = planFleet(opts);
  const robbed = planned.filter((d) => d.strategy === "honestRobbed");
  let thieves = 0;
  // Every `sybilFarm` key runs on this one machine: one answer at a time.
  let farmQueue: Promise<unknown> = Promise.resolve();
  const farm = {
    run<T>(work: () => Promise<T>): Promise<T> {
      const next = farmQueue.then(work, work);
      // The queue only orders the work: a failed answer still rejects `next` for its caller, and
      // must not stop the machine from taking the next one.
      farmQueue = next.then(
        () => {},
        () => {},
      );
      return next;
    },
  };
  const relayCapabilities = { ...(opts.capabilities ?? defaultFleetCapabilities), computeClass: 2 };
  const framerKey = nodeSigner(taggedHash("vigil.fleet.framer", new TextEncoder().encode(opts.seed ?? "")));
  const devices = planned.map((info): FleetDevice => {
    let signer: Signer = nodeSigner(info.secretKey);
    const behaviour: AgentBehaviour = {};
    let capabilities = opts.capabilities ?? defaultFleetCapabilities;
    let gateways = typeof opts.gateways === "function" ? opts.gateways(info) : opts.gateways;
    switch (info.strategy) {
      case "honestSlow":
        // A quarter of each challenge's own deadline: slow, but within what its class is given.
        behaviour.answerDelayMs = (c) => Number(c.body.deadlineMs - c.body.issuedAtMs) / 4;
        break;
      case "honestFlaky":
        gateways = gateways.map((g) => flakyTransport(g, 0.1, 50));
        break;
      case "honestProxied":
        gateways = gateways.map((g) => rewritingProxy(g));
        break;
      case "honestFramed":
        if (opts.onFramedEvidence && gateways[0]) {
          gateways = [
            ...gateways,
            createFramingChallenger({
              signer: opts.framerSigner ?? framerKey,
              upstream: gateways[0],
              beacon: opts.assignment
                ? (epoch, deviceId) => opts.assignment!.challengersOf(epoch, deviceId).then((j) => j?.beacon)
                : undefined,
              intervalMs: 2 * interval,
              onEvidence: opts.onFramedEvidence,
            }),
          ];
        }
        break;
      case "partialComputeSilent":
        behaviour.skipRow = (i) => ((i * 2654435761) >>> 0) / 0x1_0000_0000 < 0.1;
        behaviour.silentWhenCaught = true;
        break;
      case "zeroStorage":
        behaviour.regenerateStorage = true;
        break;
      case "storageHalfSilent":
      case "storage90Silent": {
        const gone = info.strategy === "storageHalfSilent" ? 0.5 : 0.1;
        behaviour.lostChunk = (i) => ((i * 2246822519) >>> 0) / 0x1_0000_0000 < gone;
        behaviour.silentWhenCaught = true;
        break;
      }
      case "preSignedHeartbeats":
        behaviour.preSignHeartbeats = true;
        break;
      case "challengeThief":
        if (robbed.length) behaviour.stealFrom = [robbed[thieves++ % robbed.length]!.deviceId];
        break;
      case "sybilFarm":
        behaviour.machine = farm;
        break;
      case "relayToStronger":
        // The stronger machine does the work; the relay adds a round trip to it.
        capabilities = relayCapabilities;
        behaviour.responseDelayMs = 40;
        break;
      case "classOverclaim":
        // Class-0 hardware doing a class-2 (n = 256) product: 64 times the multiply-adds.
        capabilities = relayCapabilities;
        behaviour.computeSlowdown = 64;
        break;
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
        if (opts.slowDelayMs !== undefined) behaviour.responseDelayMs = opts.slowDelayMs;
        else behaviour.answerDelayMs = (c) => Number(c.body.deadlineMs - c.body.issuedAtMs) + 500;
        break;
      case "lostStorage":
        behaviour.lostChunk = (i) => ((i * 2246822519) >>> 0) / 0x1_0000_0000 < lost;
        break;
    }
    const agent = startDeviceAgent({
      signer,
      owner: info.owner,
      capabilities,
      storage: { seed: taggedHash("vigil.fleet.storage", info.deviceId), ...storage },
      gateways,
      // Unset: each agent follows its nodes' policy (half their heartbeat interval).
      heartbeatIntervalMs: opts.heartbeatIntervalMs,
      pollWaitMs: opts.pollWaitMs,
      behaviour,
      assignment: opts.assignment,
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
