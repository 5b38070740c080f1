import {
  type Address,
  encodeFunctionData,
  getAddress,
  type Hex,
  type PublicClient,
  parseAbi,
  type WalletClient,
} from "viem";
import { configSetEvent } from "./configSetEvent";
import { SettlementError } from "./errors";
import type { DonConfigEntry } from "./resolveDon";

const forwarderAdminAbi = parseAbi([
  "function owner() view returns (address)",
  "function setConfig(uint32 donId, uint32 configVersion, uint8 f, address[] signers)",
  "function clearConfig(uint32 donId, uint32 configVersion)",
]);

/** Every configuration the forwarder still accepts for a DON id, by version, from its `ConfigSet` logs. */
export async function readDonConfigs(
  client: PublicClient,
  o: { forwarder: Address; donId: number; fromBlock?: bigint },
): Promise<Map<number, DonConfigEntry>> {
  const logs = await client.getLogs({
    address: o.forwarder,
    event: configSetEvent,
    args: { donId: o.donId },
    fromBlock: o.fromBlock ?? 0n,
    toBlock: "latest",
  });
  const configs = new Map<number, DonConfigEntry>();
  for (const l of logs) {
    const { configVersion, f, signers } = l.args;
    if (configVersion === undefined || f === undefined || !signers) continue;
    if (f === 0) configs.delete(configVersion);
    else configs.set(configVersion, { f, signers: signers.map((s) => getAddress(s)) });
  }
  return configs;
}

/** The forwarder calls that reconfigure a DON: `setConfig` under the new version, then each `clearConfig`. */
export interface DonConfigPlan {
  configVersion: number;
  calls: {
    functionName: "setConfig" | "clearConfig";
    args: readonly [number, number, number, Address[]] | readonly [number, number];
    data: Hex;
  }[];
  /** Versions the plan clears (`clearPrevious`). */
  cleared: number[];
}

export interface DonConfigRequest {
  forwarder: Address;
  donId: number;
  signers: Address[];
  f: number;
  configVersion?: number;
  clearPrevious?: boolean;
  fromBlock?: bigint;
}

/**
 * Checks a DON reconfiguration and lists the forwarder calls it takes, whoever sends them (the owner's key,
 * or a governance proposal when the owner is a timelock): the new config version defaults to one above
 * the highest ever set (so nodes following the latest switch to it), and `clearPrevious` clears every
 * older version the forwarder still accepts.
 */
export async function planDonConfig(client: PublicClient, o: DonConfigRequest): Promise<DonConfigPlan> {
  if (o.f < 1 || o.signers.length < 3 * o.f + 1 || o.signers.length > 31)
    throw new SettlementError(
      "DON_NOT_CONFIGURED",
      `a DON with f=${o.f} needs between ${3 * o.f + 1} and 31 signers, got ${o.signers.length}`,
      { f: o.f, signers: o.signers.length },
    );
  const unique = new Set(o.signers.map((s) => s.toLowerCase()));
  if (unique.size !== o.signers.length)
    throw new SettlementError("DON_NOT_CONFIGURED", "the signer list names one signer twice");
  const configs = await readDonConfigs(client, o);
  // Versions ever set, cleared ones included: a new version must be new, never a cleared one's number.
  const everSet = await client.getLogs({
    address: o.forwarder,
    event: configSetEvent,
    args: { donId: o.donId },
    fromBlock: o.fromBlock ?? 0n,
    toBlock: "latest",
  });
  const highest = Math.max(0, ...everSet.map((l) => l.args.configVersion ?? 0));
  const configVersion = o.configVersion ?? highest + 1;
  const setArgs = [o.donId, configVersion, o.f, o.signers] as const;
  const calls: DonConfigPlan["calls"] = [
    {
      functionName: "setConfig",
      args: setArgs,
      data: encodeFunctionData({ abi: forwarderAdminAbi, functionName: "setConfig", args: setArgs }),
    },
  ];
  const cleared: number[] = [];
  if (o.clearPrevious)
    for (const version of configs.keys())
      if (version !== configVersion) {
        const args = [o.donId, version] as const;
        calls.push({
          functionName: "clearConfig",
          args,
          data: encodeFunctionData({ abi: forwarderAdminAbi, functionName: "clearConfig", args }),
        });
        cleared.push(version);
      }
  return { configVersion, calls, cleared };
}

/** The forwarder's owner (a key, or the timelock under governance). */
export async function readForwarderOwner(client: PublicClient, forwarder: Address): Promise<Address> {
  return client.readContract({ address: forwarder, abi: forwarderAdminAbi, functionName: "owner" });
}

export interface SetDonConfigResult {
  configVersion: number;
  txHash: Hex;
  /** Versions cleared after the new one was set (`clearPrevious`). */
  cleared: number[];
}

/**
 * Reconfigures a DON on the KeystoneForwarder, as its owner: sends the calls `planDonConfig` lists.
 * Nodes switch by themselves when they see the `ConfigSet`; nothing restarts. Under governance the owner
 * is a timelock and this refuses: `donConfigProposal` builds the proposal instead.
 */
export async function setDonConfig(
  client: PublicClient,
  wallet: WalletClient,
  o: DonConfigRequest,
): Promise<SetDonConfigResult> {
  const account = wallet.account;
  if (!account) throw new SettlementError("DON_NOT_CONFIGURED", "the wallet has no account to send from");
  const owner = await readForwarderOwner(client, o.forwarder);
  if (owner.toLowerCase() !== account.address.toLowerCase())
    throw new SettlementError(
      "DON_NOT_CONFIGURED",
      `only the forwarder's owner ${owner} may reconfigure it, not ${account.address}`,
      { owner, sender: account.address },
    );
  const plan = await planDonConfig(client, o);
  const hashes: Hex[] = [];
  for (const call of plan.calls) {
    const hash = await wallet.sendTransaction({
      to: o.forwarder,
      data: call.data,
      account,
      chain: wallet.chain,
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success")
      throw new SettlementError("DON_NOT_CONFIGURED", `${call.functionName} reverted in ${hash}`, { hash });
    hashes.push(hash);
  }
  return { configVersion: plan.configVersion, txHash: hashes[0] as Hex, cleared: plan.cleared };
}
