import type { Address, Hex, PublicClient } from "viem";
import { vigilRegistryAbi, vigilSettlementAbi } from "../../contracts/index";
import type { LifecycleWallet } from "./chainContext";
import { LifecycleError } from "./errors";
import { simulateAndSend } from "./send";
import { payAndCall } from "./tokens";

/**
 * Registers an oracle operator owned by the wallet's account: its node's signer, libp2p peer id
 * (multihash bytes) and `stake` (default: the registry's `minOperatorStake`). Returns the stake paid.
 */
export async function registerOperator(
  client: PublicClient,
  wallet: LifecycleWallet,
  t: { token: Address; registry: Address },
  o: { signer: Address; peerIdBytes: Hex; stake?: bigint },
): Promise<bigint> {
  const [minimum, existing] = await Promise.all([
    client.readContract({ address: t.registry, abi: vigilRegistryAbi, functionName: "minOperatorStake" }),
    client.readContract({
      address: t.registry,
      abi: vigilRegistryAbi,
      functionName: "getOperator",
      args: [o.signer],
    }),
  ]);
  // Checked before the approval, so a refused registration spends nothing.
  if (existing.status !== 0)
    throw new LifecycleError(
      "INVALID_INPUT",
      `signer ${o.signer} is already registered (owner ${existing.owner})`,
      {
        signer: o.signer,
      },
    );
  const stake = o.stake ?? minimum;
  if (stake < minimum)
    throw new LifecycleError("INVALID_INPUT", `stake ${stake} is below the registry's minimum ${minimum}`, {
      stake,
      minimum,
    });
  await payAndCall(client, wallet, t.token, t.registry, stake, () =>
    simulateAndSend(client, wallet, {
      address: t.registry,
      abi: vigilRegistryAbi,
      functionName: "registerOperator",
      args: [o.signer, o.peerIdBytes, stake],
    }),
  );
  return stake;
}

/** Adds `amount` to an active operator's stake (anyone may pay). */
export async function addOperatorStake(
  client: PublicClient,
  wallet: LifecycleWallet,
  t: { token: Address; registry: Address },
  signer: Address,
  amount: bigint,
): Promise<void> {
  const operator = await client.readContract({
    address: t.registry,
    abi: vigilRegistryAbi,
    functionName: "getOperator",
    args: [signer],
  });
  if (operator.status !== 1)
    throw new LifecycleError(
      "INVALID_INPUT",
      `operator ${signer} is not active (status ${operator.status})`,
      {
        signer,
      },
    );
  await payAndCall(client, wallet, t.token, t.registry, amount, () =>
    simulateAndSend(client, wallet, {
      address: t.registry,
      abi: vigilRegistryAbi,
      functionName: "addOperatorStake",
      args: [signer, amount],
    }),
  );
}

/** Starts the operator's unbonding (owner only); returns when its stake can be withdrawn (unix s). */
export async function requestOperatorExit(
  client: PublicClient,
  wallet: LifecycleWallet,
  registry: Address,
  signer: Address,
): Promise<bigint> {
  await simulateAndSend(client, wallet, {
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "requestOperatorExit",
    args: [signer],
  });
  const operator = await client.readContract({
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "getOperator",
    args: [signer],
  });
  return operator.exitAvailableAt;
}

/** Sends an exiting operator's remaining stake to its owner once unbonded; returns the amount. */
export async function withdrawOperatorStake(
  client: PublicClient,
  wallet: LifecycleWallet,
  registry: Address,
  signer: Address,
): Promise<bigint> {
  const before = await client.readContract({
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "getOperator",
    args: [signer],
  });
  await simulateAndSend(client, wallet, {
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "withdrawOperatorStake",
    args: [signer],
  });
  return before.stake;
}

/**
 * Sends the wallet account's fee earnings (`operatorEarnings`: the account must be the node's
 * signer) to `to`; returns the amount. Simulated first: `NoOperatorEarnings` costs nothing.
 */
export async function withdrawOperatorEarnings(
  client: PublicClient,
  wallet: LifecycleWallet,
  settlement: Address,
  to: Address,
): Promise<bigint> {
  const owed = await client.readContract({
    address: settlement,
    abi: vigilSettlementAbi,
    functionName: "operatorEarnings",
    args: [wallet.account.address],
  });
  await simulateAndSend(client, wallet, {
    address: settlement,
    abi: vigilSettlementAbi,
    functionName: "withdrawOperatorEarnings",
    args: [to],
  });
  return owed;
}
