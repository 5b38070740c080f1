import { Command, InvalidArgumentError, Option } from "commander";
import {
  type Address,
  createPublicClient,
  getAddress,
  type Hex,
  http,
  isAddress,
  isHex,
  parseUnits,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { BridgeError } from "../errors.js";
import { chainClients, laneChain } from "../lane/clients.js";
import { CCIP_TESTNETS, type CcipNetworkName, ccipNetwork } from "../networks.js";
import { runBridgeAction } from "../runBridgeAction.js";
import { type CrossChainSide, setupCrossChainToken } from "./setupCrossChainToken.js";

interface SideOptions {
  rpc: string;
  token: Address;
  network?: CcipNetworkName;
  selector?: bigint;
  router?: Address;
  rmn?: Address;
  registry?: Address;
  module?: Address;
}

/**
 * `vigil bridge setup`: registers the reward token as a CCIP cross-chain token on two chains (see
 * `setupCrossChainToken`). Each side is either a Chainlink testnet by name (`--network-a base-sepolia`)
 * or explicit CCIP addresses (the devnet's lane, or any other chain). The wallet is VIGIL_PRIVATE_KEY,
 * which must be the token's CCIP admin on both chains.
 */
export function setupCommand(print: (line: string) => void, env: NodeJS.ProcessEnv): Command {
  const command = new Command("setup").description(
    "register the token as a CCIP cross-chain token on two chains (BurnMintTokenPool, registry, rate limits)",
  );
  for (const side of ["a", "b"] as const) {
    command
      .requiredOption(`--rpc-${side} <url>`, `RPC of chain ${side.toUpperCase()}`)
      .requiredOption(`--token-${side} <addr>`, `the VigilToken on chain ${side.toUpperCase()}`, parseAddress)
      .addOption(
        new Option(
          `--network-${side} <name>`,
          "a Chainlink CCIP testnet (fills the addresses below)",
        ).choices(Object.keys(CCIP_TESTNETS)),
      )
      .option(`--selector-${side} <n>`, "CCIP chain selector", parseSelector)
      .option(`--router-${side} <addr>`, "CCIP router", parseAddress)
      .option(`--rmn-${side} <addr>`, "RMN proxy", parseAddress)
      .option(`--registry-${side} <addr>`, "TokenAdminRegistry", parseAddress)
      .option(`--module-${side} <addr>`, "RegistryModuleOwnerCustom", parseAddress);
  }
  command
    .requiredOption("--capacity <VGL>", "outbound bucket capacity per pool", parseVgl)
    .requiredOption("--rate <VGL/s>", "outbound refill rate per pool", parseVgl)
    .option("--inbound-capacity <VGL>", "inbound capacity (default capacity + 10 %)", parseVgl)
    .option("--inbound-rate <VGL/s>", "inbound rate (default rate + 10 %)", parseVgl)
    .action(
      runBridgeAction(async (opts: Record<string, unknown>) => {
        const key = env.VIGIL_PRIVATE_KEY;
        if (!key || !isHex(key) || key.length !== 66) {
          throw new BridgeError("CONFIG", "set VIGIL_PRIVATE_KEY to the token's CCIP admin key");
        }
        const account = privateKeyToAccount(key as Hex);
        const sides = await Promise.all(
          (["a", "b"] as const).map(async (s): Promise<CrossChainSide> => {
            const o = pick(opts, s);
            const net = o.network ? ccipNetwork(o.network) : undefined;
            const need = <T>(value: T | undefined, flag: string): T => {
              if (value === undefined) {
                throw new BridgeError(
                  "INVALID_INPUT",
                  `--${flag}-${s} is needed unless --network-${s} is given`,
                );
              }
              return value;
            };
            const chainId = await createPublicClient({ transport: http(o.rpc) }).getChainId();
            if (net && net.chainId !== chainId) {
              throw new BridgeError(
                "CONFIG",
                `--rpc-${s} is chain ${chainId}, not ${o.network} (${net.chainId})`,
              );
            }
            return {
              clients: chainClients(laneChain(chainId, o.network ?? `chain-${chainId}`, o.rpc), account),
              chainSelector: need(o.selector ?? net?.chainSelector, "selector"),
              token: o.token,
              router: need(o.router ?? net?.router, "router"),
              rmnProxy: need(o.rmn ?? net?.rmnProxy, "rmn"),
              tokenAdminRegistry: need(o.registry ?? net?.tokenAdminRegistry, "registry"),
              registryModule: need(o.module ?? net?.registryModuleOwnerCustom, "module"),
            };
          }),
        );
        const outbound = { isEnabled: true, capacity: opts.capacity as bigint, rate: opts.rate as bigint };
        const inbound =
          opts.inboundCapacity !== undefined || opts.inboundRate !== undefined
            ? {
                isEnabled: true,
                capacity: (opts.inboundCapacity as bigint | undefined) ?? (outbound.capacity * 11n) / 10n,
                rate: (opts.inboundRate as bigint | undefined) ?? (outbound.rate * 11n) / 10n,
              }
            : undefined;
        const result = await setupCrossChainToken({
          a: sides[0] as CrossChainSide,
          b: sides[1] as CrossChainSide,
          outbound,
          inbound,
        });
        print(`pool A ${result.poolA}`);
        print(`pool B ${result.poolB}`);
      }),
    );
  return command;
}

function pick(opts: Record<string, unknown>, side: "a" | "b"): SideOptions {
  const S = side.toUpperCase();
  return {
    rpc: opts[`rpc${S}`] as string,
    token: opts[`token${S}`] as Address,
    network: opts[`network${S}`] as CcipNetworkName | undefined,
    selector: opts[`selector${S}`] as bigint | undefined,
    router: opts[`router${S}`] as Address | undefined,
    rmn: opts[`rmn${S}`] as Address | undefined,
    registry: opts[`registry${S}`] as Address | undefined,
    module: opts[`module${S}`] as Address | undefined,
  };
}

function parseAddress(value: string): Address {
  if (!isAddress(value, { strict: false })) throw new InvalidArgumentError("not an Ethereum address");
  return getAddress(value);
}

function parseSelector(value: string): bigint {
  if (!/^\d+$/.test(value) || BigInt(value) >= 2n ** 64n)
    throw new InvalidArgumentError("a uint64 chain selector");
  return BigInt(value);
}

function parseVgl(value: string): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(value)) throw new InvalidArgumentError("a decimal VGL amount");
  return parseUnits(value, 18);
}
