// One oracle node in its own process, for the kill -9 test: persistent peer key and data dir, logs
// as JSON lines on stdout (the parent watches them to kill at a chosen step).
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { createP2P, PeerAllowList } from "../../p2p/index";
import { Store } from "../../store/index";
import { createAgreement } from "../createAgreement";
import {
  dialWithRetry,
  fastAgreement,
  observe,
  p2pTestOptions,
  testAccount,
  testChainView,
  testVerifier,
  waitFor,
} from "./network";
import { parseContext } from "./serialize";

interface ChildConfig {
  dataDir: string;
  index: number;
  peerKeyFile: string;
  allow: string[];
  peers: string[];
  ctx: string;
  lie: boolean;
}

const cfg = JSON.parse(readFileSync(process.env.VIGIL_CHILD_CONFIG!, "utf8")) as ChildConfig;
const logger = pino({ level: "debug" });
const ctx = parseContext(cfg.ctx);
const account = testAccount(cfg.index);
const p2p = await createP2P(
  { ...p2pTestOptions, peerKeyFile: cfg.peerKeyFile },
  { logger, allowList: new PeerAllowList(cfg.allow) },
);
const store = Store.open({ dataDir: cfg.dataDir });
const agreement = createAgreement(fastAgreement, {
  p2p,
  store,
  logger,
  account,
  verifyFraud: testVerifier,
  ...testChainView(
    () => ctx.oracles,
    () => ctx.epoch,
  ),
});
for (const addr of cfg.peers) await dialWithRetry(p2p, addr);
await waitFor(() => p2p.peers().length >= cfg.peers.length, 10_000, "peers");
await new Promise((r) => setTimeout(r, 300)); // subscriptions exchange
logger.info("ready");
const cert = await agreement.runEpoch(ctx, observe(ctx, account.address, cfg.lie));
logger.info({ root: cert.result.resultRoot, votes: cert.votes.length }, "certified");
// The first run must still be alive when the parent's SIGKILL arrives, however fast the epoch went.
if (process.env.VIGIL_CHILD_STAY === "1") await new Promise(() => {});
await agreement.stop();
await p2p.stop();
store.close();
process.exit(0);
