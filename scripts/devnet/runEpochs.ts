import { setTimeout as sleep } from "node:timers/promises";
import { type Address, encodeAbiParameters, erc20Abi, type Hash, type Hex } from "viem";
import type { FleetDeviceInfo } from "../../attestation/agent/index";
import { type EpochScoreboard, scoreEpoch, scoreRun } from "../../attestation/fleet/scoreboard";
import { STRATEGY_INFO } from "../../attestation/fleet/strategies";
import { FraudReason } from "../../attestation/index";
import { type Deployment, type DeviceLine, vigilSettlementAbi } from "../../contracts";
import {
  createFeedClient,
  type FeedClient,
  type OfflineEpochResult,
  type VerifiedDeviceLine,
} from "../../oracle-node/feed/client/index";
import { assertLinesRead, type LineRead } from "./checks/assertLinesRead";
import { assertRewardFormula } from "./checks/assertRewardFormula";
import { assertSettledRoot } from "./checks/assertSettledRoot";
import { assertSignerQuorum } from "./checks/assertSignerQuorum";
import { enforceCheck } from "./checks/enforceCheck";
import { epochRewardInputs } from "./checks/epochRewardInputs";
import { readReportSignatures } from "./checks/reportSignatures";
import type { ChainClients } from "./clients";
import { devnetClients } from "./clients";
import { type EpochEconomics, readEpochEconomics } from "./epochs/readEpochEconomics";
import { readAppliedSlashes, type SettledEpoch, waitForEpochSettled } from "./epochs/waitForEpochSettled";
import { DevnetError } from "./errors";
import type { EventLog } from "./events";
import { type DevnetLane, REMOTE_SELECTOR } from "./lane";
import type { DevnetNode } from "./nodes";
import type { DevnetOptions } from "./options";
import { type DevnetSummary, summarize } from "./summary";

export interface RunEpochsModules {
  options: DevnetOptions;
  log: EventLog;
  home: ChainClients;
  deployment: Deployment;
  networkId: bigint;
  fleet: readonly FleetDeviceInfo[];
  nodes: readonly DevnetNode[];
  f: number;
  signal: AbortSignal;
  /** The CCIP lane to the remote chain; without it every reward is claimed on the home chain. */
  lane?: DevnetLane;
  remote: ChainClients;
  /** Private key of the owner of fleet device `index` (claim-and-bridge is line-owner only). */
  ownerKey: (index: number) => Hex;
  /** Unix seconds at which the nodes' epoch 0 begins. */
  genesisTime: number;
  /**
   * Unix seconds from which the fleet runs: epochs that began earlier, and the first after, are
   * warm-up epochs, settled and checked but not scored; `options.epochs` counts the scored ones.
   */
  scoredFrom: number;
}

/** Every fourth device claims its reward to the remote chain; the rest claim at home. */
export const bridges = (index: number) => index % 4 === 1;

/** What the devnet learnt about one settled epoch; the e2e test checks these. */
export interface EpochRecord {
  epoch: bigint;
  txHash: Hash;
  signers: Address[];
  lines: DeviceLine[];
  slashes: Awaited<ReturnType<typeof readAppliedSlashes>>;
}

/** Reasons of `DeviceSlash.reason` as the attestation library numbers them (unknown: the number). */
const reasonName = (reason: number) =>
  Object.entries(FraudReason).find(([, code]) => code === reason)?.[0] ?? `reason-${reason}`;

/** Polls the nodes' feed until an epoch's result carries f + 1 verified votes. */
async function waitForAgreedResult(
  feed: FeedClient,
  networkId: bigint,
  epoch: bigint,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<OfflineEpochResult> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    try {
      return await feed.getEpochResult(networkId, epoch);
    } catch (error) {
      lastError = error;
    }
    await sleep(250);
  }
  throw lastError ?? new Error("timed out");
}

/**
 * Follows the epochs the oracle nodes settle: waits for each `EpochSettled`, checks the settled root
 * and the report's signatures, reads every registered device's line from the nodes' feed (proof
 * checked against the settled root), checks the reward formula against the registry's budget, claims
 * the rewards, and logs one `epoch` event per epoch. A failed check ends the run with `CHECK_FAILED`.
 */
