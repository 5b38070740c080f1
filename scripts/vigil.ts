// The `vigil` command line: each area contributes its own subcommands (node, device, bridge,
// workflow, devnet); this file only assembles them. Run it as `npx vigil <command>` (the bundle
// `npm install` builds, see bin/vigil.mjs) or `npm run vigil -- <command>` (these sources, via tsx).
import "./cli/quietSqliteWarning";
import "./cli/stopWhenParentExits";
import { Command } from "commander";
import packageJson from "../package.json" with { type: "json" };

/**
 * Each area's command, loaded only when asked for: `vigil device run` does not load libp2p and
 * the node, `vigil --version` loads nothing (every area at once took ~2 s here; see
 * scripts/cli/buildCli.ts). Top-level help and unknown commands load them all.
 */
const AREAS: Record<string, () => Promise<Command>> = {
  devnet: async () => (await import("./devnet/command")).devnetCommand(),
  node: async () => (await import("../oracle-node/cli/index")).nodeCommand(),
  // The agent's commands plus `register`, the on-chain registration (kept out of attestation/, which
  // does no chain I/O).
  device: async () => {
    const [{ deviceCommand }, { deviceRegisterCommand }, { deviceLifecycleCommands }] = await Promise.all([
      import("../attestation/agent/cli"),
      import("./lifecycle/deviceRegisterCommand"),
      import("./lifecycle/deviceLifecycleCommands"),
    ]);
    const device = deviceCommand().addCommand(deviceRegisterCommand());
    for (const c of deviceLifecycleCommands()) device.addCommand(c);
    return device;
  },
  network: async () => (await import("./lifecycle/networkCommand")).networkCommand(),
  operator: async () => (await import("./lifecycle/operatorCommand")).operatorCommand(),
  deploy: async () => (await import("./deploy/deploy")).deployCommand(),
  bridge: async () => (await import("../ccip-bridge/cli")).bridgeCommand(),
  workflow: async () => (await import("../oracle-node/cre-host/cli")).workflowCommand(),
};

const program = new Command()
  .name("vigil")
  .description("Vigil: verification network for DePIN protocols")
  .version(packageJson.version)
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(`error: ${text.replace(/^error: /, "")}`) });

const first = process.argv[2];
const wanted =
  first !== undefined && first in AREAS
    ? [first]
    : first === "--version" || first === "-V"
      ? []
      : Object.keys(AREAS);
for (const command of await Promise.all(wanted.map((area) => AREAS[area]!()))) program.addCommand(command);

await program.parseAsync(process.argv);
