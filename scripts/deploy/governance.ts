/**
 * Puts Vigil's contracts under governance: deploys OpenZeppelin's TimelockController and `VigilGovernor`
 * (votes from VigilToken), names the guardian that may pause, and hands every owner role the deployer holds
 * to the timelock: registry, settlement and KeystoneForwarder ownership, VGL's DEFAULT_ADMIN_ROLE (who grants
 * mint and burn) and its CCIP admin, and, when the bridge is set up, VGL's TokenAdminRegistry administrator,
 * the token pools and the ClaimBridgeHook. Two-step transfers need the timelock to accept itself: it is
 * deployed with a zero delay and the deployer as a temporary proposer, runs one batch (every
 * `acceptOwnership` / `acceptAdminRole`, then `updateDelay(timelockDelay)`), and the deployer then gives up
 * every role. No vote is needed at deployment, when nobody may hold delegated VGL yet; afterwards only a
 * passed proposal that waits out the delay changes anything (docs/contracts.md, "Governance").
 */
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  encodeFunctionData,
  getAddress,
  type Hex,
  isAddress,
  isAddressEqual,
  type PublicClient,
  parseAbi,
  type Transport,
  type WalletClient,
  zeroAddress,
  zeroHash,
} from "viem";
import { z } from "zod";
import { loadArtifact } from "../../contracts/index";

const address = z
  .string()
  .refine((v) => isAddress(v, { strict: false }), "expected a 20-byte hex address")
  .transform((v) => getAddress(v));

/** Governance parameters; voting delay and period are in blocks, VigilToken's clock. */
export const governanceOptionsSchema = z.object({
  /** Blocks between a proposal and its vote's snapshot (default ~1 day of 12 s blocks). */
  votingDelay: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 48 - 1)
    .default(7_200),
  /** Blocks a vote stays open (default ~1 week of 12 s blocks). */
  votingPeriod: z
    .number()
    .int()
    .positive()
    .max(2 ** 32 - 1)
    .default(50_400),
  /** Seconds between a passed proposal's queueing and its execution. */
  timelockDelay: z
    .bigint()
    .nonnegative()
    .default(2n * 24n * 3600n),
  /** Share of the VGL supply at the snapshot that must vote for or abstain, in percent. */
  quorumPercent: z.number().int().min(0).max(100).default(4),
  /** Votes (VGL wei) a proposer needs. */
  proposalThreshold: z.bigint().nonnegative().default(0n),
  /** May pause the registry and the settlement, nothing else; zero for none (then only a proposal pauses). */
  guardian: address.default(zeroAddress),
});

export type GovernanceOptions = z.input<typeof governanceOptionsSchema>;

export interface GovernedContracts {
  token: Address;
  registry: Address;
  settlement: Address;
  forwarder: Address;
  /** VGL as a CCIP cross-chain token on this chain (`vigil bridge setup`, the devnet's lane), once set up. */
  bridge?: {
    /** Its VGL administrator (if the deployer) goes to the timelock. */
    tokenAdminRegistry?: Address;
    /** Chainlink token pools (Ownable2Step) the deployer owns. */
    pools?: readonly Address[];
    /** The ClaimBridgeHook (OpenZeppelin `Ownable`, one step). */
    hook?: Address;
  };
}

/** The ownership calls of Chainlink's and OpenZeppelin's contracts that the handover uses. */
const handoverAbi = parseAbi([
  "function transferOwnership(address newOwner)",
  "function acceptOwnership()",
  "function grantRole(bytes32 role, address account)",
  "function renounceRole(bytes32 role, address account)",
  "function setCCIPAdmin(address newAdmin)",
  "function transferAdminRole(address localToken, address newAdmin)",
  "function acceptAdminRole(address localToken)",
  "function getTokenConfig(address token) view returns ((address administrator, address pendingAdministrator, address tokenPool))",
]);

export interface GovernanceDeployment {
  timelock: Address;
  governor: Address;
  guardian: Address;
}

