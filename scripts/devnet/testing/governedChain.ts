import { createTestClient, type Hex, http, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type Deployment, vigilTokenAbi } from "../../../contracts";
import { deployVigil } from "../../deploy/deploy";
import type { Anvil } from "../anvil";
import { devnetClients } from "../clients";
import { DEVNET_GOVERNANCE } from "../governance/options";
import type { ProposalClients } from "../governance/runProposal";

// anvil's first default account, the devnet's deployer.
const DEPLOYER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const signers = [1, 2, 3, 4].map((i) => privateKeyToAccount(`0x${String(i).padStart(64, "0")}`).address);

/**
 * For tests: Vigil deployed under the devnet's governance on `anvil` (a 2 s timelock, to keep tests short),
 * with the deployer holding and delegating all of VGL's supply, as the devnet's deployer votes.
 */
export async function deployGovernedChain(
  anvil: Anvil,
): Promise<{ deployment: Deployment; clients: ProposalClients }> {
  const home = devnetClients(anvil.chainId, "test", anvil.rpcUrl, DEPLOYER_KEY);
  const deployment = await deployVigil({
    rpcUrl: anvil.rpcUrl,
    privateKey: DEPLOYER_KEY,
    signers,
    f: 1,
    mint: [{ to: home.wallet.account.address, amount: parseEther("1000") }],
    governance: { ...DEVNET_GOVERNANCE, timelockDelay: 2n },
  });
  await home.public.waitForTransactionReceipt({
    hash: await home.wallet.writeContract({
      address: deployment.token,
      abi: vigilTokenAbi,
      functionName: "delegate",
      args: [home.wallet.account.address],
    }),
  });
  return {
    deployment,
    clients: {
      public: home.public,
      wallet: home.wallet,
      test: createTestClient({ mode: "anvil", transport: http(anvil.rpcUrl) }),
    },
  };
}
