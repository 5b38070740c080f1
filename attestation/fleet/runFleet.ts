import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import {
  type AgentBehaviour,
  type AssignmentSource,
  type DeviceAgent,
  startDeviceAgent,
} from "../agent/deviceAgent";
import type { DeviceGateway } from "../agent/gateway";
import { bytesToHex, equalBytes } from "../bytes";
import type { StorageTarget } from "../challenges/storage";
import type { Signer } from "../crypto/ed25519";
import { nodeSigner } from "../crypto/node";
import { keccak256, taggedHash, u32be } from "../hash";
import type { Capabilities } from "../messages/capabilities";
import type { FraudReasonName } from "../messages/evidence";
import { replicaTree } from "../storage/replica";
import { writeReplicaFile } from "../storage/replicaFile";
import { createFramingChallenger } from "./framingChallenger";
import { Machine } from "./hardware";
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
  /** Each device's replica (default 64 chunks of 1 KiB: 64 KiB, one storage work unit). */
  storage?: { chunks: number; chunkBytes: number };
  /**
   * A folder where a storage client outside the fleet (the devnet) already wrote each device's
   * replica (`replicaFileOf`). Default: the fleet plays the storage client and writes them into a
   * temporary folder, removed on `stop()`.
   */
  replicaDir?: string;
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
  /**
   * What the fleet's storage client registers on chain for the device: the root of its replica,
   * derived from the client's secret (`fleetStorageSecret`), which no device of the fleet is given.
   */
  storage: StorageTarget;
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

const DEFAULT_STORAGE = { chunks: 64, chunkBytes: 1024 };

/**
 * The secret of the fleet's storage client (the customer who places data on its devices): derived
 * from the fleet's seed so a plan is reproducible; the devices' agents never see it, only their files.
 */
export const fleetStorageSecret = (seed = "vigil-fleet"): Uint8Array =>
  taggedHash("vigil.fleet.storage-client", new TextEncoder().encode(seed));

/** Where a device's replica file is in a replica folder. */
export const replicaFileOf = (dir: string, device: Pick<FleetDeviceInfo, "deviceIdHex">): string =>
  join(dir, `${device.deviceIdHex.slice(2)}.replica`);

/**
 * The fleet's storage client uploads: writes every device's replica into `dir` (`replicaFileOf`),
 * each checked against the target the plan registers for it.
 */
export function writeFleetReplicas(devices: readonly FleetDeviceInfo[], dir: string, seed?: string): void {
  const secret = fleetStorageSecret(seed);
  for (const d of devices) {
    const { storageChunks, storageChunkBytes } = d.storage;
    const written = writeReplicaFile(
      replicaFileOf(dir, d),
      secret,
      d.deviceId,
      storageChunks,
      storageChunkBytes,
    );
    if (!equalBytes(written.storageRoot, d.storage.storageRoot))
      throw new Error(`replica of ${d.deviceIdHex} does not match its planned root`);
  }
}

/** The devices a fleet would run, without starting them (for registering them on chain first). */
export function planFleet(
  opts: Pick<FleetOptions, "strategies" | "seed" | "owner" | "storage">,
): FleetDeviceInfo[] {
  const seed = new TextEncoder().encode(opts.seed ?? "vigil-fleet");
  const storageSecret = fleetStorageSecret(opts.seed);
  const { chunks, chunkBytes } = opts.storage ?? DEFAULT_STORAGE;
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
      storage: replicaTree(storageSecret, deviceId, chunks, chunkBytes).target,
    };
  });
}

/** Starts every device of the fleet in this process against the given node gateways. */
export function runFleet(opts: FleetOptions): Fleet {
  // Time scale of the cheats below (offline window, framing cadence), not the heartbeat period.
  const interval = opts.heartbeatIntervalMs ?? 1_000;
  const skip = opts.skipFraction ?? 0.1;
  const lost = opts.lostFraction ?? 0.5;
  const planned = planFleet(opts);
  // The storage client's upload: each device's replica as a file (unless a client outside did it).
  const ownReplicaDir = opts.replicaDir ? undefined : mkdtempSync(join(tmpdir(), "vigil-replicas-"));
  const replicaDir = opts.replicaDir ?? ownReplicaDir!;
  if (ownReplicaDir) writeFleetReplicas(planned, ownReplicaDir, opts.seed);
  const robbed = planned.filter((d) => d.strategy === "honestRobbed");
  let thieves = 0;
  const baseCapabilities = opts.capabilities ?? defaultFleetCapabilities;
  // Every `sybilFarm` key runs on this one machine, of the fleet's class: one job at a time.
  const farm = new Machine(baseCapabilities.computeClass, baseCapabilities.bandwidthClass);
  const firstFarmKey = planned.find((d) => d.strategy === "sybilFarm");
  // The stronger machine every `relayToStronger` key relays its compute to: a class-2 machine that
  // is itself registered as a device, so its own challenges come in the same rounds.
  const stronger = new Machine(2, baseCapabilities.bandwidthClass);
  const relayCapabilities = { ...baseCapabilities, computeClass: 2 };
  const framerKey = nodeSigner(taggedHash("vigil.fleet.framer", new TextEncoder().encode(opts.seed ?? "")));
  const devices = planned.map((info): FleetDevice => {
    let signer: Signer = nodeSigner(info.secretKey);
    const behaviour: AgentBehaviour = {};
    let capabilities = baseCapabilities;
    // Its own machine, of the class it claims: honest hardware.
    behaviour.machine = new Machine(capabilities.computeClass, capabilities.bandwidthClass);
    let gateways = typeof opts.gateways === "function" ? opts.gateways(info) : opts.gateways;
    switch (info.strategy) {
      case "honestSlow":
        // A slow link: each answer starts 5% of its deadline late, on top of its hardware's 78%.
        behaviour.answerDelayMs = (c) => Number(c.body.deadlineMs - c.body.issuedAtMs) / 20;
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
        // It discarded its replica once the client registered it: no file, and nothing to derive one from.
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
        // The stronger machine does the compute, behind its own device's job of the same round; the
        // relay adds a round trip to it.
        capabilities = relayCapabilities;
        behaviour.relay = { machine: stronger, ownJobs: 1 };
        behaviour.responseDelayMs = 40;
        break;
      case "classOverclaim":
        // Class-0 hardware claiming class 2: a class-2 (n = 256) product is 64 times its work.
        capabilities = relayCapabilities;
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
      // A farm's one disk holds one device's replica: its first key's.
      storage:
        info.strategy === "zeroStorage" || (info.strategy === "sybilFarm" && info !== firstFarmKey)
          ? undefined
          : {
              file: replicaFileOf(replicaDir, info),
              chunks: info.storage.storageChunks,
              chunkBytes: info.storage.storageChunkBytes,
            },
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
      if (ownReplicaDir) rmSync(ownReplicaDir, { recursive: true, force: true });
    },
  };
}
