import type { Hex } from "viem";
import { offRampAbi, onRampAbi } from "../abi.js";
import type { ChainClients } from "../deploy.js";
import { BridgeError } from "../errors.js";
import type { LaneChain, LaneConfig } from "../lane/laneConfig.js";
import type { LaneMessage } from "../relayer/relayerStore.js";

export type TransferState = "in-flight" | "delivered";

export interface TransferStatus {
  messageId: Hex;
  state: TransferState;
  source: LaneChain;
  dest: LaneChain;
  message: LaneMessage;
  sendTx: Hex;
  deliveryTx?: Hex;
}

/**
 * Where a transfer is: finds the message on either on-ramp by id, then asks the other chain's off-ramp
 * whether that sequence number executed with this id. `clients` are indexed like `lane.chains`.
 */
export async function getTransferStatus(
  lane: LaneConfig,
  clients: readonly [ChainClients, ChainClients],
  messageId: Hex,
): Promise<TransferStatus> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(messageId)) {
    throw new BridgeError("INVALID_INPUT", `not a message id (32-byte hex): ${messageId}`);
  }
  for (const i of [0, 1] as const) {
    const source = lane.chains[i];
    const dest = lane.chains[1 - i] as LaneChain;
    const [sent] = await clients[i].public.getContractEvents({
      address: source.onRamp,
      abi: onRampAbi,
      eventName: "CCIPMessageSent",
      args: { messageId },
      fromBlock: source.deployBlock,
      strict: true,
    });
    if (!sent) continue;
    const destClients = clients[1 - i] as ChainClients;
    const executedId = await destClients.public.readContract({
      address: dest.offRamp,
      abi: offRampAbi,
      functionName: "getExecutedMessageId",
      args: [sent.args.sequenceNumber],
    });
    const base = { messageId, source, dest, message: sent.args.message, sendTx: sent.transactionHash };
    if (executedId.toLowerCase() !== messageId.toLowerCase()) return { ...base, state: "in-flight" };
    const [delivered] = await destClients.public.getContractEvents({
      address: dest.offRamp,
      abi: offRampAbi,
      eventName: "ExecutionStateChanged",
      args: { messageId },
      fromBlock: dest.deployBlock,
      strict: true,
    });
    return { ...base, state: "delivered", deliveryTx: delivered?.transactionHash };
  }
  throw new BridgeError(
    "NOT_FOUND",
    `no transfer with message id ${messageId} on ${lane.chains.map((c) => c.name).join(" or ")}`,
  );
}

export interface WaitForDeliveryOptions {
  timeoutMs?: number;
  pollMs?: number;
  onProgress?: (status: TransferStatus) => void;
}

/** Polls `getTransferStatus` until the transfer is delivered; a `TIMEOUT` error otherwise. */
export async function waitForDelivery(
  lane: LaneConfig,
  clients: readonly [ChainClients, ChainClients],
  messageId: Hex,
  options: WaitForDeliveryOptions = {},
): Promise<TransferStatus> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let last: TransferState | undefined;
  for (;;) {
    const status = await getTransferStatus(lane, clients, messageId);
    if (status.state !== last) options.onProgress?.(status);
    last = status.state;
    if (status.state === "delivered") return status;
    if (Date.now() > deadline) {
      throw new BridgeError(
        "TIMEOUT",
        `transfer ${messageId} not delivered after ${options.timeoutMs ?? 120_000} ms`,
        {
          details: "is a relayer running? (vigil bridge relay)",
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
}
