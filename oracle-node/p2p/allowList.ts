/**
 * The registered oracle operators' peer ids. The node app fills it from the on-chain registry and
 * calls `set` when the registry changes; the connection gater and gossip validation read it.
 */
export class PeerAllowList {
  private ids = new Set<string>();
  private readonly listeners = new Set<(removed: string[]) => void>();

  constructor(ids: Iterable<string> = []) {
    this.ids = new Set(ids);
  }

  has(peerId: string): boolean {
    return this.ids.has(peerId);
  }

  list(): string[] {
    return [...this.ids];
  }

  set(ids: Iterable<string>): void {
    const next = new Set(ids);
    const removed = [...this.ids].filter((id) => !next.has(id));
    this.ids = next;
    for (const l of this.listeners) l(removed);
  }

  add(id: string): void {
    this.ids.add(id);
  }

  /** Called with the peer ids that lost their place (the p2p module disconnects them). */
  onChange(listener: (removed: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
