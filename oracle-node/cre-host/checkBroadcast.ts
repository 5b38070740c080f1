import {
  type Address,
  BaseError,
  bytesToHex,
  type Chain,
  ContractFunctionRevertedError,
  type Hex,
  type PublicClient,
  type Transport,
  zeroAddress,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { forwarderAbi } from "./capabilities/evm";
import { CreHostError } from "./errors";
import { encodeReportContext, encodeReportMetadata, signReport } from "./report";

export interface CheckBroadcastOptions {
  forwarder?: Address;
  donId: number;
  configVersion: number;
  /** The simulated DON's report signer keys, in DON order. */
  signerKeys: Hex[];
  /** Whether `signerKeys` were generated because none were given. */
  freshSigners: boolean;
  transmitterKey?: Hex;
  /** Where the transmitter key came from, for the message (e.g. "--transmitter-key"). */
  transmitterSource?: string;
}

/** An address with no code: the forwarder marks it an invalid receiver instead of calling it. */
const PROBE_RECEIVER: Address = "0x000000000000000000000000000000000000dEaD";

const refuse = (message: string, context: Record<string, unknown> = {}): never => {
  throw new CreHostError("BROADCAST_REFUSED", `--broadcast refused: ${message}`, context);
};

/** The forwarder's custom error name and arguments from an `eth_call` revert, if it is one. */
function forwarderError(err: unknown): { name: string; args: readonly unknown[] } | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError) || !reverted.data) return undefined;
  return { name: reverted.data.errorName, args: reverted.data.args ?? [] };
}

/**
 * Checks, before `--broadcast` sends anything, that the writes can land: a forwarder is given and
 * has code, it holds a config for (donId, configVersion) whose `f` the DON's signatures meet, the
 * DON's signer keys are its signers, and the transmitter has funds. KeystoneForwarder has no getter
 * for a config, so it asks `report` with `eth_call`: a report for the config with no signatures
 * reverts `InvalidConfig` when the config is missing and `InvalidSignatureCount(f + 1, 0)` when it
 * exists; one signed by f + 1 of the DON's keys reverts `InvalidSigner` for a key it does not know.
 * Throws `BROADCAST_REFUSED` naming what is missing.
 */
export async function checkBroadcast(
  client: PublicClient<Transport, Chain | undefined>,
  opts: CheckBroadcastOptions,
): Promise<void> {
  const { forwarder, donId, configVersion } = opts;
  if (!forwarder || forwarder === zeroAddress) {
    refuse(
      "no forwarder: pass --forwarder (or VIGIL_FORWARDER), the KeystoneForwarder the writes go through",
    );
  }
  if (!opts.transmitterKey) {
    refuse(
      "no transmitter key: pass --transmitter-key (or VIGIL_CRE_TRANSMITTER_KEY, or CRE_ETH_PRIVATE_KEY " +
        "in the environment or the project's .env), a funded key that pays for the writes",
    );
  }
  const chainId = await client.getChainId();
  const code = await client.getCode({ address: forwarder! });
  if (!code || code === "0x") {
    refuse(`no contract at forwarder ${forwarder} on chain ${chainId}`, { forwarder, chainId });
  }
  const transmitter = privateKeyToAccount(opts.transmitterKey!).address;
  const probe = (signatures: Hex[]) => {
    const raw = encodeReportMetadata({
      version: 1,
      // Random, so the probe never meets a transmission that was already attempted.
      executionId: generatePrivateKey(),
      timestamp: Math.floor(Date.now() / 1000),
      donId,
      donConfigVersion: configVersion,
      workflowId: `0x${"00".repeat(32)}`,
      workflowName: `0x${"00".repeat(10)}`,
      workflowOwner: zeroAddress,
      reportId: "0x0000",
    });
    const context = encodeReportContext(new Uint8Array(32), 0n);
    return { raw, context, signatures };
  };
  const call = async (p: { raw: Uint8Array; context: Uint8Array; signatures: Hex[] }) => {
    try {
      await client.simulateContract({
        address: forwarder!,
        abi: forwarderAbi,
        functionName: "report",
        args: [PROBE_RECEIVER, bytesToHex(p.raw), bytesToHex(p.context), p.signatures],
        account: transmitter,
      });
      return undefined;
    } catch (err) {
      const e = forwarderError(err);
      if (!e) throw err;
      return e;
    }
  };
  const unsigned = await call(probe([]));
  const where = `DON id ${donId}, config version ${configVersion}`;
  if (unsigned?.name === "InvalidConfig") {
    refuse(
      `the forwarder ${forwarder} holds no config for ${where} (InvalidConfig(${unsigned.args[0]})): ` +
        "pass the --don-id and --config-version it was set up with (KeystoneForwarder.setConfig)",
      { forwarder, donId, configVersion },
    );
  }
  if (unsigned?.name !== "InvalidSignatureCount") {
    refuse(`the forwarder ${forwarder} answered an unsigned report with ${unsigned?.name ?? "success"}`);
  }
  const needed = Number(unsigned!.args[0]);
  const f = Math.floor((opts.signerKeys.length - 1) / 3);
  if (needed !== f + 1) {
    refuse(
      `the forwarder's config for ${where} needs ${needed} signatures (f = ${needed - 1}), but the ` +
        `simulated DON of ${opts.signerKeys.length} signers gives f + 1 = ${f + 1}: pass the forwarder's ` +
        `${3 * (needed - 1) + 1} signer keys with --signer-keys`,
      { needed, signers: opts.signerKeys.length },
    );
  }
  const p = probe([]);
  const signers = opts.signerKeys.slice(0, needed).map((k) => privateKeyToAccount(k));
  p.signatures = await Promise.all(
    signers.map(async (s) => bytesToHex(await signReport(s, p.raw, p.context))),
  );
  const signed = await call(p);
  if (signed?.name === "InvalidSigner") {
    const who = String(signed.args[0]).toLowerCase();
    const index = signers.findIndex((s) => s.address.toLowerCase() === who);
    refuse(
      opts.freshSigners
        ? `the simulated DON's signer keys are fresh keys the forwarder does not know: pass its signers' ` +
            "keys with --signer-keys (or VIGIL_CRE_SIGNER_KEYS)"
        : `signer ${signed.args[0]} (key ${index} of --signer-keys) is not a signer of the forwarder's ` +
            `config for ${where}`,
      { signer: signed.args[0] },
    );
  }
  if (signed) refuse(`the forwarder ${forwarder} refused a signed probe report: ${signed.name}`);
  const balance = await client.getBalance({ address: transmitter });
  if (balance === 0n) {
    refuse(
      `the transmitter ${transmitter} (from ${opts.transmitterSource ?? "--transmitter-key"}) is unfunded: ` +
        `it has no ETH on chain ${chainId} to pay for the writes`,
      { transmitter, chainId },
    );
  }
}
