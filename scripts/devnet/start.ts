// `npm start` (= `vigil devnet`): the whole Vigil network on this machine. Flags: `npm start -- --help`.
import { devnetCommand } from "./command";

await devnetCommand().name("npm start --").showHelpAfterError().parseAsync(process.argv);
