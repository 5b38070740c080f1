/** A named benchmark. `run` returns the figures printed as one JSON object on the last line. */
export interface BenchScenario {
  name: string;
  description: string;
  run(args: string[]): Promise<Record<string, unknown>>;
}
