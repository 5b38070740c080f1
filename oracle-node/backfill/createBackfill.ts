import { peerIdFromString } from "@libp2p/peer-id";
import { lpStream } from "@libp2p/utils";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { computeResult } from "../agreement/computeResult";
import { buildLinesTreeNodes } from "../agreement/linesTree";
import { openObservations } from "../agreement/replayEpoch";
import { recoverResultVoteSigner } from "../agreement/resultVote";
import type { EpochContext, FraudEvidenceVerifier, ResultVote } from "../agreement/types";
import type { P2P } from "../p2p/index";
import type { Store } from "../store/index";
import { BackfillError } from "./errors";
import type { Backfill, BackfillOutcome, SettledRoot } from "./interface";
import { type BackfillMetrics, createBackfillMetrics } from "./metrics";
import { type BackfillOptions, defaultBackfillOptions } from "./options";
import {
  BACKFILL_PROTOCOL,
  type BackfillAnswer,
  decodeAnswer,
  decodeRequest,
  encodeAnswer,
  encodeRefusal,
  encodeRequest,
  MAX_REQUEST_BYTES,
} from "./protocol";

const ZERO_ROOT = `0x${"00".repeat(32)}`;

export interface BackfillDeps {
  p2p: P2P;
  store: Store;
  /** The epoch's pinned context (oracles, devices, assignment, budget), as the agreement reads it. */
  epochContext: (networkId: bigint, epoch: bigint) => Promise<EpochContext>;
  verifyFraud: FraudEvidenceVerifier;
  /** Registered, active oracles' peer ids: only they are asked, and only they are answered. */
  isOracle: (peerId: string) => boolean;
  logger: Logger;
  metrics?: Registry;
}

/**
 * Threats. A peer that answers may be Byzantine: it can send forged, replayed or foreign
 * observations (each must be signed by the peer id the registry holds for its observer, for this
 * epoch's oracle set), a different but well-signed set (the recomputed root and commitment must
 * equal what the chain settled), forged votes (each is recovered and dropped unless an oracle of
 * the epoch signed that exact result), or a huge or endless answer (length-prefixed, refused above
 * `maxResponseBytes` before it is read; a deadline per peer). None of it is stored unless the whole
 * answer checks out. A peer that asks can only make this node read its store: requests are from
 * registered oracles only, tiny, at most `maxConcurrentServes` at once, and answers are bounded.
 */
