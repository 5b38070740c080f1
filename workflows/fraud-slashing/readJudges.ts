// Who may judge a device in an epoch, read from the chain in DON mode before the nodes verify an
// evidence bundle (docs/contracts.md, "Slashing threat model"). The rule is the nodes' and the device
// agent's: for epoch `e`, starting at `genesisTime + e × epochLength`, the settlement's
// `beacon(networkId)`, the registry's active operators and the network's `k`, all read at the last
// block stamped before the start; the device's judges are the Ed25519 keys in the peer ids of the `k`
// operators `assignedOracles` ranks first. Only the current epoch (by the head's timestamp) and the
// one just closed are open to evidence, as in the settlement contract.
import { blockNumber, type cre, encodeCallMsg, protoBigIntToBigint, type Runtime } from "@chainlink/cre-sdk";
import {
  type Address,
  bytesToHex,
  decodeFunctionResult,
  encodeFunctionData,
  type Hex,
  hexToBytes,
  zeroAddress,
} from "viem";
import { assignedOracles, challengerKeyOfPeerId, decodeMessage } from "../../attestation/portable";
import { genesisBeacon, vigilRegistryAbi, vigilSettlementAbi } from "../../contracts/portable";
import type { Config } from "./config";

type EvmClient = InstanceType<typeof cre.capabilities.EVMClient>;

/**
 * What the DON read for one bundle: the beacon pinned for its epoch and the challenger keys of the
 * oracles assigned to its device, or why no oracle may slash it now. Passed to every node's verifier
 * (`verifyEvidencePortable`'s `judges`), which also refuses a bundle whose epoch or device is not the
 * one read here (the bundle is decoded here unverified).
 */
export type ChainJudges =
  | { epoch: bigint; deviceId: Hex; beacon: Hex; challengers: Hex[]; blockNumber: bigint | null }
  | { rejected: string };

/** `IVigilRegistry.Status.Active`: only active operators take part in the assignment. */
const STATUS_ACTIVE = 1;
/** `getOperators` page size: a few KB of return data per call. */
const OPERATOR_PAGE = 100n;

/** The epoch and device a bundle claims, decoded without checking any signature. */
function subjectOf(
  evidence: Uint8Array,
): { networkId: bigint; epoch: bigint; deviceId: Uint8Array } | string {
  const bundle = decodeMessage(evidence);
  if (!bundle.ok) return `malformed evidence: ${bundle.error.message}`;
  if (bundle.value.kind !== "evidence") return `not an evidence bundle (a ${bundle.value.kind} message)`;
  const challenge = decodeMessage(bundle.value.body.challenge);
  if (!challenge.ok) return `malformed challenge in the evidence: ${challenge.error.message}`;
  if (challenge.value.kind !== "challenge") return "the evidence's challenge slot holds another message";
  return {
    networkId: bundle.value.networkId,
    epoch: bundle.value.epoch,
    deviceId: challenge.value.body.deviceId,
  };
}

