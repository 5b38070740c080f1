import { type Address, formatUnits, type PublicClient } from "viem";
import { vigilTokenAbi } from "../../contracts/index";
import type { LifecycleWallet } from "./chainContext";
import { LifecycleError } from "./errors";
import { TOKEN_DECIMALS } from "./parsers";
import { simulateAndSend } from "./send";

/** `amount` base units as tokens, e.g. "1000 VGL". */
export const formatTokens = (amount: bigint) => `${formatUnits(amount, TOKEN_DECIMALS)} VGL`;

/** Fails before any transaction when the paying account holds fewer than `amount` tokens. */
export async function requireBalance(client: PublicClient, token: Address, owner: Address, amount: bigint) {
  const balance = await client.readContract({
    address: token,
    abi: vigilTokenAbi,
    functionName: "balanceOf",
    args: [owner],
  });
  if (balance < amount)
    throw new LifecycleError(
      "INSUFFICIENT_BALANCE",
      `${owner} holds ${formatTokens(balance)}, needs ${formatTokens(amount)}`,
      { owner, balance, amount },
    );
}

/** Approves `spender` for exactly `amount` unless the allowance already covers it (never an unlimited approval). */
export async function ensureAllowance(
  client: PublicClient,
  wallet: LifecycleWallet,
  token: Address,
  spender: Address,
  amount: bigint,
): Promise<void> {
  const allowance = await client.readContract({
    address: token,
    abi: vigilTokenAbi,
    functionName: "allowance",
    args: [wallet.account.address, spender],
  });
  if (allowance >= amount) return;
  await simulateAndSend(client, wallet, {
    address: token,
    abi: vigilTokenAbi,
    functionName: "approve",
    args: [spender, amount],
  });
}

/** Balance check, allowance, then the paying call: the pattern of every staking and funding command. */
export async function payAndCall(
  client: PublicClient,
  wallet: LifecycleWallet,
  token: Address,
  spender: Address,
  amount: bigint,
  call: () => Promise<unknown>,
): Promise<void> {
  await requireBalance(client, token, wallet.account.address, amount);
  if (amount > 0n) await ensureAllowance(client, wallet, token, spender, amount);
  await call();
}
