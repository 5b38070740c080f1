// The `vigil` command line: each area contributes its own subcommands (node, device, bridge,
// workflow, devnet); this file only assembles them. Run it as `npm run vigil -- <command>`.
import { Command } from "commander";
import { deviceCommand } from "../attestation/agent/cli";
import { bridgeCommand } from "../ccip-bridge/cli";
import { nodeCommand } from "../oracle-node/cli/index";
import { workflowCommand } from "../oracle-node/cre-host/cli";
import { devnetCommand } from "./devnet/command";

const program = new Command()
  .name("vigil")
  .description("Vigil: verification network for DePIN protocols")
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(`error: ${text.replace(/^error: /, "")}`) });

// Subcommands are added here as the areas land, e.g. program.addCommand(nodeCommand()).
program.addCommand(devnetCommand());
program.addCommand(nodeCommand());
program.addCommand(deviceCommand());
program.addCommand(bridgeCommand());
program.addCommand(workflowCommand());

await program.parseAsync(process.argv);
