// One oracle node in its own OS process, for `npm run bench -- agreement --processes`: its own event
// loop, heap and GC, as on an operator's machine. The parent drives it over the IPC channel:
//   child: hello {peerId, address}      parent: setup {ctxFile, allow, dial}
//   child: ready                        parent: go
//   child: certified {root, votes}      parent: stop
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createP2P, PeerAllowList } from "../../p2p/index";
import { Store } from "../../store/index";
import { createAgreement } from "../createAgreement";
import type { AgreementOptions } from "../options";
import type { EpochContext } from "../types";
import {
  dialWithRetry,
  fastAgreement,
  observe,
  p2pTestOptions,
  pubsubOf,
  silent,
  testAccount,
  testChainView,
  testVerifier,
  waitFor,
} from "./network";
import { parseContext } from "./serialize";

export type ParentMessage =
  | { t: "start"; index: number; agreement: Partial<AgreementOptions> }
  | { t: "setup"; ctxFile: string; allow: string[]; dial: string[] }
  | { t: "go" }
  | { t: "stop" };

export type ChildMessage =
  | { t: "hello"; peerId: string; address: string; signer: string }
  | { t: "ready" }
  | { t: "certified"; root: string; votes: number }
  | { t: "failed"; error: string };

const inbox: ParentMessage[] = [];
let wake: (() => void) | undefined;
process.on("message", (m: ParentMessage) => {
  inbox.push(m);
  wake?.();
});
process.on("disconnect", () => process.exit(1));

async function next<T extends ParentMessage["t"]>(t: T): Promise<Extract<ParentMessage, { t: T }>> {
  while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
  const m = inbox.shift()!;
  if (m.t !== t) throw new Error(`bench child: expected ${t}, got ${m.t}`);
  return m as Extract<ParentMessage, { t: T }>;
}

const send = (m: ChildMessage) => process.send!(m);

try {
  const start = await next("start");
  const dataDir = mkdtempSync(join(tmpdir(), "vigil-bench-node-"));
  const allowList = new PeerAllowList();
  const p2p = await createP2P(p2pTestOptions, { logger: silent, allowList });
  const store = Store.open({ dataDir });
  const account = testAccount(start.index);
  // The oracle set and epoch arrive with `setup`; gossip before it comes from no registered signer.
  let context: EpochContext | undefined;
  const agreement = createAgreement(
    { ...fastAgreement, ...start.agreement },
    {
      p2p,
      store,
      logger: silent,
      account,
      verifyFraud: testVerifier,
      ...testChainView(
        () => context?.oracles ?? [],
        () => context?.epoch ?? 1n,
      ),
    },
  );
  send({ t: "hello", peerId: p2p.peerId, address: p2p.addresses()[0]!, signer: account.address });

  const setup = await next("setup");
  allowList.set(setup.allow);
  const ctx = parseContext(readFileSync(setup.ctxFile, "utf8"));
  context = ctx;
  for (const address of setup.dial) await dialWithRetry(p2p, address);
  const others = setup.allow.length - 1;
  await waitFor(() => p2p.peers().length >= others, 60_000, "peers");
  const topic = p2p.topic("agreement");
  await waitFor(() => pubsubOf(p2p).getSubscribers(topic).length >= others, 60_000, "subscriptions");
  const own = observe(ctx, account.address);
  send({ t: "ready" });

  await next("go");
  const cert = await agreement.runEpoch(ctx, own);
  send({ t: "certified", root: cert.result.resultRoot, votes: cert.votes.length });

  await next("stop");
  await agreement.stop();
  await p2p.stop();
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
} catch (err) {
  send({ t: "failed", error: String((err as Error).stack ?? err) });
  process.exit(1);
}
