// One epoch's consensus: Tendermint-style rounds ("views") over the observation set, then a
// ResultVote. The rules below are numbered as in docs/protocol.md; keep the two in step.
import type { Logger } from "pino";
import type { Address, Hex, LocalAccount } from "viem";
import { type GossipMessage, openEnvelope } from "../p2p/index";
import type { Store } from "../store/store";
import { type ComputedResult, computeResult, observationsCommitment } from "./computeResult";
import { AgreementError } from "./errors";
import type { ConsensusMessage, ProposalMsg, ResultVoteMsg, VoteStepMsg } from "./messages";
import { decodeMessage, encodeMessage } from "./messages";
import type { AgreementMetrics } from "./metrics";
import { decodeObservation } from "./observationCodec";
import type { AgreementOptions } from "./options";
import { recoverResultVoteSigner, signResultVote } from "./resultVote";
import type {
  EpochCertificate,
  EpochContext,
  EquivocationEvidence,
  FraudEvidenceVerifier,
  ObservationSet,
  ResultVote,
} from "./types";

type Step = "propose" | "prevote" | "precommit";
type Ref = { observer: Address; hash: Hex };
const NIL = "nil";
/** Rebroadcast rounds after the certificate in which we still offer our observation to late nodes. */
const OBSERVATION_OFFERS_AFTER_CERTIFICATE = 10;

/**
 * Views above the current one whose messages are kept (docs/protocol.md, "Bounds"). After GST
 * honest nodes are at most one view apart (the first to time out is one ahead); the second view of
 * margin covers a node still finishing its view change when the next leader already proposed. A
 * message further ahead only raises its sender's view mark for the catch-up rule (2); the senders'
 * rebroadcasts bring its content once this node has caught up. Each kept view holds at most one
 * proposal (<= 1 MiB, the topic limit) and 2n step messages.
 */
export const VIEW_MARGIN = 2;
/**
 * Passed views whose messages are kept whole: the previous one (a node one view behind is normal;
 * its messages are still relayed). Of older views only the non-nil precommits are kept, as values.
 */
const VIEWS_KEPT_BEHIND = 1;

/** signer -> the value it sent (NIL for nil) and its signed envelope. */
type Tally = Map<string, { value: string; envelope: Uint8Array }>;

/** Everything kept for one view; dropped as a whole once the view is passed. */
interface ViewState {
  proposal?: {
    /** Without its justification, which was checked on arrival (`justifiers`). */
    msg: ProposalMsg;
    envelope: Uint8Array;
    id: Hex;
    /** Signers of the valid prevotes for `id` in `msg.validView` carried in the justification. */
    justifiers: Set<string>;
  };
  prevotes: Tally;
  precommits: Tally;
  polkaDone: boolean;
}

/** How a consensus message stands against the current view. */
export type Admission = "ok" | "invalid" | "view_ahead" | "view_passed";

export interface EpochDeps {
  opts: AgreementOptions;
  store: Store;
  log: Logger;
  account: LocalAccount;
  verifyFraud: FraudEvidenceVerifier;
  /** Re-gossips observers' signed observation envelopes (a leader relays what it proposes). */
  relay(envelopes: Uint8Array[]): Promise<void>;
  /** Seals (signs) and gossips; resolves with the signed envelope. */
  publish(kind: "agreement" | "observations", data: Uint8Array): Promise<Uint8Array>;
  agreementTopic: string;
  metrics?: AgreementMetrics;
  onEquivocation(e: EquivocationEvidence): void;
}

export class EpochConsensus {
  readonly ctx: EpochContext;
  readonly n: number;
  readonly f: number;
  readonly quorum: number;
  private readonly oracles: Address[];
  private readonly peerToSigner = new Map<string, string>();
  private readonly me: string;

  private readonly observations = new Map<string, Map<Hex, ObservationSet>>();
  private readonly values = new Map<string, Ref[]>();
  private readonly computed = new Map<string, ComputedResult | "invalid">();
  private readonly computing = new Set<string>();
  /** Views in [view - VIEWS_KEPT_BEHIND, view + VIEW_MARGIN], plus validView's prevotes (justification). */
  private readonly views = new Map<number, ViewState>();
  /** signer -> the highest view it sent a message for (rule 2 reads only these numbers). */
  private readonly highestView = new Map<string, number>();
  /**
   * Non-nil precommits of views passed and dropped (signer -> value): rule 1's evidence. A node
   * that others' decision left behind (they stop changing views once decided) may be moved on by a
   * Byzantine oracle's votes; it still decides from the decided nodes' rebroadcast precommits.
   * One entry per signer and view; views only advance with honest progress.
   */
  private readonly passedCommits = new Map<number, Map<string, string>>();
  /** value -> a view where it has 2f+1 precommits (kept or passed): what rule 1 tries to decide. */
  private readonly decidable = new Map<string, number>();
  private readonly votes = new Map<string, ResultVote>();

