import type { Hex } from "viem";
import { openEnvelope } from "../p2p/index";
import type { Store } from "../store/index";
import { computeResult, type UsedObservation } from "./computeResult";
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
  const available = store.getObservations(ctx.networkId, ctx.epoch);
  const used = openObservations(
    observationsTopic,
    ctx,
    stored.observations.map((ref) => {
      const row = available.find((o) => o.hash === ref.hash && o.observer === ref.observer.toLowerCase());
      if (!row)
        throw new AgreementError("AGREEMENT_NOT_ENOUGH_OBSERVATIONS", "a used observation is missing", {
          ...ref,
        });
      return { observer: ref.observer, hash: ref.hash, envelope: row.envelope };
    }),
  );
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

/**
 * Opens signed observations someone else kept (the store, or a peer backfilling an epoch): each
 * envelope must be signed by the peer id registered for its observer in `ctx`, hash to `hash` and
 * decode to an observation by that observer. Throws AGREEMENT_BAD_OBSERVATION naming the first that
 * does not. What it returns is what `computeResult` takes.
 */
export function openObservations(
  observationsTopic: string,
  ctx: EpochContext,
  signed: readonly { observer: Hex; hash: Hex; envelope: Uint8Array }[],
): (UsedObservation & { peerId: string; bytes: Uint8Array })[] {
  const peerOf = new Map(ctx.oracles.map((o) => [o.signer.toLowerCase(), o.peerId]));
  return signed.map((ref) => {
    const bad = (why: string) =>
      new AgreementError("AGREEMENT_BAD_OBSERVATION", `observation ${why}`, {
        observer: ref.observer,
        hash: ref.hash,
      });
    let opened: ReturnType<typeof openEnvelope>;
    try {
      opened = openEnvelope(observationsTopic, ref.envelope);
    } catch {
      throw bad("envelope does not open (malformed or badly signed)");
    }
    if (opened.from !== peerOf.get(ref.observer.toLowerCase()))
      throw bad("is not signed by its observer's registered peer id");
    if (observationHash(opened.payload) !== ref.hash)
      throw bad("does not hash to the hash it was used under");
    let observation: ReturnType<typeof decodeObservation>;
    try {
      observation = decodeObservation(opened.payload);
    } catch {
      throw bad("does not decode");
    }
    if (observation.observer.toLowerCase() !== ref.observer.toLowerCase())
      throw bad("names another observer");
    return { observation, hash: ref.hash, peerId: opened.from, bytes: opened.payload };
  });
}
