// The composition root: builds every module of an oracle node from its config, in dependency order,
// and closes them in reverse. Modules get `(options, modules)`; nothing else wires them together.
import { mkdirSync, readFileSync } from "node:fs";
import type { Hono } from "hono";
import type { DestinationStream } from "pino";
import { type Address, bytesToHex, type Hex, hexToBytes } from "viem";
import { decodeMessage, type EvidenceJudges, verifyEvidenceFast } from "../attestation/index";
import {
  type Agreement,
  createAgreement,
  type EpochCertificate,
  type EpochContext,
  type ObservationSet,
  uptimeHistory,
} from "./agreement/index";
import {
  ApiError,
  type ApiServer,
  type AssignmentView,
  createAdminApp,
  createApiApp,
  createGatewayApp,
  inProcessFetch,
  type NodeStatus,
  serveApi,
} from "./api/index";
import { assignNetwork } from "./assignment/index";
import { createBackfill, createBackfillDriver } from "./backfill/index";
import {
  ChainError,
  createChainClient,
  epochAt,
  epochEnd,
  getOperators,
  getSettlementState,
  type NetworkInfo,
  type OperatorInfo,
  readEpochBeacon,
  readEpochEmission,
  readEpochState,
  readUptimeWindow,
  watchSettlements,
  withRetry,
} from "./chain/index";
import { createChainView } from "./chain-view/index";
import { ConfigError, loadTlsCredentials, type NodeConfig, type TlsCredentials } from "./config/index";
import { CRE_TOPIC_KIND, CRE_TOPIC_LIMITS, type ExecutionOutcome } from "./cre-host/index";
import {
  createFeedApp,
  createStoreFeedSource,
  createVerdictHub,
  createVerdictJournal,
  createWebhookSender,
  forgetUnconfiguredWebhookReceivers,
  storeRing,
} from "./feed/index";
import { createGatewayAnnouncer, gatewayPublicUrls } from "./gateways/index";
import {
  challengePolicy,
  challengerKeyOf,
  createFraudVerifier,
  createIntake,
  type Intake,
  signerFromPeerKey,
} from "./intake/index";
import { loadNodePeerKey, type PasswordSource, passwordSource, readSignerKey } from "./keys/index";
import { createLogger, type Logger } from "./logger";
import { createNodeMetrics, type NodeMetrics } from "./metrics";
import { createP2P, type P2P } from "./p2p/index";
import {
  type CreSettlement,
  createEquivocationReporter,
  createSettlementMonitor,
  startCreSettlement,
  tapFraudEvidence,
} from "./settlement/index";
import { createRetention, Store, type StoredFraudEvidence } from "./store/index";

export const NODE_VERSION = "0.1.0";

export interface StartNodeOptions {
  /** Where log lines go (default stdout). */
  logDestination?: DestinationStream;
  /** Process-wide default metrics; off when several nodes share a process (tests). */
  defaultMetrics?: boolean;
  /** Chain polling interval; tests on anvil use ~50 ms. */
  pollingIntervalMs?: number;
  /** How often the chain view polls the head and applies new registry logs (default 2 s). */
  registryPollMs?: number;
  /** How often the chain view re-reads the whole registry as a backstop (default 10 min; 0: never). */
  registryResyncMs?: number;
  /** Gossipsub heartbeat (tests use ~100 ms so meshes form fast). */
  heartbeatIntervalMs?: number;
  /** Enables devnet-only admin actions (forcing an epoch close). */
  devnet?: boolean;
  /** Extra sub-apps mounted on the public feed API. */
  mounts?: { path: string; app: Hono }[];
  /** Agreement timeouts (tests shorten them). */
  agreement?: Parameters<typeof createAgreement>[0];
  /** Called with this node's observation set at each epoch close (before agreement runs). */
  onObservation?: (observation: ObservationSet) => void;
  /** Called when an epoch result is certified by 2f+1 votes. */
  onCertificate?: (certificate: EpochCertificate) => void;
  /**
   * Where the keystore password comes from (default: `VIGIL_KEYSTORE_PASSWORD`, then
   * `VIGIL_KEYSTORE_PASSWORD_FILE`, then `keys.password_file`); asked only for encrypted key files.
   */
  password?: PasswordSource;
}

export interface VigilNode {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  readonly signer: Address;
  readonly peerId: string;
  readonly p2p: P2P;
  readonly store: Store;
  readonly intake: Intake;
  readonly agreement: Agreement;
  /** The public feed API listener (`[api]`). */
  readonly api: ApiServer;
  /** The device gateway's listener (`[gateway]`); the same server as `api` when it has no port of its own. */
  readonly gateway: ApiServer;
  /** Metrics and `/admin/*` (`[admin]`, loopback by default). */
  readonly admin: ApiServer;
  /** The CRE host settling epochs and slashing fraud on chain; undefined when `[cre]` is off. */
  readonly cre: CreSettlement | undefined;
  /** Network parameters as last read from the registry. */
  networks(): NetworkInfo[];
  /** Registered operators as last read from the registry. */
  operators(): OperatorInfo[];
  /**
   * Re-reads the whole registry and settlement state now. Not needed in normal running: the node
   * follows the registry by its events, with a full re-read every `registryResyncMs` as a backstop.
   */
  refresh(): Promise<void>;
  /**
   * Closes a network's epoch now: hands this node's observation set to agreement and resolves with
   * the certified result. Normally the epoch clock does this at epoch end + `epoch.close_grace_ms`.
   */
  closeEpoch(networkId: bigint, epoch?: bigint): Promise<EpochCertificate>;
  close(): Promise<void>;
}