  private view = 0;
  private step: Step = "propose";
  private lockedValue: string | null = null;
  private lockedView = -1;
  private validValue: string | null = null;
  private validView = -1;
  private decided: string | null = null;
  private certified = false;
  private ticksSinceCertified = 0;
  private quorumSince: number | undefined;
  private readonly timersArmed = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private myMessages: {
    proposal?: Uint8Array;
    prevote?: Uint8Array;
    precommit?: Uint8Array;
    vote?: Uint8Array;
  } = {};
  private ownObservation: { bytes: Uint8Array; hash: Hex } | undefined;
  private resultSaved = false;
  private evaluating = false;
  private reevaluate = false;
  private stopped = false;
  private readonly startedAt = performance.now();
  /** When the last new message or observation arrived: re-offers of megabyte observations wait for a stall. */
  private lastProgressAt = performance.now();
  private readonly done = deferred<EpochCertificate>();

  constructor(
    ctx: EpochContext,
    private readonly deps: EpochDeps,
  ) {
    this.ctx = ctx;
    this.n = ctx.oracles.length;
    this.f = Math.floor((this.n - 1) / 3);
    this.quorum = 2 * this.f + 1;
    this.oracles = ctx.oracles.map((o) => o.signer.toLowerCase() as Address).sort();
    for (const o of ctx.oracles) this.peerToSigner.set(o.peerId, o.signer.toLowerCase());
    this.me = deps.account.address.toLowerCase();
    if (new Set(this.oracles).size !== this.n || this.n < 1)
      throw new AgreementError("AGREEMENT_BAD_CONTEXT", "oracle set must be non-empty and unique");
    if (!this.oracles.includes(this.me as Address))
      throw new AgreementError("AGREEMENT_BAD_CONTEXT", "this node's signer is not in the oracle set", {
        me: this.me,
      });
    this.done.promise.catch(() => {});
  }

  get certificate(): Promise<EpochCertificate> {
    return this.done.promise;
  }

  /** The view this node is in. */
  get currentView(): number {
    return this.view;
  }

  signerOf(peerId: string): string | undefined {
    return this.peerToSigner.get(peerId);
  }

  private get log(): Logger {
    return this.deps.log;
  }

  private proposer(view: number): string {
    return this.oracles[Number((this.ctx.epoch + BigInt(view)) % BigInt(this.n))]!;
  }

  /** Restores state from the store (restart) and starts. */
  async start(own: { bytes: Uint8Array; hash: Hex }): Promise<void> {
    const { store } = this.deps;
    const { networkId, epoch } = this.ctx;
    const saved = store.getConsensusState(networkId, epoch);
    if (saved) {
      this.view = saved.view;
      this.lockedValue = saved.lockedValue;
      this.lockedView = saved.lockedView;
      this.validValue = saved.validValue;
      this.validView = saved.validView;
      this.log.info({ view: this.view, locked: this.lockedValue }, "resuming epoch from store");
    }
    for (const o of store.getObservations(networkId, epoch)) this.addObservation(o, false);
    this.ownObservation = own;
    const decided = store.getSigningDecision(networkId, epoch, "result-vote", -1);
    const result = store.getEpochResult(networkId, epoch);
    if (decided && result && result.observationsCommitment === decided) {
      // Already voted before a restart: re-sign the same result (RFC 6979: the same signature).
      this.decided = decided;
      this.resultSaved = true;
      for (const v of store.getVotes(networkId, epoch)) this.votes.set(v.signer.toLowerCase(), v);
      const vote = await signResultVote(this.deps.account, this.ctx, result);
      this.votes.set(this.me, vote);
      this.myMessages.vote = encodeMessage(voteMsg(vote));
      this.checkCertificate(result.resultRoot, result.observationsCommitment);
    } else if (decided) {
      this.decided = null;
      this.pendingDecision = decided;
    }
    this.startView(this.view, true);
    this.arm(`rebroadcast`, this.deps.opts.rebroadcastMs, () => this.rebroadcast(), true);
    await this.deps
      .publish("observations", own.bytes)
      .catch((err) => this.log.warn({ err }, "publish observation"));
    this.evaluate();
  }

  /** A decision recorded before a crash whose result row was not yet written: sign only that value. */
  private pendingDecision: string | null = null;

  stop(): void {
    if (this.stopped) return;
    this.halt();
    this.done.reject(new AgreementError("AGREEMENT_STOPPED", "agreement stopped"));
  }

  /** Ends the epoch with `err` (its certificate rejects): for failures after which signing must not go on. */
  private fail(err: unknown): void {
    if (this.stopped) return;
    this.log.error({ err, view: this.view }, "epoch agreement failed");
    this.halt();
    this.done.reject(err);
  }

