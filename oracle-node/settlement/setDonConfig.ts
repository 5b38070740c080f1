import { type Address, getAddress, type Hex, type PublicClient, parseAbi, type WalletClient } from "viem";
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

export interface SetDonConfigResult {
  configVersion: number;
  txHash: Hex;
  /** Versions cleared after the new one was set (`clearPrevious`). */
  cleared: number[];
}

/**
 * Reconfigures a DON on the KeystoneForwarder, as its owner: sets `signers` and `f` under a new
 * config version (default: one above the highest ever set, so nodes following the latest switch to
 * it), then optionally clears every older version, so reports signed under them stop being accepted.
 * Nodes switch by themselves when they see the `ConfigSet`; nothing restarts.
 */
export async function setDonConfig(
  client: PublicClient,
  wallet: WalletClient,
  o: {
    forwarder: Address;
    donId: number;
    signers: Address[];
    f: number;
    configVersion?: number;
    clearPrevious?: boolean;
    fromBlock?: bigint;
  },
): Promise<SetDonConfigResult> {
  const account = wallet.account;
  if (!account) throw new SettlementError("DON_NOT_CONFIGURED", "the wallet has no account to send from");
  const owner = await client.readContract({
    address: o.forwarder,
    abi: forwarderAdminAbi,
    functionName: "owner",
  });
  if (owner.toLowerCase() !== account.address.toLowerCase())
    throw new SettlementError(
      "DON_NOT_CONFIGURED",
      `only the forwarder's owner ${owner} may reconfigure it, not ${account.address}`,
      { owner, sender: account.address },
    );
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
  const send = async (functionName: "setConfig" | "clearConfig", args: readonly unknown[]) => {
    const hash = await wallet.writeContract({
      address: o.forwarder,
      abi: forwarderAdminAbi,
      functionName,
      args,
      account,
      chain: wallet.chain,
    } as Parameters<typeof wallet.writeContract>[0]);
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success")
      throw new SettlementError("DON_NOT_CONFIGURED", `${functionName} reverted in ${hash}`, { hash });
    return hash;
  };
  const txHash = await send("setConfig", [o.donId, configVersion, o.f, o.signers]);
  const cleared: number[] = [];
  if (o.clearPrevious)
    for (const version of configs.keys())
      if (version !== configVersion) {
        await send("clearConfig", [o.donId, version]);
        cleared.push(version);
      }
  return { configVersion, txHash, cleared };
}
