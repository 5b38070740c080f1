// The verdict-accuracy instrument: the adversarial fleet against four oracle nodes' real intakes
// (HTTP device gateways, challenge scheduling, judging, epoch ledgers, gossip over real libp2p on
// loopback), each epoch's result computed by the real result function from their observations,
// and scored per strategy against what each device's real contribution deserves. What it leaves
// out is what cannot change a verdict: the consensus round (it agrees on these same observations),
// CRE and the chain (they settle the root the result function produced).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import { type Address, type Hex, hexToBytes, keccak256, parseEther, toHex } from "viem";
import {
  type AssignmentSource,
  type Fleet,
  httpGateway,
  planFleet,
  runFleet,
  type Strategy,
} from "../../attestation/agent/index";
import { type EpochScoreboard, scoreEpoch, scoreRun } from "../../attestation/fleet/scoreboard";
import { challengeRounds } from "../../attestation/index";
import {
  computeResult,
  type DeviceInfo,
  encodeObservation,
  observationHash,
} from "../../oracle-node/agreement/index";
import { testAccount } from "../../oracle-node/agreement/testing/network";
import { assignNetwork } from "../../oracle-node/assignment/index";
import {
  challengePolicy,
  createFraudVerifier,
  createIntake,
  encodeChallengeGossip,
  type Intake,
  signerFromPeerKey,
} from "../../oracle-node/intake/index";
import { createLogger } from "../../oracle-node/logger";
import { createNodeMetrics } from "../../oracle-node/metrics";
import { createP2P, loadOrCreatePeerKey, type P2P, PeerAllowList } from "../../oracle-node/p2p/index";

export interface VerdictRunOptions {
  /** Strategy of each device. */
  strategies: Strategy[];
  epochs: number;
  epochSeconds: number;
  nodes?: number;
  /** Observers per device. */
  k?: number;
  /** Challenge policy id (attestation/policy/challengePolicy.ts). */
  policyId?: number;
  /** One line per event to show progress (stderr in the bench). */
  progress?: (line: string) => void;
}

export interface VerdictRun {
  boards: EpochScoreboard[];
  /** Failed targets over the whole run (empty: every target held). */
  failures: string[];
  framedEvidence: number;
}

const NETWORK = 1n;
const BUDGET = parseEther("1000");
const STAKE = parseEther("10");
const logger = createLogger({ level: process.env.VIGIL_TEST_LOG ?? "silent" });

