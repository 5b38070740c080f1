import type { Address, PublicClient } from "viem";
import { vigilSettlementAbi } from "../../contracts/index";
import type { LifecycleWallet } from "./chainContext";
import { simulateAndSend } from "./send";
import { payAndCall } from "./tokens";

/** Deposits `amount` into a network's reward budget from the wallet's account (approving exactly that). */
export async function depositBudget(
  client: PublicClient,
  wallet: LifecycleWallet,
  t: { token: Address; settlement: Address },
  networkId: bigint,
  amount: bigint,
): Promise<void> {
  await payAndCall(client, wallet, t.token, t.settlement, amount, () =>
    simulateAndSend(client, wallet, {
      address: t.settlement,
      abi: vigilSettlementAbi,
      functionName: "depositBudget",
      args: [networkId, amount],
    }),
  );
}
