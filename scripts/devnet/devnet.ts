import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { type DevnetChains, startChains } from "./chains";
import { type Dashboard, startDashboard } from "./dashboard/server";
import { DevnetError } from "./errors";
import { EventLog } from "./events";
import { type DevnetOptions, type DevnetOptionsInput, devnetOptionsSchema } from "./options";
import { ProcessSupervisor } from "./processes";
import { type DevnetSummary, summarize } from "./summary";

export interface DevnetHandle {
  options: DevnetOptions;
  log: EventLog;
  chains: DevnetChains;
  dashboardUrl: string;
  /** Settles when the requested epochs ran (or the devnet failed); never for an open-ended run. */
  done: Promise<DevnetSummary>;
  /** Stops everything in reverse start order; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The devnet's composition root: brings up each stage in order (chains, dashboard, contracts,
 * oracle nodes, device fleet), then runs epochs. What a stage needs from another area and cannot
 * get yet is reported as a `skipped` stage with its reason, never faked.
 */
export async function startDevnet(input: DevnetOptionsInput): Promise<DevnetHandle> {
  const parsed = devnetOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new DevnetError(
      "INVALID_OPTIONS",
      parsed.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`).join("; "),
    );
  }
  const options = parsed.data;
  const dataDir = resolve(options.dataDir);
  const eventsFile = join(dataDir, "events.jsonl");
  if (options.resume) {
    const { existsSync } = await import("node:fs");
    if (!existsSync(eventsFile)) {
      throw new DevnetError(
        "RESUME_WITHOUT_STATE",
        `--resume: no devnet state in ${dataDir}; start with --fresh`,
        {
          dataDir,
        },
      );
    }
  } else {
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(join(dataDir, "logs"), { recursive: true });
  const log = new EventLog(eventsFile);

  const closers: Array<() => Promise<void>> = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const close of closers.reverse()) {
      await close().catch(() => {});
    }
  };
  let fail: (error: DevnetError) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  const supervisor = new ProcessSupervisor((error) => {
    log.emit({ type: "log", level: "error", message: error.message });
    fail(error);
  });
  closers.push(() => supervisor.stopAll());

  const stage = async <T>(name: string, detail: string, run: () => Promise<T>): Promise<T> => {
    log.emit({ type: "stage", stage: name, status: "starting", detail });
    try {
      const value = await run();
      log.emit({ type: "stage", stage: name, status: "ready", detail });
      return value;
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      log.emit({ type: "stage", stage: name, status: "failed", detail: message });
      throw new DevnetError("STAGE_FAILED", `${name}: ${message}`, { stage: name }, { cause });
    }
  };

  try {
    const chains = await stage("chains", "two anvil chains (home + remote)", () =>
      startChains(dataDir, options.resume),
    );
    closers.push(() => chains.remote.stop());
    closers.push(() => chains.home.stop());
    log.emit({ type: "chain", name: "home", chainId: chains.home.chainId, rpcUrl: chains.home.rpcUrl });
    log.emit({ type: "chain", name: "remote", chainId: chains.remote.chainId, rpcUrl: chains.remote.rpcUrl });

    const dashboard: Dashboard = await stage("dashboard", "live dashboard (SSE)", () =>
      startDashboard({ log }, options.port),
    );
    closers.push(() => dashboard.close());

    const pending: Array<[string, string]> = [
      ["contracts", "waits for scripts/deploy/deploy.ts deployVigil()"],
      ["oracle-nodes", "waits for oracle-node startNode / `vigil node start`"],
      ["device-fleet", "waits for attestation/agent runFleet()"],
      ["epochs", "needs contracts, oracle nodes and the fleet"],
    ];
    for (const [name, why] of pending)
      log.emit({ type: "stage", stage: name, status: "skipped", detail: why });

    const done: Promise<DevnetSummary> = Promise.race([
      failed,
      Promise.resolve(summarize(log.all(), null)),
    ]).catch((error: unknown) => {
      const summary = summarize(log.all(), null);
      return { ...summary, ok: false, reason: error instanceof Error ? error.message : String(error) };
    });

    return { options, log, chains, dashboardUrl: dashboard.url, done, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