/** Runs the fleet for `epochs` epochs and scores every one. */
export async function runVerdicts(o: VerdictRunOptions): Promise<VerdictRun> {
  const n = o.nodes ?? 4;
  const k = o.k ?? 3;
  const say = o.progress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "vigil-verdicts-"));
  const stops: (() => unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const plan = planFleet({ strategies: o.strategies, seed: "vigil-verdicts" });
    const registered = plan.filter((d) => d.registered);
    const deviceIds = registered.map((d) => d.deviceIdHex.toLowerCase() as Hex);
    const known = new Set<string>(deviceIds);
    const chainOwner = new Map(registered.map((d) => [d.deviceIdHex.toLowerCase(), d.chainOwnerHex]));
    const accounts = Array.from({ length: n }, (_, i) => testAccount(i));
    const observers = accounts.map((a) => a.address);
    const beacon = (epoch: bigint): Hex => keccak256(toHex(`vigil-verdicts-beacon-${epoch}`));
    const assignments = new Map<bigint, Map<Hex, Address[]>>();
    const assignment = (epoch: bigint) => {
      const known = assignments.get(epoch);
      if (known) return known;
      const made = assignNetwork({ beacon: beacon(epoch), deviceIds, nodes: observers, k });
      assignments.set(epoch, made);
      return made;
    };
    /** Each node's challenger key (its libp2p Ed25519 key), by observer address. */
    const challengerKeys = new Map<Address, Uint8Array>();
    const judges = (epoch: bigint, deviceId: Hex) => ({
      beacon: hexToBytes(beacon(epoch)),
      challengers: (assignment(epoch).get(deviceId) ?? []).flatMap((a) => challengerKeys.get(a) ?? []),
    });
    const assignedTo = (epoch: bigint, node: Address) =>
      new Set([...assignment(epoch)].filter(([, a]) => a.includes(node)).map(([d]) => d));

    // Epoch 0 starts once nodes and fleet had a few seconds to come up and register.
    const genesisTime = BigInt(Math.ceil(Date.now() / 1000) + 6);
    const allowList = new PeerAllowList();
    const policy = challengePolicy(o.policyId ?? 1, o.epochSeconds);
    /** The last node's key: it is the byzantine one. */
    let byzantineKey: Awaited<ReturnType<typeof loadOrCreatePeerKey>> | undefined;
    const p2ps: P2P[] = [];
    const intakes: Intake[] = [];
    const urls: string[] = [];
    for (let i = 0; i < n; i++) {
      const keyFile = join(dir, `node-${i}.key`);
      const key = await loadOrCreatePeerKey(keyFile);
      byzantineKey = key;
      challengerKeys.set(observers[i]!, key.publicKey.raw);
      const p2p = await createP2P(
        { listen: ["/ip4/127.0.0.1/tcp/0"], mdns: false, namespace: "verdicts", peerKeyFile: keyFile },
        { logger, allowList },
      );
      stops.push(() => p2p.stop());
      p2ps.push(p2p);
      const intake = createIntake(
        {
          networks: [
            {
              networkId: NETWORK,
              policy,
              genesisTime,
              epochLength: o.epochSeconds,
              beacon,
              isRegistered: (d) => known.has(d.toLowerCase()),
              ownerOf: (d) => chainOwner.get(d.toLowerCase()),
              // The fleet's storage client's targets (`runFleet` writes the matching replica files).
              storageOf: (d) => plan.find((p) => p.deviceIdHex.toLowerCase() === d.toLowerCase())?.storage,
              assigned: (epoch) => assignedTo(epoch, observers[i]!),
              judges,
            },
          ],
          signer: signerFromPeerKey(key),
          observer: observers[i]!,
        },
        { logger, metrics: createNodeMetrics({ defaultMetrics: false }), p2p },
      );
      stops.push(() => intake.stop());
      intakes.push(intake);
      const app = new Hono();
      for (const m of intake.mounts) app.route(m.path, m.app);
      const server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
      });
      stops.push(() => new Promise((r) => server.close(r)));
      const address = server.address();
      if (!address || typeof address === "string") throw new Error("gateway server has no port");
      urls.push(`http://127.0.0.1:${address.port}/device`);
    }
    allowList.set(p2ps.map((p) => p.peerId));
    for (let i = 1; i < n; i++) await p2ps[i]!.dial(p2ps[0]!.addresses()[0]!);
    say(`${n} nodes up (k = ${k}), ${plan.length} devices, epochs of ${o.epochSeconds} s`);

    // The framer is the last node (one of the f a BFT network tolerates): it frames with its own
    // registered key, seeds from the epoch's beacon, and gossips what it fabricated.
    const byzantine = p2ps[n - 1]!;
    let framedEvidence = 0;
    // What each device reads from the chain in a real network (`createChainAssignment`): who may
    // challenge it, and the epoch's rounds under the network's policy.
    const assignmentSource: AssignmentSource = {
      networkId: NETWORK,
      challengersOf: async (epoch, deviceId) => judges(epoch, toHex(deviceId)),
      roundsOf: async (epoch) => ({
        policy,
        rounds: challengeRounds(
          policy,
          hexToBytes(beacon(epoch)),
          Number(genesisTime + epoch * BigInt(o.epochSeconds)) * 1000,
          o.epochSeconds * 1000,
        ),
      }),
    };
    const fleet: Fleet = runFleet({
      strategies: o.strategies,
      seed: "vigil-verdicts",
      gateways: urls.map((u) => httpGateway(u)),
      assignment: assignmentSource,
      logger,
      framerSigner: signerFromPeerKey(byzantineKey!),
      onFramedEvidence: (evidence) => {
        framedEvidence++;
        byzantine
          .publish(byzantine.topic("challenges"), encodeChallengeGossip("evidence", evidence))
          .catch((err: unknown) => say(`framer could not gossip: ${String(err)}`));
      },
    });
    stops.push(() => fleet.stop());

    const verifyFraud = createFraudVerifier(new Set([NETWORK]));
    const stake = new Map(registered.map((d) => [d.deviceIdHex.toLowerCase(), STAKE]));
    const slashedBefore = new Set<string>();
    const boards: EpochScoreboard[] = [];
    const scored = plan.map((d) => ({ deviceId: d.deviceIdHex, strategy: d.strategy, owner: d.ownerHex }));
    const sybilFarmSize = plan.filter((d) => d.strategy === "sybilFarm").length || 1;
    for (let e = 0n; e < BigInt(o.epochs); e++) {
      // Nodes close an epoch a grace period after its end (the node's default close grace).
      const closeAt = Number(genesisTime + (e + 1n) * BigInt(o.epochSeconds)) * 1000 + 2_000;
      await new Promise((r) => setTimeout(r, Math.max(0, closeAt - Date.now())));
      const used = intakes.map((intake) => {
        const observation = intake.closeEpoch(NETWORK, e);
        return { observation, hash: observationHash(encodeObservation(observation)) };
      });
      const devices: DeviceInfo[] = registered.map((d) => ({
        deviceId: d.deviceIdHex,
        owner: d.chainOwnerHex as Address,
        stake: stake.get(d.deviceIdHex.toLowerCase())!,
      }));
      const unstaked = new Set(devices.filter((d) => d.stake === 0n).map((d) => d.deviceId.toLowerCase()));
      const { result } = await computeResult(
        {
          networkId: NETWORK,
          epoch: e,
          chainId: 31337,
          settlement: "0x00000000000000000000000000000000000051e7",
          budget: BUDGET,
          k,
          oracles: accounts.map((a, i) => ({ signer: a.address, peerId: p2ps[i]!.peerId })),
          devices,
          beacon: beacon(e),
          assignment: assignment(e),
        },
        used,
        verifyFraud,
      );
      const board = scoreEpoch({
        epoch: e,
        budget: BUDGET,
        devices: scored,
        lines: result.lines,
        unstaked,
        slashedBefore,
        sybilFarmSize,
      });
      boards.push(board);
      for (const s of result.slashes) {
        stake.set(s.deviceId.toLowerCase(), 0n);
        slashedBefore.add(s.deviceId.toLowerCase());
      }
      say(
        `epoch ${e}: ${result.lines.filter((l) => l.reward > 0n).length} rewarded, ${result.slashes.length} slashed`,
      );
    }
    return { boards, failures: scoreRun(boards), framedEvidence };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}