/** Reads the judges of the bundle's device in the bundle's epoch (DON mode). */
export function readJudges(runtime: Runtime<Config>, evm: EvmClient, evidence: Uint8Array): ChainJudges {
  const { config } = runtime;
  const networkId = BigInt(config.networkId);
  const subject = subjectOf(evidence);
  if (typeof subject === "string") return { rejected: subject };
  if (subject.networkId !== networkId)
    return {
      rejected: `evidence for network ${subject.networkId}, this workflow slashes network ${networkId}`,
    };
  const { epoch, deviceId } = subject;

  /** An `eth_call` at a block; "0x" when the address has no code there. */
  const call = (to: string, data: Hex, at: bigint): Hex =>
    bytesToHex(
      evm
        .callContract(runtime, {
          call: encodeCallMsg({ from: zeroAddress, to: to as Address, data }),
          blockNumber: blockNumber(at),
        })
        .result().data,
    );
  const headerAt = (n?: bigint) => {
    const h = evm
      .headerByNumber(runtime, n === undefined ? {} : { blockNumber: blockNumber(n) })
      .result().header;
    if (!h?.blockNumber) throw new Error(`the chain returned no header for block ${n ?? "latest"}`);
    return { number: protoBigIntToBigint(h.blockNumber), timestamp: h.timestamp };
  };
  /** `getNetwork` at a block; undefined when the registry has no code there or the network no entry. */
  const networkAt = (at: bigint) => {
    const data = call(
      config.registry,
      encodeFunctionData({ abi: vigilRegistryAbi, functionName: "getNetwork", args: [networkId] }),
      at,
    );
    if (data === "0x") return undefined;
    const n = decodeFunctionResult({ abi: vigilRegistryAbi, functionName: "getNetwork", data });
    return n.epochLength === 0 ? undefined : n;
  };

  // Every read below is pinned to one block: the head for the epoch window, the last block before the
  // epoch's start for the assignment, so every node that reads after the start reads the same state.
  const head = headerAt();
  const network = networkAt(head.number);
  if (!network) {
    // A wrong `registry` in the config, or a network that does not exist: no verdict, a failed run.
    throw new Error(`registry ${config.registry} has no network ${networkId} at block ${head.number}`);
  }
  const length = BigInt(network.epochLength);
  const current = head.timestamp < network.genesisTime ? 0n : (head.timestamp - network.genesisTime) / length;
  // Threat: a bundle kept back to slash once the assignment it was judged under is history, or one
  // for an epoch whose beacon is not pinned yet. The settlement contract applies the same window.
  if (epoch > current)
    return { rejected: `epoch ${epoch} has not begun on chain (current epoch ${current})` };
  if (epoch + 1n < current)
    return {
      rejected: `epoch ${epoch} is closed to evidence (current epoch ${current}): only the current epoch and the one just closed may slash`,
    };

  const start = network.genesisTime + epoch * length;
  // Before genesis (epoch 0 only) no block is stamped at or after the start yet: the head stands in;
  // nothing can have been settled before epoch 0 ends, so its beacon is the genesis one either way.
  const pinned =
    head.timestamp < start ? head.number : lastBlockBefore((n) => headerAt(n).timestamp, head.number, start);
  let beacon = genesisBeacon(networkId);
  let operators: { signer: Uint8Array; challengerKey: Uint8Array | undefined }[] = [];
  let k = network.k;
  if (pinned !== null) {
    // No code at the pinned block (the contract came later): nothing settled, nobody registered.
    const b = call(
      config.settlement,
      encodeFunctionData({ abi: vigilSettlementAbi, functionName: "beacon", args: [networkId] }),
      pinned,
    );
    if (b !== "0x")
      beacon = decodeFunctionResult({ abi: vigilSettlementAbi, functionName: "beacon", data: b });
    operators = activeOperatorsAt(pinned);
    // `k` as it stood at the start; a network registered after that block (its epoch 0) has its first `k`.
    k = networkAt(pinned)?.k ?? k;
  }
  const assigned = assignedOracles(hexToBytes(beacon), deviceId, operators, k);
  return {
    epoch,
    deviceId: bytesToHex(deviceId),
    beacon,
    // An assigned operator whose peer id holds no Ed25519 key takes its place but can sign nothing.
    challengers: assigned.flatMap((o) => (o.challengerKey ? [bytesToHex(o.challengerKey)] : [])),
    blockNumber: pinned,
  };

  function activeOperatorsAt(at: bigint) {
    const out: { signer: Uint8Array; challengerKey: Uint8Array | undefined }[] = [];
    for (let offset = 0n; ; offset += OPERATOR_PAGE) {
      const data = call(
        config.registry,
        encodeFunctionData({
          abi: vigilRegistryAbi,
          functionName: "getOperators",
          args: [offset, OPERATOR_PAGE],
        }),
        at,
      );
      if (data === "0x") return out;
      const page = decodeFunctionResult({ abi: vigilRegistryAbi, functionName: "getOperators", data });
      for (const o of page)
        if (o.status === STATUS_ACTIVE)
          out.push({
            signer: hexToBytes(o.signer),
            challengerKey: challengerKeyOfPeerId(hexToBytes(o.peerId)),
          });
      if (BigInt(page.length) < OPERATOR_PAGE) return out;
    }
  }
}

/**
 * The last block stamped before `timestamp`, searched back from `head` (stamped at or after it):
 * steps that double, then a bisection, so an epoch that began a few blocks ago costs a few header
 * reads. Null when even block 0 is not earlier. The same block as the node's `lastBlockBefore`.
 */
export function lastBlockBefore(
  timeOf: (n: bigint) => bigint,
  head: bigint,
  timestamp: bigint,
): bigint | null {
  // Invariant: time(hi) >= timestamp.
  let hi = head;
  let lo: bigint;
  for (let step = 1n; ; step *= 2n) {
    lo = hi > step ? hi - step : 0n;
    if (timeOf(lo) < timestamp) break;
    if (lo === 0n) return null;
    hi = lo;
  }
  // Invariant: time(lo) < timestamp <= time(hi).
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (timeOf(mid) < timestamp) lo = mid;
    else hi = mid;
  }
  return lo;
}
