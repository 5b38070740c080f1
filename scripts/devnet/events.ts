import { EventEmitter } from "node:events";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import type { StrategyScore } from "../../attestation/fleet/scoreboard";

/** What the devnet has done, as a log the console, the dashboard and the summary all read. */
export type DevnetEventBody =
  | { type: "stage"; stage: string; status: "starting" | "ready" | "skipped" | "failed"; detail?: string }
  | { type: "chain"; name: "home" | "remote"; chainId: number; rpcUrl: string }
  | { type: "deployment"; chain: "home" | "remote"; addresses: Record<string, string> }
  | {
      type: "node";
      index: number;
      signer: string;
      peerId?: string;
      api?: string;
      status: "starting" | "up" | "down";
      peers: string[];
    }
  | { type: "device"; deviceId: string; owner: string; strategy: string; honest: boolean }
  | {
      type: "uptime";
      epoch: number;
      deviceId: string;
      uptimeBps: number;
      work: string;
      /** The reward the agreed line gives the device (paid once the epoch settles and it is claimed). */
      reward: string;
    }
  | {
      type: "epoch";
      epoch: number;
      verified: number;
      rewarded: number;
      slashed: Record<string, number>;
      rejected: number;
      resultRoot?: string;
      /** Result votes (EIP-712) the feed verified: the nodes agreed. */
      votes?: number;
      settlementTx?: string;
      signatures?: number;
      totalReward: string;
      /**
       * The epoch's books from its settlement (docs/contracts.md, "Economics"), token units as decimal
       * strings: emission split, emission carried (not paid: few devices qualified), the fee and its
       * burned / operators / treasury split, and the transmitter's gas reimbursement.
       */
      economics?: {
        emission: string;
        carried: string;
        fee: string;
        burned: string;
        toOperators: string;
        toTreasury: string;
        reimbursement: string;
      };
      /**
       * The uptime SLA (docs/interfaces.md, "Uptime SLA") as the devnet's own reward check reckoned it:
       * devices paid the bonus and what it came to, devices whose base reward was cut and by how much.
       */
      uptimeSla?: {
        windowEpochs: number;
        bonusThresholdBps: number;
        penaltyThresholdBps: number;
        /** Settled epochs the history covered (the bonus needs `windowEpochs - 1`). */
        historyEpochs: number;
        bonused: number;
        bonusPaid: string;
        penalized: number;
        withheld: string;
      };
      bridged: string;
      /** Lines whose reward differs from docs/interfaces.md's formula (0 when the nodes follow it). */
      rewardMismatches?: number;
      /** Per fleet strategy: slashed, rewarded, reward share against fair share, targets missed. */
      scoreboard?: StrategyScore[];
      /** Began before the fleet ran: settled and checked, its scoreboard shown but not judged. */
      warmUp?: boolean;
    }
  | {
      type: "slash";
      epoch: number;
      deviceId: string;
      reason: string;
      amount: string;
      evidenceHash: string;
      honest: boolean;
      /** Applied by the settlement contract (false: agreed by the nodes, not settled yet). */
      onChain: boolean;
    }
  | {
      /** One node's signed provisional verdicts of an epoch so far (its live stream), a second at a time. */
      type: "verdicts";
      epoch: number;
      node: number;
      total: number;
      outcomes: Record<string, number>;
      latest: { deviceId: string; kind: string; outcome: string; seq: string }[];
    }
  | { type: "reward"; epoch: number; deviceId: string; amount: string; claimTx?: string }
  | {
      type: "bridge";
      epoch: number;
      deviceId: string;
      amount: string;
      sourceTx: string;
      destTx?: string;
      status: "sent" | "delivered" | "failed";
    }
  | {
      /** A step of the devnet's governance proposal (scripts/devnet/governance/runProposal.ts). */
      type: "governance";
      step: "proposed" | "voting" | "voted" | "succeeded" | "queued" | "executed" | "checked";
      proposalId: string;
      state: string;
      block: number;
      detail: string;
    }
  | { type: "log"; level: "info" | "warn" | "error"; message: string };

export type DevnetEvent = DevnetEventBody & { seq: number; time: number };

/**
 * Append-only event log: in memory for the dashboard, on disk (JSON lines) so `--resume` and a
 * reloaded page see the same history. Bounded only by the run (a few thousand events per epoch at
 * 200 devices), which is fine for a local devnet.
 */
export class EventLog {
  private readonly events: DevnetEvent[] = [];
  private readonly emitter = new EventEmitter();

  constructor(private readonly file?: string) {
    this.emitter.setMaxListeners(0);
    if (file && existsSync(file)) {
      for (const line of readFileSync(file, "utf8").split("\n")) {
        if (!line.trim()) continue;
        try {
          const event = JSON.parse(line) as DevnetEvent;
          if (typeof event.type === "string" && typeof event.seq === "number") this.events.push(event);
        } catch {
          // A line cut short by a crash mid-write is the only way to get here: drop it.
        }
      }
    }
  }

  emit(body: DevnetEventBody): DevnetEvent {
    const event = { ...body, seq: this.events.length, time: Date.now() } as DevnetEvent;
    this.events.push(event);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(event)}\n`);
    this.emitter.emit("event", event);
    return event;
  }

  all(): readonly DevnetEvent[] {
    return this.events;
  }

  since(seq: number): DevnetEvent[] {
    return this.events.slice(Math.max(0, seq));
  }

  subscribe(listener: (event: DevnetEvent) => void): () => void {
    this.emitter.on("event", listener);
    return () => this.emitter.off("event", listener);
  }
}
