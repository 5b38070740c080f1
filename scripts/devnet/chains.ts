import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Anvil, startAnvil } from "./anvil";

export interface DevnetChains {
  home: Anvil;
  remote: Anvil;
}

/** Chain ids: anvil's default for home, the next one for the bridge's destination chain. */
export const HOME_CHAIN_ID = 31337;
export const REMOTE_CHAIN_ID = 31338;

/**
 * Starts the two anvil chains. Each keeps its state in the data dir (dumped every few seconds and
 * on exit), which is what lets `--resume` pick a devnet up where it stopped.
 */
export async function startChains(dataDir: string, resume: boolean): Promise<DevnetChains> {
  const chainArgs = (name: string) => {
    const file = join(dataDir, `${name}-chain.json`);
    // `--load-state` only where a dump exists, `--dump-state` always: a fresh devnet starts empty.
    return [
      ...(resume && existsSync(file) ? ["--load-state", file] : []),
      "--dump-state",
      file,
      "--state-interval",
      "5",
    ];
  };
  // Home mines a block every second as well as each transaction (like a real chain, its head keeps
  // up with the clock): devices and the fraud-slashing workflow read "the last block before an
  // epoch's start", which on a chain that mines only on demand may not exist for a whole epoch.
  const home = await startAnvil({
    chainId: HOME_CHAIN_ID,
    args: [...chainArgs("home"), "--block-time", "1", "--mixed-mining"],
  });
  try {
    const remote = await startAnvil({ chainId: REMOTE_CHAIN_ID, args: chainArgs("remote") });
    return { home, remote };
  } catch (error) {
    await home.stop();
    throw error;
  }
}