export async function createBackfill(
  deps: BackfillDeps,
  options: Partial<BackfillOptions> = {},
): Promise<Backfill> {
  const o = { ...defaultBackfillOptions, ...options };
  const { p2p, store, logger } = deps;
  const log = logger.child({ module: "backfill" });
  const metrics: BackfillMetrics | undefined = deps.metrics && createBackfillMetrics(deps.metrics);
  const topic = p2p.topic("observations");
  let serving = 0;

  await p2p.libp2p.handle(
    BACKFILL_PROTOCOL,
    async (stream, connection) => {
      const peer = connection.remotePeer.toString();
      const outcome = (what: string) => metrics?.served.inc({ outcome: what });
      if (!deps.isOracle(peer) || serving >= o.maxConcurrentServes) {
        outcome(deps.isOracle(peer) ? "busy" : "not_oracle");
        stream.abort(new Error("refused"));
        return;
      }
      serving++;
      const signal = AbortSignal.timeout(o.requestTimeoutMs);
      try {
        const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES });
        const req = decodeRequest((await lp.read({ signal })).subarray());
        const answer = answerFor(store, req.networkId, req.epoch);
        let bytes = answer
          ? encodeAnswer(req.networkId, req.epoch, answer)
          : encodeRefusal("no certified result");
        if (bytes.length > o.maxResponseBytes) bytes = encodeRefusal("answer larger than the limit");
        await lp.write(bytes, { signal });
        await stream.close({ signal });
        outcome(answer ? "served" : "unknown");
      } catch (err) {
        outcome("bad_request");
        log.debug({ err, peer }, "backfill request failed");
        stream.abort(err instanceof Error ? err : new Error(String(err)));
      } finally {
        serving--;
      }
    },
    { maxInboundStreams: o.maxConcurrentServes * 2 },
  );

  const ask = async (peer: string, networkId: bigint, epoch: bigint): Promise<BackfillAnswer> => {
    const signal = AbortSignal.timeout(o.requestTimeoutMs);
    const stream = await p2p.libp2p.dialProtocol(peerIdFromString(peer), BACKFILL_PROTOCOL, { signal });
    try {
      const lp = lpStream(stream, { maxDataLength: o.maxResponseBytes });
      await lp.write(encodeRequest({ networkId, epoch }), { signal });
      const answer = decodeAnswer((await lp.read({ signal })).subarray(), { networkId, epoch });
      await stream.close({ signal });
      return answer;
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  };

  /** Checks a peer's answer against the chain and the epoch's oracles; stores it only if all of it holds. */
  const adopt = async (
    ctx: EpochContext,
    settled: SettledRoot,
    answer: BackfillAnswer,
  ): Promise<{ observations: number; votes: number }> => {
    let used: ReturnType<typeof openObservations>;
    try {
      used = openObservations(topic, ctx, answer.observations);
    } catch (err) {
      throw new BackfillError("BACKFILL_BAD_RESPONSE", (err as Error).message, {}, { cause: err });
    }
    const computed = await computeResult(ctx, used, deps.verifyFraud).catch((err: unknown) => {
      throw new BackfillError(
        "BACKFILL_BAD_RESPONSE",
        `the result function refused it: ${(err as Error).message}`,
      );
    });
    // The context carries no uptime history, so the recomputed rewards are the plain formula's; a
    // network with an uptime SLA settled others. The peer's rewards are taken in their place only if
    // the lines then hash to the root the chain settled: the root binds every line, so nothing the
    // peer sends can change what is stored (and no history, nor the history of that history, is needed).
    let { result, tree } = computed;
    if (result.resultRoot !== settled.resultRoot && answer.rewards.length === result.lines.length) {
      const lines = result.lines.map((l, i) => ({ ...l, reward: answer.rewards[i]! }));
      const withRewards = buildLinesTreeNodes(lines);
      if (withRewards.root === settled.resultRoot) {
        tree = withRewards;
        result = {
          ...result,
          lines,
          resultRoot: withRewards.root,
          totalReward: lines.reduce((sum, l) => sum + l.reward, 0n),
        };
      }
    }
    if (
      result.resultRoot !== settled.resultRoot ||
      result.observationsCommitment !== settled.observationsCommitment
    )
      throw new BackfillError(
        "BACKFILL_ROOT_MISMATCH",
        "the observations do not recompute to the settled root",
        {
          settled: settled.resultRoot,
          recomputed: result.resultRoot,
        },
      );
    const oracles = new Set(ctx.oracles.map((x) => x.signer.toLowerCase()));
    const votes: ResultVote[] = [];
    for (const v of answer.votes) {
      if (v.resultRoot !== result.resultRoot || v.observationsCommitment !== result.observationsCommitment)
        continue;
      if (!oracles.has(v.signer.toLowerCase())) continue;
      let signer: string;
      try {
        signer = await recoverResultVoteSigner(ctx, v, v.signature);
      } catch {
        continue; // a signature that recovers to nobody: a forged vote, not kept
      }
      if (signer.toLowerCase() === v.signer.toLowerCase()) votes.push(v);
    }
    for (const u of used)
      store.saveObservation({
        networkId: ctx.networkId,
        epoch: ctx.epoch,
        observer: u.observation.observer,
        hash: u.hash,
        peerId: u.peerId,
        bytes: u.bytes,
        envelope: answer.observations.find((x) => x.hash === u.hash)!.envelope,
      });
    store.saveResult(result, tree);
    for (const v of votes) store.saveVote(v);
    // The chain settled this root with f+1 DON signatures over 2f+1 result votes: it is certified
    // whether or not this peer kept every vote.
    store.markCertified(ctx.networkId, ctx.epoch);
    return { observations: used.length, votes: votes.length };
  };

  return {
    async fill(networkId, epoch, settled): Promise<BackfillOutcome> {
      const done = (what: string) => metrics?.epochs.inc({ outcome: what });
      if (settled.resultRoot === ZERO_ROOT) {
        done("BACKFILL_NOTHING_TO_FETCH");
        throw new BackfillError(
          "BACKFILL_NOTHING_TO_FETCH",
          "the epoch settled as a timeout: it has no result",
          {
            networkId,
            epoch,
          },
        );
      }
      const have = store.getEpochResult(networkId, epoch);
      if (have?.certified && have.resultRoot === settled.resultRoot)
        return {
          networkId,
          epoch,
          peerId: p2p.peerId,
          observations: have.observations.length,
          votes: have.votes.length,
        };
      const ctx = await deps.epochContext(networkId, epoch);
      const peers = p2p
        .peers()
        .filter((p) => deps.isOracle(p.peerId))
        .sort((a, b) => b.score - a.score)
        .slice(0, o.maxPeersPerEpoch);
      const failures: Record<string, string> = {};
      // Answers that reached this node and failed a check (a peer lying or broken), as opposed to
      // transport failures (a reset stream, EOF, a timeout): the driver retries the latter sooner.
      let refusedAnswers = 0;
      for (const peer of peers) {
        try {
          const answer = await ask(peer.peerId, networkId, epoch);
          const kept = await adopt(ctx, settled, answer);
          metrics?.answers.inc({ outcome: "ok" });
          done("filled");
          log.info({ networkId, epoch, peer: peer.peerId, ...kept }, "missed epoch filled in from a peer");
          return { networkId, epoch, peerId: peer.peerId, ...kept };
        } catch (err) {
          const code = err instanceof BackfillError ? err.code : "BACKFILL_UNAVAILABLE";
          metrics?.answers.inc({ outcome: code });
          if (err instanceof BackfillError) refusedAnswers++;
          // libp2p rejects a read on a reset stream with the stream's Event, not an Error.
          failures[peer.peerId] =
            err instanceof Error ? err.message : err instanceof Event ? `stream ${err.type}` : String(err);
          log.warn({ err, networkId, epoch, peer: peer.peerId }, "a peer's backfill answer was refused");
        }
      }
      done("BACKFILL_UNAVAILABLE");
      throw new BackfillError(
        "BACKFILL_UNAVAILABLE",
        peers.length ? "no peer's answer checked out" : "no oracle peer connected",
        { networkId, epoch, peers: failures, refusedAnswers },
      );
    },
    async stop() {
      await p2p.libp2p.unhandle(BACKFILL_PROTOCOL);
    },
  };
}

/** What this node can serve for an epoch: its certified result's used observations and votes. */
function answerFor(store: Store, networkId: bigint, epoch: bigint): BackfillAnswer | null {
  const stored = store.getEpochResult(networkId, epoch);
  if (!stored?.certified) return null;
  const rows = store.getObservations(networkId, epoch);
  const observations: BackfillAnswer["observations"] = [];
  for (const ref of stored.observations) {
    const row = rows.find((r) => r.hash === ref.hash && r.observer === ref.observer.toLowerCase());
    if (!row) return null;
    observations.push({ observer: ref.observer, hash: ref.hash, envelope: row.envelope });
  }
  return {
    observations,
    votes: stored.votes,
    rewards: store.getLines(networkId, epoch).map((l) => l.reward),
  };
}
