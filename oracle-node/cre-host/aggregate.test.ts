import { create } from "@bufbuild/protobuf";
import { SDK_PB, VALUES_PB } from "@chainlink/cre-sdk/pb";
import { describe, expect, it } from "vitest";
import { aggregateObservations, canonicalValue, type Observation } from "./aggregate";
import { CreHostError } from "./errors";
import { valueToJs } from "./values";

type V = VALUES_PB.Value;
const int = (n: bigint): V => create(VALUES_PB.ValueSchema, { value: { case: "int64Value", value: n } });
const str = (s: string): V => create(VALUES_PB.ValueSchema, { value: { case: "stringValue", value: s } });
const list = (xs: V[]): V =>
  create(VALUES_PB.ValueSchema, { value: { case: "listValue", value: { fields: xs } } });
const map = (fields: Record<string, V>): V =>
  create(VALUES_PB.ValueSchema, { value: { case: "mapValue", value: { fields } } });
const agg = (t: SDK_PB.AggregationType) =>
  create(SDK_PB.ConsensusDescriptorSchema, { descriptor: { case: "aggregation", value: t } });
const ok = (value: V): Observation => ({ ok: true, value });
const F = 1;

describe("consensus aggregation", () => {
  it("median picks the lower middle of the sorted observations, whatever their order", () => {
    const obs = [250n, 100n, 103n, 101n].map((n) => ok(int(n)));
    expect(valueToJs(aggregateObservations(obs, agg(SDK_PB.AggregationType.MEDIAN), undefined, F))).toBe(
      101n,
    );
    expect(
      valueToJs(aggregateObservations(obs.reverse(), agg(SDK_PB.AggregationType.MEDIAN), undefined, F)),
    ).toBe(101n);
  });

  it("identical needs 2f+1 equal values, comparing maps regardless of key order", () => {
    const a = map({ x: int(1n), y: str("a") });
    const b = map({ y: str("a"), x: int(1n) });
    expect(canonicalValue(a)).toBe(canonicalValue(b));
    const d = agg(SDK_PB.AggregationType.IDENTICAL);
    expect(valueToJs(aggregateObservations([ok(a), ok(b), ok(a), ok(str("z"))], d, undefined, F))).toEqual({
      x: 1n,
      y: "a",
    });
    expect(() => aggregateObservations([ok(a), ok(b), ok(str("z")), ok(str("w"))], d, undefined, F)).toThrow(
      /no value was observed by 3 nodes/,
    );
  });

  it("common prefix and suffix keep what 2f+1 nodes share", () => {
    const obs = [
      list([int(1n), int(2n), int(3n)]),
      list([int(1n), int(2n), int(4n)]),
      list([int(1n), int(2n)]),
      list([int(9n), int(2n), int(3n)]),
    ].map(ok);
    expect(
      valueToJs(aggregateObservations(obs, agg(SDK_PB.AggregationType.COMMON_PREFIX), undefined, F)),
    ).toEqual([1n, 2n]);
    const tails = [list([int(7n), int(3n)]), list([int(8n), int(3n)]), list([int(3n)]), list([int(4n)])].map(
      ok,
    );
    expect(
      valueToJs(aggregateObservations(tails, agg(SDK_PB.AggregationType.COMMON_SUFFIX), undefined, F)),
    ).toEqual([3n]);
  });

  it("frequency list counts every observed item, most frequent first", () => {
    const obs = [list([str("a"), str("b")]), list([str("a")]), list([str("c"), str("a")])].map(ok);
    expect(
      valueToJs(aggregateObservations(obs, agg(SDK_PB.AggregationType.FREQUENCY_LIST), undefined, F)),
    ).toEqual([
      { value: "a", count: 3n },
      { value: "b", count: 1n },
      { value: "c", count: 1n },
    ]);
  });

  it("aggregates field by field", () => {
    const d = create(SDK_PB.ConsensusDescriptorSchema, {
      descriptor: {
        case: "fieldsMap",
        value: {
          fields: { price: agg(SDK_PB.AggregationType.MEDIAN), feed: agg(SDK_PB.AggregationType.IDENTICAL) },
        },
      },
    });
    const obs = [5n, 9n, 7n].map((p) => ok(map({ price: int(p), feed: str("eth") })));
    expect(valueToJs(aggregateObservations(obs, d, undefined, F))).toEqual({ price: 7n, feed: "eth" });
  });

  it("falls back to the default, else fails naming the nodes' errors, when too few nodes observed", () => {
    const obs: Observation[] = [
      ok(int(1n)),
      { ok: false, error: "timeout" },
      { ok: false, error: "timeout" },
    ];
    const d = agg(SDK_PB.AggregationType.MEDIAN);
    expect(valueToJs(aggregateObservations(obs, d, int(42n), F))).toBe(42n);
    expect(() => aggregateObservations(obs, d, undefined, F)).toThrow(CreHostError);
    expect(() => aggregateObservations(obs, d, undefined, F)).toThrow(/got 1: timeout/);
  });
});
