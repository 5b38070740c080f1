import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { afterEach, describe, expect, it } from "vitest";
import { loadOrCreatePeerKey } from "../p2p/index";
import { Store } from "../store/index";
import {
  makeContext,
  makeDevices,
  observe,
  startTestNetwork,
  type TestNetwork,
  testAccount,
} from "./testing/network";
import { stringifyContext } from "./testing/serialize";

const CHILD = join(import.meta.dirname, "testing", "killChild.ts");

interface LogLine {
  msg: string;
  kind?: string;
  root?: string;
}

/** Runs the child node; resolves `waitFor(pred)` when a log line matches. */
function runChild(configFile: string, stay: boolean) {
  const proc: ChildProcess = spawn(process.execPath, ["--import", "tsx", CHILD], {
    env: { ...process.env, VIGIL_CHILD_CONFIG: configFile, VIGIL_CHILD_STAY: stay ? "1" : "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: LogLine[] = [];
  const waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let stderr = "";
  proc.stderr!.on("data", (d) => {
    stderr += String(d);
  });
  createInterface({ input: proc.stdout! }).on("line", (raw) => {
    let l: LogLine;
    try {
      l = JSON.parse(raw) as LogLine;
    } catch {
      return;
    }
    lines.push(l);
    for (const w of [...waiters]) if (w.pred(l)) w.resolve(l);
  });
  const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
  return {
    proc,
    lines,
    exited,
    stderr: () => stderr,
    waitFor(pred: (l: LogLine) => boolean, ms = 30_000): Promise<LogLine> {
      const hit = lines.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(
              new Error(
                `child: no matching log line; stderr: ${stderr.slice(-2000)} stdout: ${JSON.stringify(lines.slice(-15))}`,
              ),
            ),
          ms,
        );
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
      });
    },
  };
}

let net: TestNetwork | undefined;
let root: string | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  children.length = 0;
  await net?.stop();
  net = undefined;
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("kill -9 mid-epoch", () => {
  for (const killAt of ["precommit", "result-vote"] as const) {
    it(`a node killed after its ${killAt} and restarted (with different inputs) never signs a conflicting message`, async () => {
      root = mkdtempSync(join(tmpdir(), "vigil-kill-"));
      const peerKeyFile = join(root, "peer.key");
      const childPeerId = peerIdFromPrivateKey(await loadOrCreatePeerKey(peerKeyFile)).toString();
      const childAccount = testAccount(3);
      net = await startTestNetwork({
        n: 3,
        external: [{ signer: childAccount.address, peerId: childPeerId }],
      });
      const ctx = makeContext({ k: 4, devices: makeDevices(20) }, net.oracles);
      const config = (lie: boolean) => {
        const file = join(root!, `child-${lie}.json`);
        writeFileSync(
          file,
          JSON.stringify({
            dataDir: join(root!, "child-data"),
            index: 3,
            peerKeyFile,
            allow: net!.oracles.map((o) => o.peerId),
            peers: net!.nodes.map((nd) => nd.p2p.addresses()[0]),
            ctx: stringifyContext(ctx),
            lie,
          }),
        );
        return file;
      };

      const first = runChild(config(false), true);
      children.push(first.proc);
      await first.waitFor((l) => l.msg === "ready");
      const running = net.nodes.map((nd) => nd.agreement.runEpoch(ctx, observe(ctx, nd.account.address)));
      const pred =
        killAt === "precommit"
          ? (l: LogLine) => l.msg === "signed step" && l.kind === "precommit"
          : (l: LogLine) => l.msg === "decided; result vote signed";
      await first.waitFor(pred);
      first.proc.kill("SIGKILL");
      expect(await first.exited).toBeNull(); // killed by the signal, not exited
      const certs = await Promise.all(running);
      const honestRoot = certs[0]!.result.resultRoot;
      expect(new Set(certs.map((c) => c.result.resultRoot))).toEqual(new Set([honestRoot]));

      // Restart with a lying observation: the recorded decisions must win over the new inputs.
      const second = runChild(config(true), false);
      children.push(second.proc);
      const done = await second.waitFor((l) => l.msg === "certified", 45_000);
      expect(done.root).toBe(honestRoot);
      expect(await second.exited).toBe(0);

      for (const nd of net.nodes) {
        const ev = nd.agreement
          .equivocations({ networkId: ctx.networkId, epoch: ctx.epoch })
          .filter((e) => e.signer.toLowerCase() === childAccount.address.toLowerCase());
        expect(ev).toEqual([]);
        const childVotes = nd.store
          .getVotes(ctx.networkId, ctx.epoch)
          .filter((v) => v.signer.toLowerCase() === childAccount.address.toLowerCase());
        for (const v of childVotes) expect(v.resultRoot).toBe(honestRoot);
      }
      const childStore = Store.open({ dataDir: join(root, "child-data") });
      expect(childStore.getSigningDecision(ctx.networkId, ctx.epoch, "result-vote", -1)).toBe(
        certs[0]!.result.observationsCommitment,
      );
      childStore.close();
    });
  }
});