export async function runEpochs(m: RunEpochsModules): Promise<DevnetSummary> {
  const { options, log, home, deployment, networkId } = m;
  const settlement = deployment.settlement as Address;
  const strategyOf = new Map(m.fleet.map((d) => [d.deviceIdHex.toLowerCase(), d.strategy]));
  const registered = m.fleet.filter((d) => d.registered);
  const signers = m.nodes.map((n) => n.keys.signer);
  const feed = createFeedClient({
    nodes: m.nodes.map((n) => n.apiUrl),
    chainId: home.chain.id,
    settlement,
    signers,
    publicClient: home.public,
  });
  const first = await home.public.readContract({
    address: settlement,
    abi: vigilSettlementAbi,
    functionName: "nextEpoch",
    args: [networkId],
  });
  const supplyBefore = await totalSupply(m);
  const epochStart = (e: bigint) => m.genesisTime + Number(e) * options.epochSeconds;
  // Warm-up: the epochs that began before the fleet ran, and the first one after, during which every
  // node closes, agrees on and settles its first epoch (one-time CRE workflow bundling, first
  // agreement): on 2 cores that stalled device answers for ~15 s (measured 13:32:13-30 in a run of
  // 80 devices, where the epochs after it paid 61 of 61 honest devices).
  let firstScored = first;
  while (epochStart(firstScored) < m.scoredFrom) firstScored++;
  firstScored++;
  const last = options.epochs === undefined ? undefined : firstScored + BigInt(options.epochs);
  log.emit({
    type: "stage",
    stage: "epochs",
    status: "starting",
    detail: `epochs ${first}..${last === undefined ? "∞" : last - 1n} of ${options.epochSeconds} s`,
  });
  // Agreement follows an epoch's end by the close grace plus a few gossip rounds; settlement by a CRE
  // round more. Two epochs plus 30 s is generous on 2 busy cores.
  const agreeTimeoutMs = options.epochSeconds * 1_000 + 30_000;
  const settleTimeoutMs = options.epochSeconds * 1_000 + 30_000;
  let settlementBroken: string | undefined;
  // Burned by verification fees over the run, from the settlements' `FeeCharged` logs.
  let burned = 0n;
  const boards: EpochScoreboard[] = [];
  const slashedBefore = new Set<string>();
  const scored = m.fleet.map((d) => ({ deviceId: d.deviceIdHex, strategy: d.strategy, owner: d.ownerHex }));
  const sybilFarmSize = m.fleet.filter((d) => d.strategy === "sybilFarm").length || 1;
  // Each epoch's lines as read and proven above, kept for the uptime SLA's history (bounded: the
  // longest window the contract allows is 900 epochs; older ones are dropped).
  const verifiedLines = new Map<bigint, DeviceLine[]>();
  const readVerifiedLines = async (e: bigint): Promise<DeviceLine[]> => {
    const out: DeviceLine[] = [];
    for (const d of registered) {
      const v = await feed.getDeviceLine(networkId, e, d.deviceIdHex, { onChain: true });
      out.push(v.line);
    }
    verifiedLines.set(e, out);
    return out;
  };
  let fullWindows = 0;
  let bonusedTotal = 0;
  for (let epoch = first; last === undefined || epoch < last; epoch++) {
    let result: OfflineEpochResult;
    try {
      // Counted from the epoch's end (nodes' genesis + (e + 1) * length), not from now.
      const epochEndMs = (m.genesisTime + (Number(epoch) + 1) * options.epochSeconds) * 1000;
      const waitMs = Math.max(0, epochEndMs - Date.now()) + agreeTimeoutMs;
      result = await waitForAgreedResult(feed, networkId, epoch, waitMs, m.signal);
    } catch (error) {
      if (m.signal.aborted) break;
      const reason = `epoch ${epoch}: no result certified by f + 1 nodes within ${agreeTimeoutMs / 1000} s of its end (see .vigil/devnet/logs/node-*.log)`;
      log.emit({ type: "stage", stage: "epochs", status: "failed", detail: reason });
      throw new DevnetError("CHECK_FAILED", reason, { epoch: String(epoch) }, { cause: error });
    }

    let settled: SettledEpoch | undefined;
    if (!settlementBroken) {
      try {
        settled = await waitForEpochSettled(home.public, settlement, networkId, epoch, {
          timeoutMs: settleTimeoutMs,
          signal: m.signal,
        });
      } catch (error) {
        if (m.signal.aborted) break;
        if (!(error instanceof DevnetError && error.code === "NOT_SETTLED")) throw error;
        // Epochs settle in order: once one is missing, none after it can settle either.
        settlementBroken = `epoch ${epoch} was agreed by the nodes (root ${result.resultRoot.slice(0, 10)}…) but not settled on chain within ${settleTimeoutMs / 1000} s`;
        log.emit({ type: "stage", stage: "settlement", status: "failed", detail: settlementBroken });
      }
    }

    let reportSigners: Address[] = [];
    let economics: EpochEconomics | undefined;
    if (settled) {
      const onChain = settled;
      await enforceCheck(log, () => assertSettledRoot(epoch, onChain.resultRoot, result.resultRoot));
      reportSigners = (await readReportSignatures(home.public, onChain.txHash)).signers;
      await enforceCheck(log, () => assertSignerQuorum(epoch, reportSigners, signers, m.f));
      economics = await enforceCheck(log, () => readEpochEconomics(home.public, settlement, onChain));
      burned += economics.burned;
    }

    const slashes = settled
      ? await readAppliedSlashes(home.public, settlement, networkId, epoch)
      : result.unverified.slashes.map((x) => ({ ...x, epoch, txHash: undefined }));
    const slashedCount: Record<string, number> = {};
    const counted = new Set<string>();
    for (const s of slashes) {
      const strategy = strategyOf.get(s.deviceId.toLowerCase()) ?? "unknown";
      const reason = reasonName(s.reason);
      // The fraud-slashing workflow applies each piece of evidence on its own: count devices, not slashes.
      if (!counted.has(s.deviceId)) slashedCount[reason] = (slashedCount[reason] ?? 0) + 1;
      counted.add(s.deviceId);
      log.emit({
        type: "slash",
        epoch: Number(epoch),
        deviceId: s.deviceId,
        reason,
        amount: String(s.amount),
        evidenceHash: s.evidenceHash,
        honest: strategy !== "unknown" && STRATEGY_INFO[strategy].honest,
        onChain: settled !== undefined,
      });
    }

    // One at a time: 200 devices' proofs (and on-chain `verifyLine` calls) at once would crowd out the
    // nodes on 2 cores. A failed read is kept, not dropped: the check below fails the epoch with it.
    const reads: LineRead[] = [];
    for (const d of registered) {
      const read = await feed
        .getDeviceLine(networkId, epoch, d.deviceIdHex, { onChain: settled !== undefined })
        .then(
          (value): PromiseSettledResult<VerifiedDeviceLine> => ({ status: "fulfilled", value }),
          (reason: unknown): PromiseSettledResult<VerifiedDeviceLine> => ({ status: "rejected", reason }),
        );
      reads.push({ deviceId: d.deviceIdHex, read });
    }
    const lines = await enforceCheck(log, () => assertLinesRead(epoch, reads));
    for (const { line } of lines) {
      log.emit({
        type: "uptime",
        epoch: Number(epoch),
        deviceId: line.deviceId,
        uptimeBps: line.uptimeBps,
        work: String(line.work),
        reward: String(line.reward),
      });
    }
    const startTime = BigInt(m.genesisTime + Number(epoch) * options.epochSeconds);
    verifiedLines.set(
      epoch,
      lines.map((l) => l.line),
    );
    for (const e of verifiedLines.keys()) if (e + 1_000n < epoch) verifiedLines.delete(e);
    const { budget, unstaked, uptime } = await epochRewardInputs(
      home.public,
      { registry: deployment.registry as Address, settlement: deployment.settlement as Address },
      networkId,
      epoch,
      { startTime, endTime: startTime + BigInt(options.epochSeconds) },
    );
    // The SLA's history: this run's own verified lines of the window's settled epochs (each proven
    // against its settled root when read), fetched now for an epoch this run did not follow.
    const slaInputs = uptime
      ? {
          sla: uptime.sla,
          history: await Promise.all(
            uptime.epochs.map(async ({ epoch: e }) => verifiedLines.get(e) ?? (await readVerifiedLines(e))),
          ),
        }
      : undefined;
    const slaSummary = await enforceCheck(log, () =>
      assertRewardFormula(
        epoch,
        budget,
        lines.map((l) => l.line),
        unstaked,
        slaInputs,
      ),
    );
    // A full window existed: honest devices at 100% uptime had every chance to earn the bonus.
    if (uptime && uptime.epochs.length >= uptime.sla.windowEpochs - 1) fullWindows++;
    bonusedTotal += slaSummary.bonused;

    // The verdicts, per strategy, against what each device's real contribution deserves (targets in
    // docs/attestation.md, "Fleet simulator and verdict accuracy"); the run fails on them at its end.
    const board = scoreEpoch({
      epoch,
      budget,
      devices: scored,
      lines: lines.map((l) => l.line),
      unstaked,
      slashedBefore,
      sybilFarmSize,
    });
    const warmUp = epoch < firstScored;
    if (!warmUp) boards.push(board);
    for (const s of slashes) slashedBefore.add(s.deviceId.toLowerCase());

    let rewarded = 0;
    let bridged = 0n;
    const deliveries: Promise<void>[] = [];
    const indexOf = new Map(m.fleet.map((d) => [d.deviceIdHex.toLowerCase(), d.index]));
    for (const { line, proof } of settled ? lines : []) {
      if (line.reward === 0n) continue;
      rewarded++;
      const index = indexOf.get(line.deviceId.toLowerCase())!;
      if (m.lane && bridges(index)) {
        const sent = await claimAndBridge(m, line, proof, index);
        bridged += line.reward;
        log.emit({
          type: "bridge",
          epoch: Number(epoch),
          deviceId: line.deviceId,
          amount: String(line.reward),
          sourceTx: sent.txHash,
          status: "sent",
        });
        deliveries.push(
          waitForDelivery(
            m.remote,
            m.lane.remoteToken,
            line.owner,
            sent.balanceBefore + line.reward,
            60_000,
          ).then(
            (delivered) =>
              void log.emit({
                type: "bridge",
                epoch: Number(epoch),
                deviceId: line.deviceId,
                amount: String(line.reward),
                sourceTx: sent.txHash,
                status: delivered ? "delivered" : "failed",
              }),
          ),
        );
        log.emit({
          type: "reward",
          epoch: Number(epoch),
          deviceId: line.deviceId,
          amount: String(line.reward),
          claimTx: sent.txHash,
        });
        continue;
      }
      // Only a line's owner may claim it (a third party's claim would spend the owner's claimAndCall).
      const owner = devnetClients(
        m.home.chain.id,
        m.home.chain.name,
        m.home.chain.rpcUrls.default.http[0]!,
        m.ownerKey(index),
      );
      const hash = await owner.wallet.writeContract({
        address: settlement,
        abi: vigilSettlementAbi,
        functionName: "claim",
        args: [networkId, epoch, line, proof],
      });
      await home.public.waitForTransactionReceipt({ hash });
      log.emit({
        type: "reward",
        epoch: Number(epoch),
        deviceId: line.deviceId,
        amount: String(line.reward),
        claimTx: hash,
      });
    }
    await Promise.all(deliveries);

    log.emit({
      type: "epoch",
      epoch: Number(epoch),
      verified: lines.filter((l) => l.line.uptimeBps > 0).length,
      rewarded: settled ? rewarded : lines.filter((l) => l.line.reward > 0n).length,
      slashed: slashedCount,
      // Every registered device's line was read (or the epoch failed above): only Sybils are left out.
      rejected: m.fleet.length - registered.length,
      resultRoot: result.resultRoot,
      votes: result.verifiedSigners.length,
      ...(settled ? { settlementTx: settled.txHash, signatures: reportSigners.length } : {}),
      totalReward: String(result.unverified.totalReward),
      ...(economics
        ? {
            economics: {
              emission: String(economics.emission),
              carried: String(economics.carried),
              fee: String(economics.fee),
              burned: String(economics.burned),
              toOperators: String(economics.toOperators),
              toTreasury: String(economics.toTreasury),
              reimbursement: String(economics.reimbursement),
            },
          }
        : {}),
      ...(uptime
        ? {
            uptimeSla: {
              windowEpochs: uptime.sla.windowEpochs,
              bonusThresholdBps: uptime.sla.bonusThresholdBps,
              penaltyThresholdBps: uptime.sla.penaltyThresholdBps,
              historyEpochs: uptime.epochs.length,
              bonused: slaSummary.bonused,
              bonusPaid: String(slaSummary.bonusPaid),
              penalized: slaSummary.penalized,
              withheld: String(slaSummary.withheld),
            },
          }
        : {}),
      bridged: String(bridged),
      rewardMismatches: 0,
      scoreboard: board.rows,
      ...(warmUp ? { warmUp: true } : {}),
    });
    if (m.signal.aborted) break;
  }
  await sleep(0);
  if (settlementBroken) throw new DevnetError("CHECK_FAILED", settlementBroken);
  if (fullWindows > 0 && bonusedTotal === 0)
    await enforceCheck(log, () => {
      throw new DevnetError(
        "CHECK_FAILED",
        `no device earned the uptime bonus in ${fullWindows} epochs with a full window (honest devices at 100% uptime should)`,
      );
    });
  const missed = scoreRun(boards);
  if (missed.length) {
    await enforceCheck(log, () => {
      throw new DevnetError(
        "CHECK_FAILED",
        `verdict targets missed: ${missed.slice(0, 5).join("; ")}${missed.length > 5 ? ` (and ${missed.length - 5} more)` : ""}`,
      );
    });
  }
  return summarize(log.all(), supplyBefore === undefined ? null : await supplyCheck(m, supplyBefore, burned));
}

