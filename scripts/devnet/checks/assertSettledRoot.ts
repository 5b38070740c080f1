import type { Hex } from "viem";
import { DevnetError } from "../errors";

/**
 * The root the settlement contract stored for an epoch must be the one f + 1 nodes certified: the
 * lines the devnet reads and claims are proven against the certified root, and a different root on
 * chain means the report carried something the nodes never agreed on.
 */
export function assertSettledRoot(epoch: bigint, settledRoot: Hex, certifiedRoot: Hex): void {
  if (settledRoot.toLowerCase() === certifiedRoot.toLowerCase()) return;
  throw new DevnetError(
    "CHECK_FAILED",
    `epoch ${epoch}: root settled on chain ${settledRoot} differs from the root the nodes certified ${certifiedRoot}`,
    { check: "settled-root", epoch: String(epoch), settledRoot, certifiedRoot },
  );
}
