/**
 * How the CRE host's consensus talks to the other nodes of its DON. The host needs only a
 * broadcast with the sender's member index attached; an implementation must authenticate that
 * index (the libp2p one maps the gossip message's signing peer id to a member).
 */
export type DonMessageKind = "observation" | "outcome" | "proposal" | "signature";

export interface DonMessage {
  /** The consensus round: `<executionId>/<callbackId>`, identical on every node. */
  round: string;
  kind: DonMessageKind;
  /** The sender's index in the DON's member list. */
  from: number;
  payload: Uint8Array;
}

export interface DonTransport {
  /** This node's index in the DON's member list. */
  readonly self: number;
  /** Sends a message to every other member (not back to this node). */
  broadcast(message: Omit<DonMessage, "from">): Promise<void>;
  /** Calls `handler` for every message from another member; returns an unsubscribe function. */
  subscribe(handler: (message: DonMessage) => void): () => void;
  close(): Promise<void>;
}

/**
 * A DON whose members live in one process: for tests, benchmarks and the simulator. Delivery is
 * asynchronous (a macrotask later), as on a network, so no test can depend on synchronous delivery.
 */
export function createInProcessDon(size: number): DonTransport[] {
  const handlers: Set<(message: DonMessage) => void>[] = Array.from({ length: size }, () => new Set());
  const closed = new Set<number>();
  return Array.from({ length: size }, (_, self) => ({
    self,
    async broadcast(message) {
      if (closed.has(self)) return;
      const full: DonMessage = { ...message, from: self, payload: new Uint8Array(message.payload) };
      for (let peer = 0; peer < size; peer++) {
        if (peer === self || closed.has(peer)) continue;
        setImmediate(() => {
          for (const h of handlers[peer]!) h(full);
        });
      }
    },
    subscribe(handler) {
      handlers[self]!.add(handler);
      return () => handlers[self]!.delete(handler);
    },
    async close() {
      closed.add(self);
      handlers[self]!.clear();
    },
  }));
}
