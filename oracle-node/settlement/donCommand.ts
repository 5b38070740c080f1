// `vigil workflow don ...`: the forwarder owner's commands for the DON that settles Vigil's epochs.
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  type Hex,
  http,
  isAddress,
  keccak256,
  type PublicClient,
  parseAbi,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { donConfigProposal, isTimelock } from "./donConfigProposal";
import { readDonConfigs, readForwarderOwner, setDonConfig } from "./setDonConfig";

const governorProposeAbi = parseAbi([
  "function propose(address[] targets, uint256[] values, bytes[] calldatas, string description) returns (uint256)",
  "function hashProposal(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) view returns (uint256)",
]);

/** Where the command writes and how it ends (the workflow CLI's io). */
export interface DonCliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  exit(code: number): void;
}

const address = (v: string): Address => {
  if (!isAddress(v)) throw new InvalidArgumentError(`expected an address, got "${v}"`);
  return getAddress(v);
};
const addresses = (v: string): Address[] => v.split(",").map((s) => address(s.trim()));
const uint = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
  return Number(v);
};
const version = (v: string): number | "next" => (v === "next" ? "next" : uint(v));

interface ChainFlags {
  rpcUrl: string;
  forwarder?: Address;
  deployment?: string;
  donId?: number;
}

/** The forwarder and DON id (and governor) from the flags, else from the deployment file scripts/deploy wrote. */
function target(flags: ChainFlags): {
  forwarder: Address;
  donId: number;
  fromBlock: bigint;
  governor?: Address;
} {
  const file = flags.deployment
    ? (JSON.parse(readFileSync(flags.deployment, "utf8")) as {
        forwarder?: string;
        donId?: number;
        deployBlock?: number;
        governor?: string;
      })
    : {};
  const forwarder = flags.forwarder ?? (file.forwarder ? address(file.forwarder) : undefined);
  const donId = flags.donId ?? file.donId;
  if (!forwarder || donId === undefined)
    throw new InvalidArgumentError(
      "name the forwarder and DON id: --forwarder and --don-id, or --deployment",
    );
  return {
    forwarder,
    donId,
    fromBlock: BigInt(file.deployBlock ?? 0),
    ...(file.governor ? { governor: address(file.governor) } : {}),
  };
}

