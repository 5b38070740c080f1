import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { STRATEGIES } from "../../attestation/agent/index";
import { DevnetError } from "./errors";
import type { ProcessSupervisor } from "./processes";

const FLEET_ENTRY = fileURLToPath(new URL("./fleetProcess.ts", import.meta.url));

export const fleetSpecSchema = z.object({
  strategies: z.array(z.enum(STRATEGIES)).min(1),
  seed: z.string(),
  /** Owner address per device, in fleet order. */
  owners: z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/)),
  /** Device gateway base URLs of the oracle nodes. */
  gateways: z.array(z.url()).min(1),
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
 * kept it ~95 % busy and the epoch follower stalled for 15 minutes after epoch 0. Resolves once
 * every device agent runs.
 */
export async function startFleetProcess(
  supervisor: ProcessSupervisor,
  spec: FleetSpec,
  files: { dataDir: string; logsDir: string },
  timeoutMs = 60_000,
): Promise<number> {
  const specFile = join(files.dataDir, "fleet.json");
  writeFileSync(specFile, JSON.stringify(fleetSpecSchema.parse(spec)));
  const proc = supervisor.spawnTs("device fleet", FLEET_ENTRY, [specFile], join(files.logsDir, "fleet.log"), {
    NODE_NO_WARNINGS: "1",
  });
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new DevnetError(
            "PROCESS_EXITED",
            `device fleet not ready within ${timeoutMs / 1000} s; see fleet.log`,
            {
              logFile: join(files.logsDir, "fleet.log"),
            },
          ),
        ),
      timeoutMs,
    );
    proc.child.on("message", (m: FleetReady) => {
      if (m?.type !== "fleet-ready") return;
      clearTimeout(timer);
      resolve(m.devices);
    });
    proc.exited.then(() => clearTimeout(timer));
  });
}