/** Reward tokens on both chains together: bridging burns at home and mints remote, so the sum stays. */
async function totalSupply(m: RunEpochsModules): Promise<{ home: bigint; remote: bigint }> {
  const [home, remote] = await Promise.all([
    m.home.public.readContract({
      address: m.deployment.token as Address,
      abi: erc20Abi,
      functionName: "totalSupply",
    }),
    m.lane
      ? m.remote.public.readContract({
          address: m.lane.remoteToken,
          abi: erc20Abi,
          functionName: "totalSupply",
        })
      : Promise.resolve(0n),
  ]);
  return { home, remote };
}

/**
 * Supply across both chains: minted − burned. Bridging burns on one chain and mints on the other, so
 * it moves supply and never changes it; the verification fee's burn (its `FeeCharged` logs) is the
 * only thing that may lower it.
 */
async function supplyCheck(m: RunEpochsModules, before: { home: bigint; remote: bigint }, burned: bigint) {
  const after = await totalSupply(m);
  const delivered = m.log
    .all()
    .filter((e) => e.type === "bridge" && e.status === "delivered")
    .reduce((sum, e) => sum + BigInt(e.type === "bridge" ? e.amount : "0"), 0n);
  return {
    before: String(before.home + before.remote),
    after: String(after.home + after.remote),
    bridgedOut: String(delivered),
    burned: String(burned),
    conserved:
      before.home + before.remote - burned === after.home + after.remote &&
      after.remote - before.remote === delivered,
  };
}

