import { parseArgs } from "node:util";
import { STRATEGIES, type Strategy } from "../../attestation/agent/index";
import { formatScoreboard } from "../../attestation/fleet/scoreboard";
import type { BenchScenario } from "../../scripts/bench/scenario";
import { runVerdicts } from "./runVerdicts";

/** Every strategy `each` times, a Sybil farm of `farm` keys, and `honest` plain honest devices. */
export function verdictFleet(o: { honest: number; each: number; farm: number }): Strategy[] {
  const out: Strategy[] = [];
  for (const s of STRATEGIES) {
    const count = s === "honest" ? o.honest : s === "sybilFarm" ? o.farm : o.each;
    for (let i = 0; i < count; i++) out.push(s);
  }
  return out;
}

export const scenario: BenchScenario = {
  name: "verdicts",
  description:
    "verdict accuracy: the adversarial fleet against 4 nodes' real intakes and result function; per strategy and epoch: slashed, rewarded, reward share vs fair share, targets",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        epochs: { type: "string", default: "5" },
        "epoch-seconds": { type: "string", default: "30" },
        honest: { type: "string", default: "20" },
        each: { type: "string", default: "2" },
        farm: { type: "string", default: "8" },
      },
    });
    const num = (name: keyof typeof values) => {
      const v = Number(values[name]);
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`--${name} must be a positive integer, got ${values[name]}`);
      return v;
    };
    const strategies = verdictFleet({ honest: num("honest"), each: num("each"), farm: num("farm") });
    const run = await runVerdicts({
      strategies,
      epochs: num("epochs"),
      epochSeconds: num("epoch-seconds"),
      progress: (line) => console.error(line),
    });
    for (const board of run.boards) {
      console.error(`\nepoch ${board.epoch}${board.ok ? "" : " (targets failed)"}`);
      for (const line of formatScoreboard(board)) console.error(`  ${line}`);
    }
    console.error(run.failures.length ? `\n${run.failures.length} targets failed` : "\nevery target held");
    return {
      devices: strategies.length,
      framedEvidence: run.framedEvidence,
      ok: run.failures.length === 0,
      failures: run.failures,
      epochs: run.boards.map((b) => ({
        epoch: Number(b.epoch),
        rows: b.rows.map((r) => ({
          ...r,
          rewardShare: Number(r.rewardShare.toFixed(5)),
          fairShare: Number(r.fairShare.toFixed(5)),
        })),
      })),
    };
  },
};