export async function deployGovernance(
  clients: { publicClient: PublicClient; walletClient: WalletClient<Transport, Chain, Account> },
  contracts: GovernedContracts,
  options: GovernanceOptions,
): Promise<GovernanceDeployment> {
  const o = governanceOptionsSchema.parse(options);
  const { publicClient, walletClient } = clients;
  const deployer = walletClient.account.address;

  const wait = async (hash: Hex, what: string) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== "success") throw new Error(`${what} reverted (tx ${hash})`);
    return receipt;
  };
  const deploy = async (file: string, args: readonly unknown[]): Promise<Address> => {
    const { abi, bytecode } = loadArtifact(file);
    const receipt = await wait(
      await walletClient.deployContract({ abi, bytecode, args: [...args] }),
      `deploying ${file}`,
    );
    if (!receipt.contractAddress) throw new Error(`deploying ${file} created no contract`);
    return getAddress(receipt.contractAddress);
  };
  const send = async (to: Address, abi: Abi, functionName: string, args: readonly unknown[] = []) => {
    await wait(
      await walletClient.writeContract({ address: to, abi, functionName, args: [...args] }),
      functionName,
    );
  };

  const timelockAbi = loadArtifact("TimelockController.sol").abi;
  const registryAbi = loadArtifact("VigilRegistry.sol").abi;
  const settlementAbi = loadArtifact("VigilSettlement.sol").abi;
  const forwarderAbi = loadArtifact("KeystoneForwarder.sol").abi;

  // Zero delay and the deployer as proposer only for the bootstrap batch below; executors are open.
  const timelock = await deploy("TimelockController.sol", [0n, [deployer], [zeroAddress], deployer]);
  const governor = await deploy("VigilGovernor.sol", [
    contracts.token,
    timelock,
    o.votingDelay,
    o.votingPeriod,
    o.proposalThreshold,
    BigInt(o.quorumPercent),
  ]);

  for (const [target, abi] of [
    [contracts.registry, registryAbi],
    [contracts.settlement, settlementAbi],
  ] as const) {
    if (o.guardian !== zeroAddress) await send(target, abi, "setGuardian", [o.guardian]);
    await send(target, abi, "transferOwnership", [timelock]);
  }
  await send(contracts.forwarder, forwarderAbi, "transferOwnership", [timelock]);

  const accept = encodeFunctionData({ abi: handoverAbi, functionName: "acceptOwnership" });
  const targets: Address[] = [contracts.registry, contracts.settlement, contracts.forwarder];
  const calls: Hex[] = [accept, accept, accept];

  // VGL: the timelock becomes its admin (who grants mint and burn, e.g. to a new pool) and CCIP admin (who
  // registers it in a TokenAdminRegistry); the deployer's admin role goes last. One step each.
  const defaultAdmin = zeroHash; // AccessControl's DEFAULT_ADMIN_ROLE
  await send(contracts.token, handoverAbi, "grantRole", [defaultAdmin, timelock]);
  await send(contracts.token, handoverAbi, "setCCIPAdmin", [timelock]);
  await send(contracts.token, handoverAbi, "renounceRole", [defaultAdmin, deployer]);

  const bridge = contracts.bridge ?? {};
  if (bridge.tokenAdminRegistry) {
    const config = await publicClient.readContract({
      address: bridge.tokenAdminRegistry,
      abi: handoverAbi,
      functionName: "getTokenConfig",
      args: [contracts.token],
    });
    if (isAddressEqual(config.administrator, deployer)) {
      await send(bridge.tokenAdminRegistry, handoverAbi, "transferAdminRole", [contracts.token, timelock]);
      targets.push(bridge.tokenAdminRegistry);
      calls.push(
        encodeFunctionData({ abi: handoverAbi, functionName: "acceptAdminRole", args: [contracts.token] }),
      );
    }
  }
  for (const pool of bridge.pools ?? []) {
    await send(pool, handoverAbi, "transferOwnership", [timelock]);
    targets.push(pool);
    calls.push(accept);
  }
  if (bridge.hook) await send(bridge.hook, handoverAbi, "transferOwnership", [timelock]);

  targets.push(timelock);
  calls.push(encodeFunctionData({ abi: timelockAbi, functionName: "updateDelay", args: [o.timelockDelay] }));
  const values = targets.map(() => 0n);
  await send(timelock, timelockAbi, "scheduleBatch", [targets, values, calls, zeroHash, zeroHash, 0n]);
  await send(timelock, timelockAbi, "executeBatch", [targets, values, calls, zeroHash, zeroHash]);

  const role = (name: string) =>
    publicClient.readContract({ address: timelock, abi: timelockAbi, functionName: name }) as Promise<Hex>;
  const [proposer, canceller, adminRole] = await Promise.all([
    role("PROPOSER_ROLE"),
    role("CANCELLER_ROLE"),
    role("DEFAULT_ADMIN_ROLE"),
  ]);
  await send(timelock, timelockAbi, "grantRole", [proposer, governor]);
  await send(timelock, timelockAbi, "grantRole", [canceller, governor]);
  await send(timelock, timelockAbi, "revokeRole", [proposer, deployer]);
  await send(timelock, timelockAbi, "revokeRole", [canceller, deployer]);
  await send(timelock, timelockAbi, "renounceRole", [adminRole, deployer]);
  return { timelock, governor, guardian: o.guardian };
}