async function clientFor(
  rpcUrl: string,
): Promise<{ client: PublicClient; chain: ReturnType<typeof defineChain> }> {
  const probe = createPublicClient({ transport: http(rpcUrl) });
  const chain = defineChain({
    id: await probe.getChainId(),
    name: "vigil-chain",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  return { client: createPublicClient({ chain, transport: http(rpcUrl) }) as PublicClient, chain };
}

/** `vigil workflow don show|set`: read or reconfigure the forwarder's DON (set: the forwarder owner only). */
export function donCommand(io: DonCliIo): Command {
  const don = new Command("don").description(
    "the forwarder's DON: show its configs, or reconfigure it as the forwarder's owner (nodes switch without restart)",
  );
  const chainOptions = (c: Command) =>
    c
      .option("--rpc-url <url>", "chain RPC", io.env.VIGIL_RPC_URL ?? "http://127.0.0.1:8545")
      .option("--deployment <file>", "deployment JSON from `vigil deploy` (forwarder, DON id)")
      .option("--forwarder <address>", "the KeystoneForwarder (wins over --deployment)", address)
      .option("--don-id <n>", "the DON id (wins over --deployment)", uint);
  const fail = (err: unknown) => {
    io.err(err instanceof Error ? err.message : String(err));
    io.exit(1);
  };

  chainOptions(don.command("show").description("print every config version the forwarder accepts")).action(
    async (flags: ChainFlags) => {
      try {
        const t = target(flags);
        const { client } = await clientFor(flags.rpcUrl);
        const configs = await readDonConfigs(client, t);
        io.out(
          JSON.stringify({
            forwarder: t.forwarder,
            donId: t.donId,
            configs: [...configs].map(([configVersion, c]) => ({
              configVersion,
              f: c.f,
              signers: c.signers,
            })),
          }),
        );
        io.exit(0);
      } catch (err) {
        fail(err);
      }
    },
  );

  chainOptions(
    don
      .command("set")
      .description(
        "set the DON's signers and f under a new config version; register each new signer's operator first",
      ),
  )
    .requiredOption("--signers <a,b,...>", "every signer of the new config, comma-separated", addresses)
    .requiredOption("--f <n>", "faulty signers tolerated (needs at least 3f+1 signers)", uint)
    .option(
      "--config-version <n|next>",
      'the version to set (default "next": one above the highest)',
      version,
      "next",
    )
    .option(
      "--clear-previous",
      "clear every older version, so reports signed under it stop being accepted (do this when removing a signer)",
      false,
    )
    .option(
      "--private-key-file <file>",
      "the forwarder owner's key file (or VIGIL_PRIVATE_KEY); under governance, the proposer's (--propose)",
    )
    .option(
      "--governor <address>",
      "under governance: the VigilGovernor (wins over --deployment's governor)",
      address,
    )
    .option(
      "--propose",
      "under governance (the forwarder's owner is a timelock): submit the proposal to the governor instead of printing it",
      false,
    )
    .option("--description <text>", "under governance: the proposal's description")
    .action(
      async (
        flags: ChainFlags & {
          signers: Address[];
          f: number;
          configVersion: number | "next";
          clearPrevious: boolean;
          privateKeyFile?: string;
          governor?: Address;
          propose: boolean;
          description?: string;
        },
      ) => {
        try {
          const t = target(flags);
          const loadKey = (whose: string): Hex => {
            const key = (
              flags.privateKeyFile
                ? readFileSync(flags.privateKeyFile, "utf8")
                : (io.env.VIGIL_PRIVATE_KEY ?? "")
            ).trim();
            if (!/^0x[0-9a-fA-F]{64}$/.test(key))
              throw new InvalidArgumentError(
                `${whose} key: --private-key-file or VIGIL_PRIVATE_KEY (0x-prefixed 32-byte hex)`,
              );
            return key as Hex;
          };
          const { client, chain } = await clientFor(flags.rpcUrl);
          const wallet = (key: Hex) =>
            createWalletClient({ chain, transport: http(flags.rpcUrl), account: privateKeyToAccount(key) });
          const request = {
            ...t,
            signers: flags.signers,
            f: flags.f,
            ...(flags.configVersion !== "next" && { configVersion: flags.configVersion }),
            clearPrevious: flags.clearPrevious,
          };

          // Under governance the forwarder's owner is the timelock: a transaction from any key would revert,
          // so the change is a proposal, printed (or submitted with --propose) for the governor's vote.
          const owner = await readForwarderOwner(client, t.forwarder);
          if (await isTimelock(client, owner)) {
            const governor = flags.governor ?? t.governor;
            if (!governor)
              throw new InvalidArgumentError(
                `the forwarder's owner ${owner} is a timelock: name its governor (--governor, or --deployment with a governor)`,
              );
            const proposal = await donConfigProposal(client, {
              ...request,
              governor,
              timelock: owner,
              ...(flags.description !== undefined && { description: flags.description }),
            });
            const printed = {
              governance: true,
              forwarder: t.forwarder,
              donId: t.donId,
              f: flags.f,
              ...proposal,
              values: proposal.values.map(String),
            };
            if (!flags.propose) {
              io.out(JSON.stringify(printed));
              io.exit(0);
              return;
            }
            const args = [
              proposal.targets,
              proposal.values,
              proposal.calldatas,
              proposal.description,
            ] as const;
            const hash = await wallet(loadKey("the proposer's")).writeContract({
              address: governor,
              abi: governorProposeAbi,
              functionName: "propose",
              args,
              chain,
            });
            const receipt = await client.waitForTransactionReceipt({ hash });
            if (receipt.status !== "success") throw new Error(`propose reverted in ${hash}`);
            const proposalId = await client.readContract({
              address: governor,
              abi: governorProposeAbi,
              functionName: "hashProposal",
              args: [
                proposal.targets,
                proposal.values,
                proposal.calldatas,
                keccak256(toHex(proposal.description)),
              ],
            });
            io.out(JSON.stringify({ ...printed, proposalId: String(proposalId), txHash: hash }));
            io.exit(0);
            return;
          }

          const result = await setDonConfig(client, wallet(loadKey("the forwarder owner's")), request);
          io.out(JSON.stringify({ forwarder: t.forwarder, donId: t.donId, f: flags.f, ...result }));
          io.exit(0);
        } catch (err) {
          fail(err);
        }
      },
    );
  return don;
}
