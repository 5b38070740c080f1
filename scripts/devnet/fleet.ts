import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { STRATEGIES } from "../../attestation/agent/index";
import { DevnetError } from "./errors";
import type { ProcessSupervisor } from "./processes";
import { type StartupTimeouts, waitForStartup } from "./waitForStartup";

const FLEET_ENTRY = fileURLToPath(new URL("./fleetProcess.ts", import.meta.url));

export const fleetSpecSchema = z.object({
  strategies: z.array(z.enum(STRATEGIES)).min(1),
  seed: z.string(),
  /** Owner address per device, in fleet order. */
  owners: z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/)),
  /**
   * Where the devnet, as the network's storage client, wrote each device's replica
   * (`replicaFileOf`); without it the fleet writes its own, the same bytes, into a temporary folder.
   */
  replicaDir: z.string().optional(),
  /** Device gateway base URLs of the oracle nodes. */
  gateways: z.array(z.url()).min(1),
  /** Where devices read which oracles are assigned to them (they refuse every other challenger). */
  chain: z
    .object({
      rpcUrl: z.url(),
      registry: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
      settlement: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
      networkId: z.string().regex(/^\d+$/),
    })
    .optional(),
  /**
   * A byzantine oracle framing `honestFramed` devices: its peer key file (it challenges with its own
   * registered key) and the nodes' admin fraud-slash routes it posts what it fabricates to.
   */
  framer: z
    .object({
      peerKeyFile: z.string(),
      fraudSlash: z.array(z.object({ url: z.url(), token: z.string() })),
    })
    .optional(),
});
export type FleetSpec = z.infer<typeof fleetSpecSchema>;

/** What the fleet process tells its supervisor over IPC once every device agent runs. */
export interface FleetReady {
  type: "fleet-ready";
  devices: number;
}

/**
 * Runs the device fleet in a process of its own, supervised like the oracle nodes. The devices do
 * real work (compute proofs, payload hashes, signatures); on the devnet's own event loop 200 of them
 * kept it ~95 % busy and the epoch follower stalled for 15 minutes after epoch 0. Resolves with
 * the number of devices once every device agent runs, waiting as long as the process makes progress
 * (`waitForStartup`); its exit is fatal (it is in no supervisor group).
 */
export async function startFleetProcess(
  supervisor: ProcessSupervisor,
  spec: FleetSpec,
  files: { dataDir: string; logsDir: string },
  timeouts: StartupTimeouts,
): Promise<number> {
  const specFile = join(files.dataDir, "fleet.json");
  writeFileSync(specFile, JSON.stringify(fleetSpecSchema.parse(spec)));
  const logFile = join(files.logsDir, "fleet.log");
  const proc = supervisor.spawnTs("device fleet", FLEET_ENTRY, [specFile], logFile, {
    env: { NODE_NO_WARNINGS: "1" },
  });
  let devices: number | undefined;
  proc.child.on("message", (m: FleetReady) => {
    if (m?.type === "fleet-ready") devices = m.devices;
  });
  const ready = await waitForStartup(proc, async () => devices !== undefined, timeouts);
  if (!ready || devices === undefined)
    throw new DevnetError("PROCESS_EXITED", `device fleet exited before it was ready; see ${logFile}`, {
      logFile,
    });
  return devices;
}
