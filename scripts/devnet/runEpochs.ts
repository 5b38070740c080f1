import { setTimeout as sleep } from "node:timers/promises";
import type { Address, Hash } from "viem";
import type { FleetDeviceInfo } from "../../attestation/agent/index";
import { type Deployment, type DeviceLine, vigilRegistryAbi, vigilSettlementAbi } from "../../contracts";
import { createFeedClient, type VerifiedDeviceLine } from "../../oracle-node/feed/client/index";
import { readReportSignatures } from "./checks/reportSignatures";
import { checkRewardFormula } from "./checks/rewardFormula";
import type { ChainClients } from "./clients";
import { readAppliedSlashes, waitForEpochSettled } from "./epochs/waitForEpochSettled";
import { DevnetError } from "./errors";
import type { EventLog } from "./events";
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
}

/** What the devnet learnt about one settled epoch; the e2e test checks these. */
export interface EpochRecord {
  epoch: bigint;
  txHash: Hash;
  signers: Address[];
  lines: DeviceLine[];
  slashes: Awaited<ReturnType<typeof readAppliedSlashes>>;
}

/** Reasons of `DeviceSlash.reason` as the attestation library numbers them (unknown: the number). */
const reasonName = (reason: number) => `reason-${reason}`;

/**
 * Follows the epochs the oracle nodes settle: waits for each `EpochSettled`, checks the report's
 * signatures, reads every device's line from the nodes' feed (proof checked against the settled
 * root), checks the reward formula, claims the rewards, and logs one `epoch` event per epoch.
 */
export async function runEpochs(m: RunEpochsModules): Promise<DevnetSummary> {
  const { options, log, home, deployment, networkId } = m;
  const settlement = deployment.settlement as Address;
  const strategyOf = new Map(m.fleet.map((d) => [d.deviceIdHex.toLowerCase(), d.strategy]));
  const registered = m.fleet.filter((d) => d.registered);
  const signers = new Set(m.nodes.map((n) => n.keys.signer.toLowerCase()));
  const feed = createFeedClient({
    nodes: m.nodes.map((n) => n.apiUrl),
    chainId: home.chain.id,
    settlement,
    signers: m.nodes.map((n) => n.keys.signer),
    publicClient: home.public,
  });
  const first = await home.public.readContract({
    address: settlement,
    abi: vigilSettlementAbi,
    functionName: "nextEpoch",
    args: [networkId],
  });
  const last = options.epochs === undefined ? undefined : first + BigInt(options.epochs);
  log.emit({
    type: "stage",
    stage: "epochs",
    status: "starting",
    detail: `epochs ${first}..${last === undefined ? "∞" : last - 1n} of ${options.epochSeconds} s`,
  });
  // An epoch settles after it ends plus the nodes' close grace and a CRE round; 3 epochs is generous.
  const timeoutMs = options.epochSeconds * 3_000 + 60_000;
  for (let epoch = first; last === undefined || epoch < last; epoch++) {
    let settled: Awaited<ReturnType<typeof waitForEpochSettled>>;
    try {
      settled = await waitForEpochSettled(home.public, settlement, networkId, epoch, {
        timeoutMs,
        signal: m.signal,
      });
    } catch (error) {
      if (m.signal.aborted) break;
      const reason = `epoch ${epoch} was not settled within ${timeoutMs / 1000} s (see .vigil/devnet/logs/node-*.log)`;
      log.emit({ type: "stage", stage: "epochs", status: "failed", detail: reason });
      throw new DevnetError("CHECK_FAILED", reason, { epoch: String(epoch) }, { cause: error });
    }

    const { signers: reportSigners } = await readReportSignatures(home.public, settled.txHash);
    const distinct = new Set(reportSigners.map((s) => s.toLowerCase()));
    if (
      reportSigners.length !== m.f + 1 ||
      distinct.size !== reportSigners.length ||
      [...distinct].some((s) => !signers.has(s))
    ) {
      log.emit({
        type: "log",
        level: "error",
        message: `epoch ${epoch}: report carried ${reportSigners.length} signatures (${distinct.size} distinct registered), expected f + 1 = ${m.f + 1}`,
      });
    }

    const slashes = await readAppliedSlashes(home.public, settlement, networkId, epoch);
    const slashedCount: Record<string, number> = {};
    for (const s of slashes) {
      const strategy = strategyOf.get(s.deviceId.toLowerCase()) ?? "unknown";
      const reason = reasonName(s.reason);
      slashedCount[reason] = (slashedCount[reason] ?? 0) + 1;
      log.emit({
        type: "slash",
        epoch: Number(epoch),
        deviceId: s.deviceId,
        reason,
        amount: String(s.amount),
        evidenceHash: s.evidenceHash,
        honest: strategy === "honest",
      });
    }

    const lines: VerifiedDeviceLine[] = [];
    for (const d of registered) {
      const line = await feed
        .getDeviceLine(networkId, epoch, d.deviceIdHex, { onChain: true })
        .catch(() => undefined);
      if (line) lines.push(line);
    }
    for (const { line } of lines) {
      log.emit({
        type: "uptime",
        epoch: Number(epoch),
        deviceId: line.deviceId,
        uptimeBps: line.uptimeBps,
        work: String(line.work),
      });
    }
    const mismatches = checkRewardFormula(
      settled.totalReward === 0n ? 0n : await budgetPerEpoch(home, deployment, networkId),
      lines.map((l) => l.line),
    );
    if (mismatches.length) {
      log.emit({
        type: "log",
        level: "error",
        message: `epoch ${epoch}: ${mismatches.length} rewards differ from the formula (first ${mismatches[0]!.deviceId})`,
      });
    }

    let rewarded = 0;
    for (const { line, proof } of lines) {
      if (line.reward === 0n) continue;
      rewarded++;
      const hash = await home.wallet.writeContract({
        address: settlement,
        abi: vigilSettlementAbi,
        functionName: "claim",
        args: [networkId, epoch, line, proof],
      });
      log.emit({
        type: "reward",
        epoch: Number(epoch),
        deviceId: line.deviceId,
        amount: String(line.reward),
        claimTx: hash,
      });
    }

    log.emit({
      type: "epoch",
      epoch: Number(epoch),
      verified: lines.filter((l) => l.line.uptimeBps > 0).length,
      rewarded,
      slashed: slashedCount,
      rejected: registered.length - lines.length + (m.fleet.length - registered.length),
      resultRoot: settled.resultRoot,
      settlementTx: settled.txHash,
      signatures: reportSigners.length,
      totalReward: String(settled.totalReward),
      bridged: "0",
    });
    if (m.signal.aborted) break;
  }
  await sleep(0);
  return summarize(log.all(), null);
}

async function budgetPerEpoch(
  home: ChainClients,
  deployment: Deployment,
  networkId: bigint,
): Promise<bigint> {
  const [, , , budget] = await home.public.readContract({
    address: deployment.registry as Address,
    abi: vigilRegistryAbi,
    functionName: "epochParams",
    args: [networkId],
  });
  return budget;
}
