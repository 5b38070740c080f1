import type { Hex } from "viem";
import { openEnvelope } from "../p2p/index";
import type { Store } from "../store/index";
import { computeResult } from "./computeResult";
import { AgreementError } from "./errors";
import { decodeObservation, observationHash } from "./observationCodec";
import type { EpochContext, FraudEvidenceVerifier } from "./types";

export interface ReplayOutcome {
  /** The stored (agreed) root and the one recomputed from the stored signed observations. */
  storedRoot: Hex;
  replayedRoot: Hex;
  storedCommitment: Hex;
  replayedCommitment: Hex;
  matches: boolean;
}

/**
 * Recomputes an epoch's result from the signed observations in the store: each observation's
 * envelope signature is checked against its observer's registered peer id, then the result function
 * runs again. What an auditor (or the API) does to show the result follows from signed inputs.
 */
export async function replayEpoch(
  store: Store,
  ctx: EpochContext,
  observationsTopic: string,
  verifyFraud: FraudEvidenceVerifier,
): Promise<ReplayOutcome> {
  const stored = store.getEpochResult(ctx.networkId, ctx.epoch);
  if (!stored)
    throw new AgreementError("AGREEMENT_NOT_ENOUGH_OBSERVATIONS", "no result stored for this epoch", {
      networkId: ctx.networkId,
      epoch: ctx.epoch,
    });
  const peerOf = new Map(ctx.oracles.map((o) => [o.signer.toLowerCase(), o.peerId]));
  const available = store.getObservations(ctx.networkId, ctx.epoch);
  const used = stored.observations.map((ref) => {
    const row = available.find((o) => o.hash === ref.hash && o.observer === ref.observer.toLowerCase());
    if (!row)
      throw new AgreementError("AGREEMENT_NOT_ENOUGH_OBSERVATIONS", "a used observation is missing", {
        ...ref,
      });
    const opened = openEnvelope(observationsTopic, row.envelope);
    if (
      opened.from !== peerOf.get(ref.observer.toLowerCase()) ||
      observationHash(opened.payload) !== ref.hash
    )
      throw new AgreementError(
        "AGREEMENT_BAD_OBSERVATION",
        "stored observation is not signed by its observer",
        {
          ...ref,
        },
      );
    return { observation: decodeObservation(opened.payload), hash: ref.hash };
  });
  const { result } = await computeResult(ctx, used, verifyFraud);
  return {
    storedRoot: stored.resultRoot,
    replayedRoot: result.resultRoot,
    storedCommitment: stored.observationsCommitment,
    replayedCommitment: result.observationsCommitment,
    matches:
      stored.resultRoot === result.resultRoot &&
      stored.observationsCommitment === result.observationsCommitment,
  };
}