  private halt(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /**
   * Runs a step that signs or publishes in the background. Its failure is logged and consensus goes
   * on (the rule fires again on the next evaluation), unless `onError` decides otherwise.
   */
  /** A best-effort gossip send that failed (no peer reachable): retried on the next tick, logged at debug. */
  private readonly quietFailure = (err: unknown): void =>
    this.log.debug({ err, view: this.view }, "gossip send failed; retried next tick");

  private background(what: string, work: Promise<unknown>, onError?: (err: unknown) => void): void {
    work.catch((err: unknown) => {
      if (onError) onError(err);
      else this.log.warn({ err, view: this.view, step: what }, "agreement step failed; continuing");
    });
  }

  /** Memory kept from gossip: envelope bytes of the kept views' messages, and how many views. */
  memory(): { retainedBytes: number; views: number } {
    // A passed view's precommit is a signer and a value, a ref an address and a hash: ~150 bytes.
    let retainedBytes = 0;
    for (const byView of this.passedCommits.values()) retainedBytes += 150 * byView.size;
    for (const refs of this.values.values()) retainedBytes += 150 * refs.length;
    for (const s of this.views.values()) {
      retainedBytes += s.proposal?.envelope.length ?? 0;
      for (const t of [s.prevotes, s.precommits])
        for (const e of t.values()) retainedBytes += e.envelope.length;
    }
    return { retainedBytes, views: this.views.size };
  }

  // --- inputs ------------------------------------------------------------------------------------

  /**
   * An observation (already stored, with its hash) from `peerId`; false if it does not belong to
   * this epoch's oracles. `decoded` spares a second decode when the gossip validator already did it.
   */
  addObservation(
    input: { peerId: string; bytes: Uint8Array; envelope: Uint8Array; hash: Hex; decoded?: ObservationSet },
    evaluate = true,
  ): boolean {
    const { peerId, bytes, envelope, hash, decoded } = input;
    const signer = this.peerToSigner.get(peerId);
    let o: ObservationSet;
    try {
      o = decoded ?? decodeObservation(bytes);
    } catch {
      return false;
    }
    if (!signer || o.observer.toLowerCase() !== signer) return false;
    let byHash = this.observations.get(signer);
    if (!byHash) {
      byHash = new Map();
      this.observations.set(signer, byHash);
    }
    if (!byHash.has(hash) && byHash.size > 0) {
      const other = this.deps.store
        .getObservations(this.ctx.networkId, this.ctx.epoch)
        .find((s) => s.observer.toLowerCase() === signer && s.hash !== hash);
      if (other) this.equivocation(signer as Address, "observation", other.envelope, envelope);
    }
    if (!byHash.has(hash)) this.lastProgressAt = performance.now();
    byHash.set(hash, o);
    if (evaluate) this.evaluate();
    return true;
  }

  /**
   * Gossip validation of a consensus message by `signer` (a member of this epoch's oracle set)
   * against the current view: "invalid" is a protocol violation (REJECT); "view_ahead" and
   * "view_passed" are messages this node keeps nothing of (IGNORE, not relayed). A message ahead
   * still raises its sender's view mark, which is all the catch-up rule (2) reads. Once decided,
   * messages of the kept views are still relayed (a node behind this one may need them) but not kept.
   */
  admit(signer: string, m: ConsensusMessage): Admission {
    if (m.t === "vote") return "ok";
    if (m.t === "proposal") {
      if (signer !== this.proposer(m.view)) return "invalid";
      // A value names at most n distinct oracles; a justification is at most one prevote per oracle.
      if (m.observations.length > this.n || m.justification.length > this.n) return "invalid";
    }
    this.noteView(signer, m.view);
    if (m.view > this.view + VIEW_MARGIN) return "view_ahead";
    if (m.view < this.view - VIEWS_KEPT_BEHIND && (m.t !== "precommit" || m.value === null))
      return "view_passed";
    return "ok";
  }

  private noteView(signer: string, view: number): void {
    const prev = this.highestView.get(signer) ?? -1;
    if (view <= prev) return;
    this.highestView.set(signer, view);
    // Rule 2 may fire on the number alone (the message itself may be one that is not kept). Not
    // re-entrantly: this runs inside gossip validation and inside the handling of a proposal.
    if (view > this.view) queueMicrotask(() => this.evaluate());
  }

  /** A verified gossip message on the agreement topic (signature and sender already checked). */
  async onMessage(msg: GossipMessage, decoded?: ConsensusMessage): Promise<void> {
    const signer = this.peerToSigner.get(msg.from);
    if (!signer || this.stopped) return;
    try {
      const m = decoded ?? decodeMessage(msg.data);
      if (m.t === "vote") await this.onVote(signer, m);
      else if (this.admit(signer, m) === "ok") {
        if (m.t === "proposal") this.onProposal(signer, m, msg.envelope);
        else this.onStep(signer, m, msg.envelope);
      }
      this.evaluate();
    } catch (err) {
      this.log.warn({ err, from: msg.from }, "agreement message dropped");
    }
  }

  private state(view: number): ViewState {
    let s = this.views.get(view);
    if (!s) {
      s = { prevotes: new Map(), precommits: new Map(), polkaDone: false };
      this.views.set(view, s);
    }
    return s;
  }

  private onProposal(signer: string, m: ProposalMsg, envelope: Uint8Array): void {
    if (this.decided !== null) return;
    const refs = m.observations as Ref[];
    const id = observationsCommitment(refs);
    const s = this.state(m.view);
    const prev = s.proposal;
    if (prev) {
      if (prev.id !== id || prev.msg.validView !== m.validView)
        this.equivocation(signer as Address, "proposal", prev.envelope, envelope);
      return;
    }
    const justifiers = m.validView >= 0 ? this.justify(m, id) : new Set<string>();
    this.values.set(id, refs);
    // An own copy: the gossip frame the envelope arrived in is not kept alive by a view of it.
    s.proposal = { msg: { ...m, justification: [] }, envelope: envelope.slice(), id, justifiers };
    this.lastProgressAt = performance.now();
  }

  /**
   * The signers of the justification's valid prevotes for `id` in the proposal's validView. They are
   * ordinary signed prevotes: kept like gossiped ones when their view is kept (late nodes learn the
   * polka); a bad one only means the proposal may not be justified (rule 5 counts).
   */
  private justify(m: ProposalMsg, id: Hex): Set<string> {
    const out = new Set<string>();
    for (const b64 of m.justification) {
      try {
        const env = Buffer.from(b64, "base64");
        const opened = openEnvelope(this.deps.agreementTopic, env);
        const s = this.peerToSigner.get(opened.from);
        const pv = decodeMessage(opened.payload);
        if (!s || pv.t !== "prevote" || pv.view !== m.validView) continue;
        if (pv.networkId !== this.ctx.networkId || pv.epoch !== this.ctx.epoch) continue;
        if (pv.value === id) out.add(s);
        if (this.admit(s, pv) === "ok") this.onStep(s, pv, env);
      } catch {
        // Not a signed prevote of this epoch: it justifies nothing.
      }
    }
    return out;
  }

  private onStep(signer: string, m: VoteStepMsg, envelope: Uint8Array): void {
    if (this.decided !== null) return;
    const value = m.value ?? NIL;
    if (m.view < this.view - VIEWS_KEPT_BEHIND) {
      if (m.t === "precommit" && value !== NIL) this.passedCommit(m.view, signer, value);
      return;
    }
    const s = this.state(m.view);
    const tally = m.t === "prevote" ? s.prevotes : s.precommits;
    const prev = tally.get(signer);
    if (prev) {
      if (prev.value !== value) this.equivocation(signer as Address, m.t, prev.envelope, envelope);
      return;
    }
    tally.set(signer, { value, envelope: envelope.slice() });
    if (m.t === "precommit") this.countCommits(m.view, value, s.precommits);
    this.lastProgressAt = performance.now();
  }

  private passedCommit(view: number, signer: string, value: string): void {
    let byView = this.passedCommits.get(view);
    if (!byView) {
      byView = new Map();
      this.passedCommits.set(view, byView);
    }
    if (byView.has(signer)) return;
    byView.set(signer, value);
    this.countCommits(view, value, byView);
    this.lastProgressAt = performance.now();
  }

  private countCommits(view: number, value: string, tally: ReadonlyMap<string, string | { value: string }>) {
    if (value === NIL || this.decidable.has(value)) return;
    let c = 0;
    for (const v of tally.values()) if ((typeof v === "string" ? v : v.value) === value) c++;
    if (c >= this.quorum) this.decidable.set(value, view);
  }

  private async onVote(signer: string, m: ResultVoteMsg): Promise<void> {
    const vote: ResultVote = {
      networkId: m.networkId,
      epoch: m.epoch,
      resultRoot: m.resultRoot as Hex,
      observationsCommitment: m.observationsCommitment as Hex,
      signer: signer as Address,
      signature: m.signature as Hex,
    };
    const recovered = await recoverResultVoteSigner(this.ctx, vote, vote.signature).catch(() => undefined);
    if (recovered?.toLowerCase() !== signer) return;
    const prev = this.votes.get(signer);
    if (prev) {
      if (prev.resultRoot !== vote.resultRoot || prev.observationsCommitment !== vote.observationsCommitment)
        this.equivocation(signer as Address, "result-vote", voteBytes(prev), voteBytes(vote));
      return;
    }
    this.votes.set(signer, vote);
    this.lastProgressAt = performance.now();
    this.deps.store.saveVote(vote);
    const mine = this.votes.get(this.me);
    if (mine) this.checkCertificate(mine.resultRoot, mine.observationsCommitment);
  }

  private equivocation(
    signer: Address,
    kind: EquivocationEvidence["kind"],
    first: Uint8Array,
    second: Uint8Array,
  ) {
    const e: EquivocationEvidence = {
      networkId: this.ctx.networkId,
      epoch: this.ctx.epoch,
      signer,
      kind,
      first,
      second,
    };
    if (this.deps.store.saveEquivocation(e)) {
      this.log.warn({ signer, kind }, "equivocation");
      this.deps.metrics?.equivocations.inc({ kind });
      this.deps.onEquivocation(e);
    }
  }

  // --- the state machine ---------------------------------------------------------------------------

  private startView(view: number, resumed = false): void {
    this.view = view;
    this.step = "propose";
    this.deps.metrics?.views.inc();
    this.deps.metrics?.currentView.set(view);
    if (!resumed) this.persist();
    this.myMessages.proposal = undefined;
    this.myMessages.prevote = undefined;
    this.myMessages.precommit = undefined;
    this.prune();
    const { proposeTimeoutMs, timeoutDeltaMs } = this.deps.opts;
    // Rule 8: nothing proposed in time -> prevote nil.
    this.arm(`propose:${view}`, proposeTimeoutMs + view * timeoutDeltaMs, () => {
      if (this.view === view && this.step === "propose")
        this.background("prevote", this.sendStep("prevote", null));
    });
    this.log.debug({ view, proposer: this.proposer(view) }, "view started");
  }

  /**
   * Drops what passed views and values no longer need: the state of views below
   * `view - VIEWS_KEPT_BEHIND` except their non-nil precommits (as values, `passedCommits`) and
   * validView's prevotes (the justification of a re-proposal); once decided, everything but the
   * current view's proposal (still relayed to late nodes).
   */
  private prune(): void {
    const low = this.view - VIEWS_KEPT_BEHIND;
    for (const [v, s] of this.views) {
      if (this.decided !== null) {
        if (v === this.view && s.proposal) {
          s.prevotes.clear();
          s.precommits.clear();
        } else this.views.delete(v);
      } else if (v < low) {
        for (const [signer, { value }] of s.precommits)
          if (value !== NIL) this.passedCommit(v, signer, value);
        if (v === this.validView) {
          s.proposal = undefined;
          s.precommits.clear();
        } else this.views.delete(v);
      }
    }
    if (this.decided !== null) {
      this.passedCommits.clear();
      this.decidable.clear();
    }
    // Computed results (megabytes) stay only for a kept proposal, the lock, the valid value and the
    // decision; one that rule 1 needs again is recomputed. The values' refs (at most n entries, one
    // value per view's leader) stay until the decision: a passed view's precommits may still
    // decide its value, and a node that was not locked on it has no other copy of its refs.
    const keep = new Set<string>();
    for (const id of [this.lockedValue, this.validValue, this.decided, this.pendingDecision])
      if (id !== null) keep.add(id);
    for (const s of this.views.values()) if (s.proposal) keep.add(s.proposal.id);
    for (const id of this.computed.keys()) if (!keep.has(id)) this.computed.delete(id);
    if (this.decided !== null) for (const id of this.values.keys()) if (!keep.has(id)) this.values.delete(id);
    for (const key of this.timersArmed) {
      const v = Number(key.split(":")[1]);
      if (Number.isInteger(v) && v < low) this.timersArmed.delete(key);
    }
  }

  private persist(): void {
    this.deps.store.saveConsensusState({
      networkId: this.ctx.networkId,
      epoch: this.ctx.epoch,
      view: this.view,
      lockedValue: this.lockedValue,
      lockedView: this.lockedView,
      validValue: this.validValue,
      validView: this.validView,
    });
  }

  private arm(key: string, ms: number, fn: () => void, repeat = false): void {
    if (this.stopped || (!repeat && this.timersArmed.has(key))) return;
    this.timersArmed.add(key);
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.stopped) return;
      try {
        fn();
      } catch (err) {
        // A timer's throw would be an uncaught exception (the process exits): log and go on.
        this.log.warn({ err, timer: key, view: this.view }, "agreement timer failed");
      }
      if (repeat) {
        this.timersArmed.delete(key);
        this.arm(key, ms, fn, true);
      }
      this.evaluate();
    }, ms);
    this.timers.add(t);
  }

  /** Validity of a value: 2f+1 distinct oracles' observations, all held locally, and a computable result. */
  private validity(id: string): "valid" | "invalid" | "pending" {
    const c = this.computed.get(id);
    if (c) return c === "invalid" ? "invalid" : "valid";
    const refs = this.values.get(id);
    if (!refs) return "pending";
    const observers = new Set(refs.map((r) => r.observer.toLowerCase()));
    if (
      observers.size !== refs.length ||
      observers.size < this.quorum ||
      ![...observers].every((o) => this.oracles.includes(o as Address))
    ) {
      this.computed.set(id, "invalid");
      return "invalid";
    }
    const used: { observation: ObservationSet; hash: Hex }[] = [];
    for (const r of refs) {
      const o = this.observations.get(r.observer.toLowerCase())?.get(r.hash.toLowerCase() as Hex);
      if (!o) return "pending"; // may still arrive by gossip; the propose timeout bounds the wait
      used.push({ observation: o, hash: r.hash.toLowerCase() as Hex });
    }
    if (!this.computing.has(id)) {
      this.computing.add(id);
      computeResult(this.ctx, used, this.deps.verifyFraud)
        .then((res) => {
          // A value pruned while it was computed stays out (its result can be megabytes).
          if (this.values.has(id))
            this.computed.set(id, res.result.observationsCommitment === id ? res : "invalid");
        })
        .catch((err) => {
          this.log.warn({ err, id }, "value invalid");
          if (this.values.has(id)) this.computed.set(id, "invalid");
        })
        .finally(() => {
          this.computing.delete(id);
          this.evaluate();
        });
    }
    return "pending";
  }

  private count(t: Tally | undefined, value?: string): number {
    if (!t) return 0;
    if (value === undefined) return t.size;
    let c = 0;
    for (const v of t.values()) if (v.value === value) c++;
    return c;
  }

  /** Distinct signers of prevotes for `id` in view `vr`: the proposal's justification and gossip. */
  private polkaSize(justifiers: Set<string>, vr: number, id: string): number {
    let c = justifiers.size;
    for (const [signer, { value }] of this.views.get(vr)?.prevotes ?? [])
      if (value === id && !justifiers.has(signer)) c++;
    return c;
  }

  private evaluate(): void {
    if (this.stopped) return;
    if (this.evaluating) {
      this.reevaluate = true;
      return;
    }
    this.evaluating = true;
    try {
      do {
        this.reevaluate = false;
        this.rules();
      } while (this.reevaluate && !this.stopped);
    } catch (err) {
      this.log.error({ err }, "agreement rule failed");
    } finally {
      this.evaluating = false;
    }
  }

  /** One pass over the rules; its cost is linear in the kept views (at most 4) times n. */
  private rules(): void {
    const r = this.view;
    const { stepTimeoutMs, timeoutDeltaMs, observationGraceMs } = this.deps.opts;

    // Rule 1: 2f+1 precommits for a value in any view -> decide it (sign the ResultVote). The
    // counts are kept as precommits arrive, so this looks only at values that reached 2f+1.
    if (this.decided === null) {
      for (const [value, view] of this.decidable) {
        if (this.validity(value) === "valid") {
          // A decision that cannot be completed ends the epoch: signing anything else is unsafe.
          this.background("decide", this.decide(value, view), (err) => this.fail(err));
          return;
        }
      }
    }

    // Rule 2: f+1 oracles already in a higher view -> jump to the highest view f+1 of them reached
    // (at least one of them is honest, so a Byzantine minority cannot push honest nodes ahead).
    const ahead: number[] = [];
    for (const [signer, v] of this.highestView) if (v > r && signer !== this.me) ahead.push(v);
    if (ahead.length > this.f) {
      ahead.sort((a, b) => b - a);
      this.startView(ahead[this.f]!);
      this.reevaluate = true;
      return;
    }

    const current = this.views.get(r);

    // Rule 3: the view's leader proposes.
    if (this.proposer(r) === this.me && !current?.proposal && !this.myMessages.proposal) {
      if (this.validValue !== null && this.values.has(this.validValue)) {
        this.background("propose", this.propose(this.validValue, this.validView));
      } else if (this.validValue === null) {
        const ready = this.readyObservations();
        if (ready.length >= this.quorum) {
          this.quorumSince ??= Date.now();
          const waited = Date.now() - this.quorumSince;
          if (ready.length === this.n || waited >= observationGraceMs) {
            const refs = ready.slice(0, this.n);
            const id = observationsCommitment(refs);
            this.values.set(id, refs);
            this.background("propose", this.propose(id, -1));
          } else this.arm(`grace:${r}`, observationGraceMs - waited + 1, () => {});
        }
      }
    }

    const proposal = current?.proposal;
    const pid = proposal?.id;

    // Rules 4 and 5: prevote on the proposal.
    if (this.step === "propose" && proposal && pid) {
      const vr = proposal.msg.validView;
      const v = this.validity(pid);
      if (vr === -1) {
        if (v !== "pending") {
          const ok = v === "valid" && (this.lockedView === -1 || this.lockedValue === pid);
          this.background("prevote", this.sendStep("prevote", ok ? pid : null));
        }
      } else if (vr < r && this.polkaSize(proposal.justifiers, vr, pid) >= this.quorum) {
        if (v !== "pending") {
          const ok = v === "valid" && (this.lockedView <= vr || this.lockedValue === pid);
          this.background("prevote", this.sendStep("prevote", ok ? pid : null));
        }
      }
    }

    const pv = current?.prevotes;
    // Rule 6: any 2f+1 prevotes -> prevote timeout.
    if (this.step === "prevote" && this.count(pv) >= this.quorum)
      this.arm(`prevote:${r}`, stepTimeoutMs + r * timeoutDeltaMs, () => {
        if (this.view === r && this.step === "prevote")
          this.background("precommit", this.sendStep("precommit", null));
      });

    // Rule 7: a polka (2f+1 prevotes for the proposal) -> lock and precommit.
    if (current && proposal && pid && this.step !== "propose" && !current.polkaDone) {
      if (this.count(pv, pid) >= this.quorum && this.validity(pid) === "valid") {
        current.polkaDone = true;
        if (this.step === "prevote") {
          this.lockedValue = pid;
          this.lockedView = r;
        }
        this.validValue = pid;
        this.validView = r;
        this.persist(); // the lock is durable before the precommit exists
        if (this.step === "prevote") this.background("precommit", this.sendStep("precommit", pid));
      }
    }

    // Rule 8b: 2f+1 nil prevotes -> precommit nil.
    if (this.step === "prevote" && this.count(pv, NIL) >= this.quorum)
      this.background("precommit", this.sendStep("precommit", null));

    // Rule 9: any 2f+1 precommits -> after the precommit timeout, next view.
    if (this.count(current?.precommits) >= this.quorum && this.decided === null)
      this.arm(`precommit:${r}`, stepTimeoutMs + r * timeoutDeltaMs, () => {
        if (this.view === r && this.decided === null) this.startView(r + 1);
      });
  }

  /** Observations usable for a fresh proposal: one per oracle (lowest hash if it equivocated), by signer. */
  private readyObservations(): Ref[] {
    const refs: Ref[] = [];
    for (const signer of this.oracles) {
      const byHash = this.observations.get(signer);
      if (!byHash || byHash.size === 0) continue;
      const hash = [...byHash.keys()].sort()[0]!;
      refs.push({ observer: signer, hash });
    }
    return refs;
  }

  private async propose(id: string, validView: number): Promise<void> {
    const r = this.view;
    const recorded = this.deps.store.recordSigningDecision({
      networkId: this.ctx.networkId,
      epoch: this.ctx.epoch,
      kind: "proposal",
      view: r,
      value: id,
    });
    const value = recorded;
    const refs = this.values.get(value);
    if (!refs) return; // proposed something else before a restart and lost its refs: stay silent this view
    const justification =
      validView >= 0
        ? [...(this.views.get(validView)?.prevotes.values() ?? [])]
            .filter((p) => p.value === value && p.envelope.length > 0)
            .map((p) => Buffer.from(p.envelope).toString("base64"))
        : [];
    const msg: ProposalMsg = {
      t: "proposal",
      networkId: this.ctx.networkId,
      epoch: this.ctx.epoch,
      view: r,
      validView,
      observations: refs,
      justification,
    };
    const bytes = encodeMessage(msg);
    this.myMessages.proposal = bytes;
    this.state(r).proposal = {
      msg: { ...msg, justification: [] },
      envelope: new Uint8Array(),
      id: value as Hex,
      justifiers: new Set(),
    };
    this.log.debug({ view: r, value, validView }, "proposing");
    await this.deps.publish("agreement", bytes).catch((err) => this.log.warn({ err }, "publish proposal"));
    this.evaluate();
  }

  private async sendStep(kind: "prevote" | "precommit", value: string | null): Promise<void> {
    const r = this.view;
    // The decision is on disk before the message exists; after a restart we repeat what is recorded.
    const recorded = this.deps.store.recordSigningDecision({
      networkId: this.ctx.networkId,
      epoch: this.ctx.epoch,
      kind,
      view: r,
      value: value ?? NIL,
    });
    this.step = kind;
    const msg: VoteStepMsg = {
      t: kind,
      networkId: this.ctx.networkId,
      epoch: this.ctx.epoch,
      view: r,
      value: recorded === NIL ? null : recorded,
    };
    const bytes = encodeMessage(msg);
    this.myMessages[kind] = bytes;
    const s = this.state(r);
    const t = kind === "prevote" ? s.prevotes : s.precommits;
    this.log.debug({ kind, view: r, value: recorded }, "signed step");
    const entry: { value: string; envelope: Uint8Array } = { value: recorded, envelope: new Uint8Array() };
    t.set(this.me, entry);
    if (kind === "precommit") this.countCommits(r, recorded, t);
    // Keep our own signed envelope: it is part of the justification when we re-propose later.
    entry.envelope = await this.deps.publish("agreement", bytes).catch((err) => {
      this.log.warn({ err }, `publish ${kind}`);
      return new Uint8Array();
    });
    this.evaluate();
  }

  private async decide(id: string, view: number): Promise<void> {
    if (this.decided !== null) return;
    if (this.pendingDecision !== null && this.pendingDecision !== id) {
      this.log.error({ id, recorded: this.pendingDecision }, "refusing to vote for a second result");
      return;
    }
    const computed = this.computed.get(id);
    if (!computed || computed === "invalid") return;
    const { store } = this.deps;
    const { networkId, epoch } = this.ctx;
    const existing = store.getSigningDecision(networkId, epoch, "result-vote", -1);
    if (existing !== undefined && existing !== id) {
      this.log.error({ id, recorded: existing }, "refusing to vote for a second result");
      return;
    }
    this.decided = id;
    const recorded = store.recordSigningDecision({
      networkId,
      epoch,
      kind: "result-vote",
      view: -1,
      value: id,
    });
    if (recorded !== id) {
      this.decided = null;
      throw new AgreementError("AGREEMENT_SIGNING_CONFLICT", "a different result vote is on record", {
        id,
        recorded,
      });
    }
    // Decided: the views' messages are no longer needed (only the current proposal, for relaying).
    this.prune();
    const vote = await signResultVote(this.deps.account, this.ctx, computed.result);
    store.saveVote(vote);
    this.votes.set(this.me, vote);
    this.myMessages.vote = encodeMessage(voteMsg(vote));
    this.log.info({ view, root: vote.resultRoot, commitment: id }, "decided; result vote signed");
    await this.deps
      .publish("agreement", this.myMessages.vote)
      .catch((err) => this.log.warn({ err }, "publish vote"));
    // The lines are written after the vote is out: 100k rows take ~0.6 s, and until they are on disk
    // the recorded decision alone keeps a restarted node to this result (it recomputes it from the
    // stored observations). The certificate is marked only once the result row exists.
    store.saveResult(computed.result, computed.tree);
    this.resultSaved = true;
    this.checkCertificate(vote.resultRoot, vote.observationsCommitment);
  }

  private checkCertificate(root: Hex, commitment: Hex): void {
    if (this.certified || !this.resultSaved) return;
    const votes = [...this.votes.values()].filter(
      (v) => v.resultRoot === root && v.observationsCommitment === commitment,
    );
    if (votes.length < this.quorum) return;
    this.certified = true;
    const { store } = this.deps;
    store.markCertified(this.ctx.networkId, this.ctx.epoch);
    const stored = store.getEpochResult(this.ctx.networkId, this.ctx.epoch);
    const computed = this.computed.get(commitment);
    this.deps.metrics?.epochSeconds.observe((performance.now() - this.startedAt) / 1000);
    if (computed && computed !== "invalid") this.done.resolve({ result: computed.result, votes });
    else if (stored) {
      // Restarted after voting: rebuild the certificate from the store (lines from the lines table).
      this.done.resolve({
        result: {
          ...stored,
          lines: store.getLines(this.ctx.networkId, this.ctx.epoch),
        },
        votes,
      });
    }
  }

  private rebroadcast(): void {
    const m = this.myMessages;
    // A rebroadcast with no peer reachable fails; the next tick tries again.
    for (const bytes of [m.proposal, m.prevote, m.precommit, m.vote])
      if (bytes) this.background("rebroadcast", this.deps.publish("agreement", bytes), this.quietFailure);
    // Until every oracle has voted, someone may still lack our observation (a node that restarted or
    // joined late cannot validate a proposal without it). Each offer floods megabytes through the
    // mesh, so offer only when nothing new arrived for a whole interval (the epoch is stalled), only
    // while some oracle has not shown it holds the observation, and once certified only for a bounded
    // number of rounds (a dead oracle never votes).
    if (this.certified) this.ticksSinceCertified++;
    const stalled = performance.now() - this.lastProgressAt >= this.deps.opts.rebroadcastMs;
    const offer =
      stalled && this.votes.size < this.n && this.ticksSinceCertified <= OBSERVATION_OFFERS_AFTER_CERTIFICATE;
    if (!offer) return;
    if (this.ownObservation && this.holders(this.ownObservation.hash).size < this.n)
      this.background(
        "offer observation",
        this.deps.publish("observations", this.ownObservation.bytes),
        this.quietFailure,
      );
    this.background("relay observations", this.relayMissing());
  }

  /**
   * Oracles whose own signed messages show they hold observation `hash`: its observer, and every
   * sender of a proposal, a non-nil prevote or precommit, or a result vote for a value that
   * references it (an honest node backs a value only when it holds all its observations).
   */
  private holders(hash: Hex): Set<string> {
    const out = new Set<string>([this.me]);
    const backs = (value: string) => {
      const refs = this.values.get(value);
      const ref = refs?.find((r) => r.hash.toLowerCase() === hash.toLowerCase());
      if (ref) out.add(ref.observer.toLowerCase());
      return ref !== undefined;
    };
    for (const [view, s] of this.views) {
      for (const t of [s.prevotes, s.precommits])
        for (const [signer, { value }] of t) if (value !== NIL && backs(value)) out.add(signer);
      if (s.proposal && backs(s.proposal.id)) out.add(this.proposer(view));
    }
    for (const [signer, v] of this.votes) if (backs(v.observationsCommitment)) out.add(signer);
    return out;
  }

  /**
   * As the leader of a fresh proposal, relays the referenced observations some oracle has not shown
   * it holds, so nobody lacks one that its observer sent only to us.
   */
  private async relayMissing(): Promise<void> {
    const p = this.views.get(this.view)?.proposal;
    if (!p || this.proposer(this.view) !== this.me || p.msg.validView !== -1) return;
    const wanted = new Set(
      (p.msg.observations as Ref[])
        .filter((r) => r.observer.toLowerCase() !== this.me && this.holders(r.hash).size < this.n)
        .map((r) => r.hash.toLowerCase()),
    );
    if (wanted.size === 0) return;
    const envelopes = this.deps.store
      .getObservations(this.ctx.networkId, this.ctx.epoch)
      .filter((o) => wanted.has(o.hash.toLowerCase()))
      .map((o) => o.envelope);
    await this.deps.relay(envelopes).catch((err) => this.log.warn({ err }, "relay observations"));
  }
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function voteMsg(v: ResultVote): ResultVoteMsg {
  return {
    t: "vote",
    networkId: v.networkId,
    epoch: v.epoch,
    resultRoot: v.resultRoot,
    observationsCommitment: v.observationsCommitment,
    signature: v.signature,
  };
}

function voteBytes(v: ResultVote): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x)),
  );
}
