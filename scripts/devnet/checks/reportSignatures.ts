import {
  type Address,
  concat,
  decodeFunctionData,
  type Hash,
  type Hex,
  keccak256,
  type PublicClient,
  parseAbi,
  recoverAddress,
  serializeSignature,
  slice,
} from "viem";

const forwarderAbi = parseAbi([
  "function report(address receiver, bytes rawReport, bytes reportContext, bytes[] signatures)",
]);

export interface ReportSignatures {
  txHash: Hash;
  receiver: Address;
  /** Signers recovered from the report's signatures, in order. */
  signers: Address[];
}

/**
 * Reads the signatures a `KeystoneForwarder.report` transaction carried and recovers who signed
 * (`keccak256(keccak256(rawReport) || reportContext)`, 65-byte r|s|v with v in {0,1}), so a check can
 * see that exactly f + 1 distinct configured signers stood behind a settlement.
 */
export async function readReportSignatures(client: PublicClient, txHash: Hash): Promise<ReportSignatures> {
  const tx = await client.getTransaction({ hash: txHash });
  const { args } = decodeFunctionData({ abi: forwarderAbi, data: tx.input });
  const [receiver, rawReport, reportContext, signatures] = args;
  const digest = keccak256(concat([keccak256(rawReport), reportContext]));
  const signers = await Promise.all(
    signatures.map((sig: Hex) =>
      recoverAddress({
        hash: digest,
        signature: serializeSignature({
          r: slice(sig, 0, 32),
          s: slice(sig, 32, 64),
          yParity: Number.parseInt(slice(sig, 64, 65).slice(2), 16),
        }),
      }),
    ),
  );
  return { txHash, receiver, signers };
}