/** Builds and starts an oracle node. On failure, whatever was already started is closed again. */
export async function startNode(config: NodeConfig, options: StartNodeOptions = {}): Promise<VigilNode> {
  const logger = createLogger({ level: config.logLevel, destination: options.logDestination });
  const log = logger.child({ module: "node" });
  const closers: { name: string; close: () => unknown }[] = [];
  // Set by `close()`; read by retry callbacks that startup already arms, so it must exist before them.
  let closing: Promise<void> | undefined;
  const startedAt = Date.now();
  try {
    // First: a bad certificate or key is a config error at start, not a failed handshake later.
    const apiTls = config.api.tls && loadTlsCredentials(config.api.tls);
    const gatewayTls = config.gateway?.tls && loadTlsCredentials(config.gateway.tls, "gateway.tls");
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const metrics = createNodeMetrics({ defaultMetrics: options.defaultMetrics });
    // Keys: decrypted once here (scrypt, ~2 s per keystore at the standard cost); plaintext files need no password.
    const password =
      options.password ?? passwordSource({ configPasswordFile: config.keys.passwordFile, env: process.env });
    const { account } = await readSignerKey(config.chain.signerKeyFile, password);

    // Chain: refuse to run against the wrong chain, since every signature binds the chain id.
    const client = createChainClient({
      rpcUrls: config.chain.rpcUrls,
      chainId: config.chain.chainId,
      pollingIntervalMs: options.pollingIntervalMs,
    });
    const actualChainId = await client.getChainId();
    if (actualChainId !== config.chain.chainId)
      throw new ChainError(
        "CHAIN_ID_MISMATCH",
        `RPC reports chain ${actualChainId}, config says chain.chain_id = ${config.chain.chainId}`,
        { actualChainId, expected: config.chain.chainId },
      );
    const { registry, settlement } = config.chain.addresses;
    // The registry and settlement state the node works from (operators and the p2p allow-list,
    // networks, active devices and their storage targets, beacons): read in full once, then followed
    // by the contracts' events. Built before anything that reads it, and read only through it.
    const chainView = createChainView(
      {
        registry,
        settlement,
        networks: config.networks,
        // Devnet overrides of the on-chain timing (config epoch.*).
        epoch: {
          lengthSeconds: config.epoch.lengthSeconds,
          genesisTime: config.epoch.genesisTime !== undefined ? BigInt(config.epoch.genesisTime) : undefined,
        },
        balanceOf: account.address,
        ...(options.registryPollMs !== undefined && { pollIntervalMs: options.registryPollMs }),
        ...(options.registryResyncMs !== undefined && { fullResyncMs: options.registryResyncMs }),
      },
      { client, logger, metrics: metrics.registry },
    );
    const settlementMonitor = createSettlementMonitor(
      {
        clock: (id) => {
          const n = chainView.network(id);
          return n
            ? { epoch: epochAt(n, BigInt(Math.floor(Date.now() / 1000))), epochLengthSeconds: n.epochLength }
            : { epoch: 0n, epochLengthSeconds: 1 };
        },
      },
      { logger, metrics },
    );
    chainView.onSettlement((id, state) => {
      if (state.lastSettledEpoch !== null) settlementMonitor.settled(id, state.lastSettledEpoch);
    });
    await chainView.start();
    closers.push({ name: "chain view", close: () => chainView.stop() });
    const settled = new Set<string>();
    const verdicts = createVerdictHub();
    const unwatch = watchSettlements(
      client,
      settlement,
      (e) => {
        log.info(
          { networkId: e.networkId, epoch: e.epoch, resultRoot: e.resultRoot },
          "epoch settled on chain",
        );
        settled.add(`${e.networkId}:${e.epoch}`);
        settlementMonitor.settled(e.networkId, e.epoch);
        // Bounded history (`retention` is set up with the store below, before any log can arrive).
        retention.settled(e.networkId, e.epoch);
        verdicts.publish({
          type: "settled",
          networkId: e.networkId,
          epoch: e.epoch,
          resultRoot: e.resultRoot,
        });
        journal.settled(e.networkId, e.epoch, e.resultRoot);
        // The beacon moved on: read it now rather than when the chain view's poll reaches the block.
        chainView
          .refreshSettlement(e.networkId)
          .catch((err: unknown) =>
            log.warn({ err, networkId: e.networkId }, "reading the new beacon failed"),
          );
      },
      (err) => log.warn({ err }, "settlement watch failed"),
    );
    closers.push({ name: "settlement watch", close: unwatch });

    const store = Store.open({ dataDir: config.dataDir }, { metrics: metrics.registry });
    closers.push({ name: "store", close: () => store.close() });
    const retention = createRetention(store, config.store, { logger });
    // The live verdict stream: signed provisional verdicts and `settled`, numbered in the store so ids
    // survive reconnects and restarts (docs/consumers.md, "Live verdicts").
    const journal = createVerdictJournal(
      {
        chainId: config.chain.chainId,
        settlement,
        maxVerdictsPerDevice: config.feed.maxVerdictsPerDevice,
        resumeEvents: config.feed.resumeEvents,
      },
      { ring: storeRing(store), account, logger: log, metrics: metrics.registry },
    );
    closers.push({ name: "verdict stream", close: () => journal.idle() });
    const hooks = config.feed.webhooks;
    if (hooks.urls.length > 0 && hooks.secretFile) {
      const secret = readFileSync(hooks.secretFile, "utf8").trim();
      if (Buffer.byteLength(secret) < 16)
        throw new ConfigError(
          "CONFIG_INVALID",
          `feed.webhooks.secret_file ${hooks.secretFile} holds ${Buffer.byteLength(secret)} bytes; the HMAC secret needs at least 16`,
        );
      const webhooks = createWebhookSender(
        { urls: hooks.urls, secret, maxQueue: hooks.queue, retries: hooks.retries },
        { stream: journal, networks: config.networks, queue: store, logger: log, metrics: metrics.registry },
      );
      closers.push({ name: "webhooks", close: () => webhooks.stop() });
      log.info({ receivers: hooks.urls.length }, "verdict stream webhooks on");
    } else forgetUnconfiguredWebhookReceivers(store, [], log);

    // The same Ed25519 key is the libp2p identity and the challenger key that signs challenges and evidence.
    // A rotated key (`vigil node keys rotate-peer`) takes over once the registry holds its peer id.
    const registeredPeerId = chainView
      .operators()
      .find((o) => o.signer.toLowerCase() === account.address.toLowerCase())?.peerId;
    const nodePeerKey = await loadNodePeerKey(config.p2p.peerKeyFile, password, registeredPeerId);
    if (nodePeerKey.rotated)
      log.info({ peerId: nodePeerKey.peerId }, "rotated to the pending peer key the registry holds");
    else if (nodePeerKey.pending)
      log.warn(
        { peerId: nodePeerKey.peerId, pending: nodePeerKey.pending, registered: registeredPeerId },
        "a pending peer key is not on the registry yet: send updateOperatorPeerId, then restart",
      );
    const peerKey = nodePeerKey.key;
    const p2p = await createP2P(
      {
        listen: config.p2p.listen,
        bootstrap: config.p2p.bootstrap,
        mdns: config.p2p.mdns,
        // One gossip namespace per deployment: nodes of another chain or settlement never mix.
        namespace: `${config.chain.chainId}-${settlement.slice(2, 10).toLowerCase()}`,
        privateKey: peerKey,
        ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
        // CRE consensus rides the same gossip on its own topic.
        ...(config.cre ? { extraTopics: { [CRE_TOPIC_KIND]: CRE_TOPIC_LIMITS } } : {}),
      },
      { logger, metrics: metrics.registry, allowList: chainView.allowList },
    );
    closers.push({ name: "p2p", close: () => p2p.stop() });
    log.info({ peerId: p2p.peerId, signer: account.address, addrs: p2p.addresses() }, "p2p started");
    // Where each active operator's device gateway is, this node's own included: signed records,
    // gossiped and served at `GET /v1/gateways` for devices to discover their assigned nodes.
    const gatewayAnnouncer = createGatewayAnnouncer(
      { chainId: config.chain.chainId, registry, signer: account.address },
      {
        p2p,
        peerSigner: signerFromPeerKey(peerKey),
        nodeKeyOf: (signer) => {
          const hex = bytesToHex(signer);
          const o = chainView
            .operators()
            .find((op) => op.status === "Active" && op.signer.toLowerCase() === hex);
          return o?.peerId ? challengerKeyOf(o.peerId) : undefined;
        },
        logger,
      },
    );
    closers.push({ name: "gateway announcer", close: () => gatewayAnnouncer.stop() });

    const currentEpoch = (n: NetworkInfo) => epochAt(n, BigInt(Math.floor(Date.now() / 1000)));
    const networkOf = (id: bigint) => {
      const n = chainView.network(id);
      if (!n)
        throw new ChainError("CHAIN_UNKNOWN_NETWORK", `this node does not serve network ${id}`, {
          networkId: id,
        });
      return n;
    };
    const activeSigners = () => [...chainView.activeSigners()];

    // Assignment per (network, epoch): device and node sets snapshotted on first use, so they stay
    // fixed for the epoch, and the beacon pinned at the last block before the epoch's start
    // (`readEpochBeacon`), so a settlement landing at the boundary cannot give nodes different
    // beacons. Until the pinned read is back (a block or so after the start), the intake works with
    // the latest beacon, which is nearly always the same one.
    interface Snapshot {
      beacon: Hex;
      nodes: Address[];
      deviceIds: Hex[];
      map: Map<Hex, Address[]>;
      /** The read of the pinned beacon: resolves with the final map; unset again if it failed. */
      pin?: Promise<Map<Hex, Address[]>>;
    }
    const assignments = new Map<string, Snapshot>();
    const assign = (networkId: bigint, beacon: Hex, nodes: Address[], deviceIds: Hex[]) =>
      nodes.length === 0
        ? new Map<Hex, Address[]>()
        : assignNetwork({ beacon, deviceIds, nodes, k: networkOf(networkId).k });
    const snapshotOf = (networkId: bigint, epoch: bigint): Snapshot => {
      const key = `${networkId}:${epoch}`;
      let a = assignments.get(key);
      if (!a) {
        const nodes = activeSigners();
        const deviceIds = chainView.devices(networkId).map((d) => d.deviceId.toLowerCase() as Hex);
        const beacon = chainView.settlement(networkId)!.beacon;
        a = { beacon, nodes, deviceIds, map: assign(networkId, beacon, nodes, deviceIds) };
        assignments.set(key, a);
        for (const old of assignments.keys())
          if (assignments.size > 8 * config.networks.length) assignments.delete(old);
      }
      return a;
    };
    const assignmentOf = (networkId: bigint, epoch: bigint) => snapshotOf(networkId, epoch).map;
    /**
     * The epoch's assignment with its pinned beacon, read once the epoch's start is past by the close
     * grace (`waitForStart`), as the epoch's end is: a block stamped before the start may still
     * arrive for a moment after it. An epoch closed before it began (by hand) reads at once.
     */
    const pinnedAssignment = (
      networkId: bigint,
      epoch: bigint,
      waitForStart = true,
    ): Promise<Map<Hex, Address[]>> => {
      const snap = snapshotOf(networkId, epoch);
      if (snap.pin) return snap.pin;
      const n = networkOf(networkId);
      const startTime = n.genesisTime + epoch * BigInt(n.epochLength);
      const wait = waitForStart
        ? Number(startTime * 1000n + BigInt(config.epoch.closeGraceMs) - BigInt(Date.now()))
        : 0;
      snap.pin = new Promise((r) => setTimeout(r, Math.max(0, wait)).unref())
        .then(() =>
          withRetry(() => readEpochBeacon(client, settlement, networkId, startTime), {
            attempts: 6,
            baseDelayMs: 1_000,
            onRetry: () => (closing ? false : undefined),
          }),
        )
        .then(async ({ beacon, blockNumber }) => {
          // The oracle set at the same pinned block, as devices and the fraud-slashing workflow read
          // it: an operator that joined after the epoch began watches from the next epoch on.
          const nodes =
            blockNumber === null
              ? snap.nodes
              : (await getOperators(client, registry, { blockNumber }))
                  .filter((o) => o.status === "Active")
                  .map((o) => o.signer);
          const sameNodes = nodes.length === snap.nodes.length && nodes.every((a) => snap.nodes.includes(a));
          if (beacon !== snap.beacon || !sameNodes) {
            log.warn(
              { networkId, epoch, seen: snap.beacon, pinned: beacon, nodes: nodes.length },
              "epoch assignment re-derived from the beacon and oracle set pinned before the epoch's start",
            );
            snap.map = assign(networkId, beacon, nodes, snap.deviceIds);
            snap.beacon = beacon;
            snap.nodes = nodes;
          }
          return snap.map;
        });
      snap.pin.catch(() => {
        snap.pin = undefined; // the next clock tick or epoch close tries again
      });
      return snap.pin;
    };
    // Keyed by the assignment map itself, so it is recomputed exactly when the snapshot is.
    const mineOf = new WeakMap<Map<Hex, Address[]>, ReadonlySet<Hex>>();
    const assignedToMe = (networkId: bigint, epoch: bigint): ReadonlySet<Hex> => {
      const assignment = assignmentOf(networkId, epoch);
      let mine = mineOf.get(assignment);
      if (!mine) {
        const set = new Set<Hex>();
        for (const [deviceId, nodes] of assignment) if (nodes.includes(account.address)) set.add(deviceId);
        mineOf.set(assignment, set);
        metrics.assignedDevices.set({ network: String(networkId) }, set.size);
        mine = set;
      }
      return mine;
    };

    /**
     * The epoch's beacon and the challenger keys (registered peer ids' Ed25519 keys) of the oracles
     * assigned to a device: the same snapshot this node challenges from, so its own evidence and its
     * peers' under the same assignment pass, and nobody else's does.
     */
    const judgesOf = (networkId: bigint, epoch: bigint, deviceId: Hex): EvidenceJudges => {
      const snap = snapshotOf(networkId, epoch);
      const assigned = snap.map.get(deviceId.toLowerCase() as Hex) ?? [];
      const challengers = chainView.operators().flatMap((o) => {
        if (!o.peerId || !assigned.includes(o.signer)) return [];
        const key = challengerKeyOf(o.peerId);
        return key ? [key] : [];
      });
      return { beacon: hexToBytes(snap.beacon), challengers };
    };

    // Fraud evidence the intake proves or accepts from gossip goes to the fraud-slashing workflow at
    // once (every node sees the same bundle, so they run one execution together); the epoch's
    // settlement carries the slash too, and the contract applies each bundle once.
    let cre: CreSettlement | undefined;
    // One execution per bundle on this node, whether gossip or the admin route asked first: a second
    // run with the same execution id would meet the first one's consensus rounds.
    const slashRuns = new Map<Hex, Promise<ExecutionOutcome>>();
    const fraudSlash = (host: CreSettlement, networkId: bigint, evidence: Hex) => {
      let run = slashRuns.get(evidence);
      if (!run) {
        run = host.fraudSlash(networkId, evidence);
        slashRuns.set(evidence, run);
        // A failed run may be retried; a successful one is never repeated.
        run.then(
          (o) => o.ok || slashRuns.delete(evidence),
          () => slashRuns.delete(evidence),
        );
        if (slashRuns.size > 1024) slashRuns.delete(slashRuns.keys().next().value as Hex);
      }
      return run;
    };
    const onFraudEvidence = (bytes: Uint8Array) => {
      const decoded = decodeMessage(bytes);
      if (!cre?.member || !decoded.ok || !config.networks.includes(decoded.value.networkId)) return;
      const networkId = decoded.value.networkId;
      // The intake's rule: only an oracle assigned to the device, current epoch or the one just closed.
      if (!verifyEvidenceFast(bytes, { networkId, judges: intake.evidenceJudges(networkId) }).ok) return;
      const evidence = bytesToHex(bytes);
      if (slashRuns.has(evidence)) return;
      fraudSlash(cre, networkId, evidence).then(
        (outcome) =>
          outcome.ok
            ? log.info({ networkId, result: outcome.value }, "fraud slash sent")
            : log.warn({ networkId, error: outcome.error }, "fraud slash failed"),
        (err: unknown) => log.warn({ err, networkId }, "fraud slash failed"),
      );
    };
    // Every bundle verified under the chain's assignment (intake: own verdicts and gossip; agreement: the
    // observations a result is computed from), for the feed's evidence route: bounded per device and
    // epoch, pruned with the epoch.
    const keepEvidence = (e: StoredFraudEvidence) => {
      if (store.saveFraudEvidence(e))
        log.debug(
          { networkId: e.networkId, epoch: e.epoch, deviceId: e.deviceId, evidenceHash: e.evidenceHash },
          "fraud evidence kept",
        );
    };
    const intake = createIntake(
      {
        networks: config.networks.map((id) => {
          const n = networkOf(id);
          return {
            networkId: id,
            policy: challengePolicy(n.challengePolicyId, n.epochLength),
            genesisTime: n.genesisTime,
            epochLength: n.epochLength,
            // The epoch's own beacon (pinned once the read is back), not the latest: a settlement lands
            // mid-epoch and moves the latest, and evidence is judged against the epoch's.
            beacon: (epoch: bigint) => snapshotOf(id, epoch).beacon,
            isRegistered: (deviceId: Hex) => chainView.device(id, deviceId) !== undefined,
            // The owner the registry holds: a device is credited only if its own registration names it.
            ownerOf: (deviceId: Hex) => chainView.device(id, deviceId)?.owner,
            // What storage challenges are judged against: the chain's target, never the device's word.
            storageOf: (deviceId: Hex) => chainView.storage(id, deviceId),
            assigned: (epoch: bigint) => assignedToMe(id, epoch),
            judges: (epoch: bigint, deviceId: Hex) => judgesOf(id, epoch, deviceId),
          };
        }),
        signer: signerFromPeerKey(peerKey),
        observer: account.address,
      },
      {
        logger,
        metrics,
        p2p: config.cre ? tapFraudEvidence(p2p, onFraudEvidence) : p2p,
        onVerdict: (networkId, epoch, v) =>
          journal.verdict(networkId, epoch, {
            deviceId: bytesToHex(v.deviceId),
            kind: v.type,
            outcome: v.status,
            challengeId: bytesToHex(v.challengeId),
            ...(v.status === "fraud" ? { evidenceHash: bytesToHex(v.evidenceHash) } : {}),
          }),
        onEvidence: keepEvidence,
      },
    );
    closers.push({ name: "intake", close: () => intake.stop() });

    const verifyFraud = createFraudVerifier(new Set(config.networks), keepEvidence);
    // Gossip for other networks, for epochs off this node's clock, or naming another signer than its
    // sender's registered one is never stored.
    const agreement = createAgreement(
      { ...options.agreement, networks: config.networks },
      {
        p2p,
        store,
        logger,
        account,
        verifyFraud,
        metrics: metrics.registry,
        currentEpoch: (networkId) => currentEpoch(networkOf(networkId)),
        signerOf: (peerId) => chainView.signerOf(peerId),
      },
    );
    closers.push({ name: "agreement", close: () => agreement.stop() });
    // Oracle slashing: each result-vote equivocation the agreement recorded goes to the settlement
    // contract once, sent by one node only (the reporter picks the sender; it never throws).
    const equivocationReporter = createEquivocationReporter({
      client,
      account,
      settlement,
      activeOracles: () => chainView.activeSigners(),
      logger,
    });

    // The result function's inputs come from the registry pinned at the last block before the
    // epoch's end, never from this node's latest refresh: nodes that refreshed on either side of a
    // mid-epoch slash would otherwise compute different results from the same observations.
    // Settled roots of the uptime SLA's window (final once settled): read once per process.
    const settledRoots = new Map<string, Hex>();
    // Backfill is built after the agreement: the history read asks it for what this node lacks.
    let fetchMissing: (networkId: bigint, epochs: readonly bigint[]) => void = () => {};
    const epochContext = async (
      networkId: bigint,
      epoch: bigint,
      opts: { uptime: boolean } = { uptime: true },
    ): Promise<EpochContext> => {
      const n = networkOf(networkId);
      const state = await readEpochState(client, registry, networkId, {
        startTime: n.genesisTime + epoch * BigInt(n.epochLength),
        endTime: epochEnd(n, epoch),
      });
      // The uptime SLA's history: this node's stored lines of the window's settled epochs, each
      // checked against the settled root. Missing ones are fetched; until then this node sits the
      // epoch out (its peers need nothing from it to agree).
      const window = opts.uptime
        ? await readUptimeWindow(client, settlement, networkId, epoch, state.blockNumber, settledRoots)
        : null;
      let uptime: EpochContext["uptime"];
      if (window) {
        try {
          uptime = { sla: window.sla, history: uptimeHistory(store, networkId, window) };
        } catch (err) {
          const missing = (err as { context?: { missing?: bigint[] } }).context?.missing;
          if (missing) fetchMissing(networkId, missing);
          throw err;
        }
      }
      return {
        ...(uptime && { uptime }),
        networkId,
        epoch,
        chainId: config.chain.chainId,
        settlement,
        budget: await readEpochEmission(client, settlement, networkId, epoch, state.blockNumber),
        k: state.k,
        oracles: state.operators.flatMap((o) => (o.peerId ? [{ signer: o.signer, peerId: o.peerId }] : [])),
        devices: state.devices.map((d) => ({
          deviceId: d.deviceId.toLowerCase() as Hex,
          owner: d.owner,
          stake: d.stake,
          slashedInEpoch: d.slashedInEpoch,
        })),
        // The pinned read resolves before the beacon is read from the snapshot.
        assignment: await pinnedAssignment(networkId, epoch, false),
        beacon: snapshotOf(networkId, epoch).beacon,
      };
    };

    // Epoch clock: close each epoch once, at its end plus the grace for late gossip.
    const nextToClose = new Map<bigint, bigint>();
    const running = new Map<string, Promise<EpochCertificate>>();
    const closeEpoch = (networkId: bigint, epoch?: bigint): Promise<EpochCertificate> => {
      const n = networkOf(networkId);
      const e = epoch ?? currentEpoch(n);
      const key = `${networkId}:${e}`;
      const existing = running.get(key);
      if (existing) return existing;
      if ((nextToClose.get(networkId) ?? 0n) <= e) nextToClose.set(networkId, e + 1n);
      const own = intake.closeEpoch(networkId, e);
      metrics.epochCloses.inc({ network: String(networkId) });
      log.info({ networkId, epoch: e, devices: own.devices.length }, "epoch closed; running agreement");
      options.onObservation?.(own);
      // The context is read once the epoch has ended; one RPC outage must not lose the epoch (the
      // other nodes go on, and this one joins their agreement late): retry for about half a minute.
      const run = withRetry(() => epochContext(networkId, e), {
        attempts: 6,
        baseDelayMs: 1_000,
        onRetry: (err, attempt) => {
          if (closing) return false;
          // No uptime history yet: backfill is fetching it (often longer than these retries), and the
          // backfill driver waits for this epoch's agreement to end before it fills anything after
          // it. Retrying for half a minute per epoch starved the driver (seen: a node restarted on
          // an empty disk never filled its missed epochs). Sit the epoch out at once instead.
          if ((err as { code?: string }).code === "AGREEMENT_HISTORY_MISSING") {
            log.info(
              { networkId, epoch: e, err },
              "sitting this epoch out: its uptime history is being filled in",
            );
            return false;
          }
          log.warn({ err, networkId, epoch: e, attempt }, "reading the epoch's chain state failed; retrying");
        },
      })
        .then((ctx) => agreement.runEpoch(ctx, own))
        .then((certificate) => {
          log.info(
            {
              networkId,
              epoch: e,
              resultRoot: certificate.result.resultRoot,
              votes: certificate.votes.length,
            },
            "epoch result certified",
          );
          options.onCertificate?.(certificate);
          settlementMonitor.certified(networkId, e);
          return certificate;
        });
      running.set(key, run);
      // One chain, caught first: a `finally` on `run` itself would re-reject, unhandled, and kill the
      // node when an agreement fails (e.g. AGREEMENT_STOPPED at shutdown).
      run
        .catch((err: unknown) => {
          // Shutdown stops the running epoch: expected, not an error.
          if (closing && (err as { code?: string }).code === "AGREEMENT_STOPPED")
            log.info({ networkId, epoch: e }, "agreement stopped by shutdown");
          else log.error({ err, networkId, epoch: e }, "agreement failed");
        })
        .finally(() => {
          for (const ev of agreement.equivocations({ networkId, epoch: e }))
            void equivocationReporter.report(ev);
          // Keep the last few so a repeated close returns the same certificate.
          if (running.size > 16) running.delete(running.keys().next().value as string);
        });
      return run;
    };
    for (const id of config.networks) nextToClose.set(id, currentEpoch(networkOf(id)));
    const clock = setInterval(() => {
      const nowMs = BigInt(Date.now());
      for (const id of config.networks) {
        const n = chainView.network(id);
        const e = nextToClose.get(id);
        if (!n || e === undefined) continue;
        settlementMonitor.tick(id);
        // Snapshot the running epoch's assignment as it starts and pin its beacon.
        if (chainView.settlement(id)) {
          const current = currentEpoch(n);
          assignedToMe(id, current);
          if (!snapshotOf(id, current).pin)
            pinnedAssignment(id, current).catch((err: unknown) =>
              log.warn({ err, networkId: id, epoch: current }, "pinning the epoch's beacon failed"),
            );
        }
        if (nowMs >= epochEnd(n, e) * 1000n + BigInt(config.epoch.closeGraceMs))
          closeEpoch(id, e).catch(() => {
            // Logged above; the next epoch still closes on time.
          });
      }
    }, 250);
    clock.unref();
    closers.push({ name: "epoch clock", close: () => clearInterval(clock) });

    // Epochs this node missed (it was down while the others certified and settled them) are filled
    // in from its peers, each checked against the root the chain settled: at start for the last
    // settled epochs, then whenever the chain settles one this node holds no certified result for.
    const backfill = await createBackfill({
      p2p,
      store,
      // Without the SLA's history: a settled epoch's rewards are proven by its root (createBackfill).
      epochContext: (networkId, epoch) => epochContext(networkId, epoch, { uptime: false }),
      verifyFraud,
      isOracle: (peerId) => chainView.allowList.has(peerId),
      logger,
      metrics: metrics.registry,
    });
    const backfillDriver = createBackfillDriver({
      backfill,
      store,
      client,
      settlement,
      agreement: (networkId, epoch) =>
        epoch >= (nextToClose.get(networkId) ?? 0n) ? "pending" : running.get(`${networkId}:${epoch}`),
      logger,
    });
    fetchMissing = (networkId, epochs) => {
      for (const e of epochs) backfillDriver.fill(networkId, e);
    };
    closers.push({
      name: "backfill",
      close: async () => {
        backfillDriver.stop();
        await backfill.stop();
      },
    });
    for (const id of config.networks) {
      const unsubscribe = verdicts.subscribe(id, (event) => {
        if (event.type === "settled") backfillDriver.settled(event.networkId, event.epoch);
      });
      closers.push({ name: "backfill trigger", close: unsubscribe });
      const { lastSettledEpoch } = await getSettlementState(client, settlement, id);
      if (lastSettledEpoch !== null) backfillDriver.catchUp(id, lastSettledEpoch);
    }

    const assignment = async (q: {
      networkId: bigint;
      epoch?: bigint;
      deviceId?: Hex;
    }): Promise<AssignmentView> => {
      const n = chainView.network(q.networkId);
      if (!n) throw new ApiError(404, "NOT_FOUND", `this node does not serve network ${q.networkId}`);
      const epoch = q.epoch ?? currentEpoch(n);
      // The epoch's own snapshot when this node holds one (what its intake and agreement use);
      // otherwise computed now from the latest registry and beacon.
      const snap = assignments.get(`${q.networkId}:${epoch}`);
      const beacon = snap?.beacon ?? (await getSettlementState(client, settlement, q.networkId)).beacon;
      const nodes = snap?.nodes ?? activeSigners();
      const deviceIds = q.deviceId
        ? [q.deviceId]
        : (snap?.deviceIds ?? chainView.devices(q.networkId).map((d) => d.deviceId));
      const assigned = snap && !q.deviceId ? snap.map : assign(q.networkId, beacon, nodes, deviceIds);
      return {
        networkId: q.networkId,
        epoch,
        beacon,
        k: n.k,
        nodes,
        devices: deviceIds.map((deviceId) => ({ deviceId, nodes: assigned.get(deviceId) ?? [] })),
      };
    };

    const status = async (): Promise<NodeStatus> => ({
      peerId: p2p.peerId,
      signer: account.address,
      version: NODE_VERSION,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      chain: { chainId: config.chain.chainId, head: chainView.head() },
      networks: await Promise.all(
        chainView.networks().map(async (n) => {
          const s = await getSettlementState(client, settlement, n.networkId);
          return {
            networkId: n.networkId,
            epoch: currentEpoch(n),
            assignedDevices: (await assignment({ networkId: n.networkId })).devices.filter((d) =>
              d.nodes.includes(account.address),
            ).length,
            lastSettledEpoch: s.lastSettledEpoch,
            settlement: settlementMonitor.state(n.networkId),
          };
        }),
      ),
      peers: p2p.peers().length,
      cre: cre?.don
        ? {
            donId: cre.don.donId,
            configVersion: cre.don.configVersion,
            f: cre.don.f,
            members: cre.don.members,
            workflows: [cre.workflows.epochSettlement, cre.workflows.fraudSlashing],
          }
        : null,
    });

    const feed = createFeedApp(
      createStoreFeedSource(store, {
        isSettled: (n, e) => settled.has(`${n}:${e}`),
        verdicts: journal,
        networks: config.networks,
      }),
    );
    const listenerModules = {
      logger,
      metrics,
      readiness: async () => ({
        chain: chainView.chainOk(),
        registered: chainView.allowList.has(p2p.peerId),
        peers: p2p.peers().length > 0,
      }),
    };
    const adminApp = createAdminApp({
      ...listenerModules,
      adminToken: config.api.adminToken,
      status,
      peers: () => p2p.peers(),
      closeEpoch: options.devnet
        ? async (networkId) => {
            const epoch = currentEpoch(networkOf(networkId));
            // Starts agreement and answers at once; the result shows in the feed when certified.
            closeEpoch(networkId, epoch).catch(() => {});
            return { epoch };
          }
        : undefined,
      fraudSlash: config.cre
        ? async (networkId, evidence) => {
            if (!cre?.member)
              throw new ApiError(503, "NOT_READY", "the CRE host is not running (see the node's log)");
            if (!chainView.network(networkId))
              throw new ApiError(404, "NOT_FOUND", `this node does not serve network ${networkId}`);
            const outcome = await fraudSlash(cre, networkId, evidence);
            return {
              ok: outcome.ok,
              executionId: outcome.executionId,
              result: outcome.value,
              error: outcome.error,
            };
          }
        : undefined,
    });
    // Devices ask the device gateway too (`<gateway URL>/v1/gateways`): their `nodes` are bootstraps.
    const gatewayMounts = [
      ...intake.mounts,
      ...intake.mounts.map((m) => ({ path: m.path, app: gatewayAnnouncer.app })),
    ];
    // Without a port of its own (`[gateway]`), the device gateway stays on the feed API's listener.
    const app = createApiApp({
      ...listenerModules,
      assignment,
      mounts: [
        ...(config.gateway ? [] : gatewayMounts),
        { path: "/", app: feed as unknown as Hono },
        { path: "/", app: gatewayAnnouncer.app },
        ...(options.mounts ?? []),
      ],
    });
    const logTls = (listener: string, tls: TlsCredentials | undefined) => {
      if (!tls) return;
      const tlsInfo = { listener, subject: tls.subject, validTo: tls.validTo.toISOString() };
      if (tls.validTo.getTime() < Date.now())
        log.warn(tlsInfo, `the ${listener}'s TLS certificate has expired`);
      else log.info(tlsInfo, `${listener} serves TLS`);
    };
    const api = await serveApi(app, {
      name: "api",
      host: config.api.host,
      port: config.api.port,
      tls: apiTls,
    });
    closers.push({ name: "api", close: () => api.close() });
    log.info({ url: api.url }, "API listening");
    logTls("API", apiTls);
    let gateway = api;
    if (config.gateway) {
      const gatewayApp = createGatewayApp({ ...listenerModules, mounts: gatewayMounts });
      const own = await serveApi(gatewayApp, { name: "gateway", ...config.gateway, tls: gatewayTls });
      closers.push({ name: "gateway", close: () => own.close() });
      gateway = own;
      logTls("device gateway", gatewayTls);
    }
    log.info({ url: gateway.url, shared: !config.gateway }, "device gateway listening");
    const announced = gatewayPublicUrls({
      publicUrl: config.gatewayPublicUrl,
      listenerHost: config.gateway?.host ?? config.api.host,
      listenerUrl: gateway.url,
    });
    if ("why" in announced) log.warn({}, `devices cannot discover this node: ${announced.why}`);
    else gatewayAnnouncer.start(announced.urls);
    const admin = await serveApi(adminApp, {
      name: "admin",
      host: config.admin.host,
      port: config.admin.port,
    });
    closers.push({ name: "admin", close: () => admin.close() });
    log.info({ url: admin.url }, "admin listening");
    if (!isLoopback(config.admin.host))
      log.warn(
        { host: config.admin.host },
        "the admin listener is not on loopback: its bearer token and metrics travel in plain HTTP; keep it on a private network",
      );

    // After the API: the settlement workflow reads agreed results from it. Closed before p2p (closers
    // run in reverse), so no consensus round is left talking to a stopped gossip layer.
    if (config.cre) {
      const creConfig = config.cre;
      cre = await startCreSettlement(
        {
          cre: config.cre,
          networks: config.networks,
          chain: {
            chainId: config.chain.chainId,
            rpcUrl: config.chain.rpcUrls.find((u) => u.startsWith("http")) ?? config.chain.rpcUrls[0]!,
            forwarder: config.chain.addresses.forwarder,
            settlement,
          },
          account,
          apiUrl: api.url,
          // Over TLS the workflows read this node's API in-process (its certificate need not name 127.0.0.1).
          ...(apiTls && { apiFetch: inProcessFetch(api.url, app) }),
          // Followed live with the forwarder's ConfigSet: an operator joining or exiting changes the DON.
          operators: () => chainView.operators(),
          pollingIntervalMs: options.pollingIntervalMs,
          donPollMs: options.registryPollMs,
        },
        { client, p2p, logger, metrics: metrics.registry },
      ).catch((err: unknown) => {
        // Turned on by the deployment file alone, a CRE problem (e.g. an unregistered DON member)
        // must not stop the node from verifying devices; with `cre.enabled = true` it does.
        if (creConfig.required) throw err;
        log.error({ err }, "CRE host not started: this node will not settle on chain");
        return undefined;
      });
      const started = cre;
      if (started) closers.push({ name: "cre", close: () => started.stop() });
    }

    return {
      config,
      logger,
      metrics,
      signer: account.address,
      peerId: p2p.peerId,
      p2p,
      store,
      intake,
      agreement,
      api,
      gateway,
      admin,
      cre,
      closeEpoch,
      networks: () => chainView.networks(),
      operators: () => [...chainView.operators()],
      refresh: () => chainView.resync(),
      close: () => {
        closing ??= closeAll(closers, log);
        return closing;
      },
    };
  } catch (error) {
    await closeAll(closers, log);
    throw error;
  }
}

/** Closes modules in reverse start order; one failing does not stop the others from closing. */
async function closeAll(closers: { name: string; close: () => unknown }[], log: Logger): Promise<void> {
  for (const { name, close } of closers.splice(0).reverse()) {
    try {
      await close();
      log.debug({ module: name }, "closed");
    } catch (err) {
      log.error({ err, module: name }, "close failed");
    }
  }
  log.info("node stopped");
}

/** Whether a listen address is only reachable from this host. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
