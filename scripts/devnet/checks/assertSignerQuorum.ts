import type { Address } from "viem";
import { DevnetError } from "../errors";

/**
 * A settlement report must carry exactly f + 1 signatures, each from a distinct registered oracle
 * signer, as the devnet configured Chainlink's `KeystoneForwarder` to demand. `signers` are the
 * addresses recovered from the report (`readReportSignatures`), in order.
 */
export function assertSignerQuorum(
  epoch: bigint,
  signers: readonly Address[],
  registered: readonly Address[],
  f: number,
): void {
  const known = new Set(registered.map((s) => s.toLowerCase()));
  const seen = new Set<string>();
  const problems: string[] = [];
  if (signers.length !== f + 1) problems.push(`${signers.length} signatures, expected f + 1 = ${f + 1}`);
  for (const signer of signers) {
    const key = signer.toLowerCase();
    if (seen.has(key)) problems.push(`${signer} signed twice`);
    else if (!known.has(key)) problems.push(`${signer} is not a registered signer`);
    seen.add(key);
  }
  if (problems.length === 0) return;
  throw new DevnetError("CHECK_FAILED", `epoch ${epoch}: settlement report: ${problems.join("; ")}`, {
    check: "report-signers",
    epoch: String(epoch),
    signers,
  });
}
