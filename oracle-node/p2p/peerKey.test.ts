import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { PeerAllowList } from "./allowList";
import { createP2P } from "./createP2P";
import { loadOrCreatePeerKey } from "./peerKey";

const dir = mkdtempSync(join(tmpdir(), "vigil-peerkey-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("peer identity", () => {
  it("creates an Ed25519 key once (mode 0600) and loads the same identity afterwards", async () => {
    const file = join(dir, "keys", "peer.key");
    const a = await loadOrCreatePeerKey(file);
    const b = await loadOrCreatePeerKey(file);
    expect(a.type).toBe("Ed25519");
    expect(peerIdFromPrivateKey(b).toString()).toBe(peerIdFromPrivateKey(a).toString());
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("names the file when it is not a key", async () => {
    const file = join(dir, "garbage.key");
    writeFileSync(file, "not a key");
    await expect(loadOrCreatePeerKey(file)).rejects.toMatchObject({ code: "P2P_BAD_KEY_FILE" });
  });

  it("a node started with the key file has that peer id and reaches its bootstrap peers", async () => {
    const file = join(dir, "node.key");
    const expected = peerIdFromPrivateKey(await loadOrCreatePeerKey(file)).toString();
    const allow = new PeerAllowList();
    const logger = pino({ level: "silent" });
    const base = { listen: ["/ip4/127.0.0.1/tcp/0"], mdns: false, namespace: "t", heartbeatIntervalMs: 100 };
    const first = await createP2P({ ...base, peerKeyFile: file }, { logger, allowList: allow });
    expect(first.peerId).toBe(expected);
    allow.add(first.peerId);
    const second = await createP2P({ ...base, bootstrap: first.addresses() }, { logger, allowList: allow });
    allow.add(second.peerId);
    try {
      const end = Date.now() + 10_000;
      while (!second.peers().some((p) => p.peerId === first.peerId)) {
        if (Date.now() > end) throw new Error("bootstrap peer not connected");
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await second.stop();
      await first.stop();
    }
  });
});