/** The line's owner claims it through the bridge hook, which sends the reward to itself on the remote chain. */
async function claimAndBridge(m: RunEpochsModules, line: DeviceLine, proof: Hex[], index: number) {
  const owner = devnetClients(
    m.home.chain.id,
    m.home.chain.name,
    m.home.chain.rpcUrls.default.http[0]!,
    m.ownerKey(index),
  );
  const balanceBefore = await m.remote.public.readContract({
    address: m.lane!.remoteToken,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [line.owner],
  });
  const data = encodeAbiParameters([{ type: "uint64" }, { type: "address" }], [REMOTE_SELECTOR, line.owner]);
  const call = {
    address: m.deployment.settlement as Address,
    abi: vigilSettlementAbi,
    functionName: "claimAndCall",
    args: [m.networkId, line.epoch, line, proof, m.lane!.hook, data],
  } as const;
  // The estimate is exact for the state it ran on; claims and bridge sends mined in between (the
  // pool's rate-limit bucket, the router's sequence) can make the real run need a little more, and
  // the hook's CCIP send then runs out of gas (seen: 240,189 of 244,960 used, reverted). 25 % headroom.
  const estimate = await m.home.public.estimateContractGas({ ...call, account: owner.wallet.account });
  const txHash = await owner.wallet.writeContract({ ...call, gas: (estimate * 5n) / 4n });
  const receipt = await m.home.public.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== "success") {
    const tx = await m.home.public.getTransaction({ hash: txHash });
    throw new DevnetError(
      "CHECK_FAILED",
      `claimAndCall ${txHash} reverted (gas used ${receipt.gasUsed} of ${tx.gas})`,
    );
  }
  return { txHash, balanceBefore };
}

/** Waits until the relayer delivered: the receiver's remote balance reached `target`. */
async function waitForDelivery(
  remote: ChainClients,
  token: Address,
  receiver: Address,
  target: bigint,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const balance = await remote.public.readContract({
      address: token,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [receiver],
    });
    if (balance >= target) return true;
    await sleep(200);
  }
  return false;
}
