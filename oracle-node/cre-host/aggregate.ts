import { create } from "@bufbuild/protobuf";
import { SDK_PB, VALUES_PB } from "@chainlink/cre-sdk/pb";
import { CreHostError } from "./errors";

type Value = VALUES_PB.Value;
type Descriptor = SDK_PB.ConsensusDescriptor;

/** One node's observation for a `Simple` consensus round, as the SDK sends it. */
export type Observation = { ok: true; value: Value } | { ok: false; error: string };

/**
 * A canonical string for a `values.v1.Value`, equal across nodes for equal values whatever the map
 * insertion order (protobuf maps serialize in insertion order, so bytes alone are not canonical).
 */
export function canonicalValue(v: Value | undefined): string {
  if (!v) return "n";
  const { value } = v;
  switch (value.case) {
    case "stringValue":
      return `s${JSON.stringify(value.value)}`;
    case "boolValue":
      return value.value ? "t" : "f";
    case "bytesValue":
      return `b${Buffer.from(value.value).toString("hex")}`;
    case "int64Value":
      return `i${value.value}`;
    case "uint64Value":
      return `u${value.value}`;
    case "float64Value":
      return `d${Object.is(value.value, -0) ? "0" : String(value.value)}`;
    case "bigintValue":
      return `B${bigIntOf(value.value)}`;
    case "decimalValue":
      return `D${bigIntOf(value.value.coefficient)}e${value.value.exponent}`;
    case "timeValue":
      return `T${value.value.seconds}.${value.value.nanos}`;
    case "listValue":
      return `[${value.value.fields.map(canonicalValue).join(",")}]`;
    case "mapValue": {
      const keys = Object.keys(value.value.fields).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalValue(value.value.fields[k])}`).join(",")}}`;
    }
    default:
      return "n";
  }
}

function bigIntOf(b: VALUES_PB.BigInt | undefined): bigint {
  if (!b) return 0n;
  let x = 0n;
  for (const byte of b.absVal) x = (x << 8n) | BigInt(byte);
  return b.sign < 0n ? -x : x;
}

/** Numeric key of a value for median, as a rational `num / 10^scale` compared exactly. */
function numericKey(v: Value): { num: bigint; scale: number } | number {
  const { value } = v;
  switch (value.case) {
    case "int64Value":
    case "uint64Value":
      return { num: value.value, scale: 0 };
    case "bigintValue":
      return { num: bigIntOf(value.value), scale: 0 };
    case "decimalValue": {
      const c = bigIntOf(value.value.coefficient);
      const e = value.value.exponent;
      return e >= 0 ? { num: c * 10n ** BigInt(e), scale: 0 } : { num: c, scale: -e };
    }
    case "timeValue":
      return { num: value.value.seconds * 1_000_000_000n + BigInt(value.value.nanos), scale: 0 };
    case "float64Value":
      return value.value;
    default:
      throw new CreHostError(
        "CONSENSUS_FAILED",
        `median needs numeric observations, got ${value.case ?? "empty"}`,
      );
  }
}

function compareNumeric(a: Value, b: Value): number {
  const ka = numericKey(a);
  const kb = numericKey(b);
  if (typeof ka === "number" || typeof kb === "number") {
    const fa = typeof ka === "number" ? ka : Number(ka.num) / 10 ** ka.scale;
    const fb = typeof kb === "number" ? kb : Number(kb.num) / 10 ** kb.scale;
    return fa < fb ? -1 : fa > fb ? 1 : 0;
  }
  const scale = Math.max(ka.scale, kb.scale);
  const na = ka.num * 10n ** BigInt(scale - ka.scale);
  const nb = kb.num * 10n ** BigInt(scale - kb.scale);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Groups values by canonical form, most frequent first, ties by canonical string (deterministic). */
function groups(values: Value[]): { key: string; value: Value; count: number }[] {
  const byKey = new Map<string, { key: string; value: Value; count: number }>();
  for (const v of values) {
    const key = canonicalValue(v);
    const g = byKey.get(key);
    if (g) g.count++;
    else byKey.set(key, { key, value: v, count: 1 });
  }
  return [...byKey.values()].sort(
    (a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

function listOf(v: Value, what: string): Value[] {
  if (v.value.case !== "listValue") {
    throw new CreHostError(
      "CONSENSUS_FAILED",
      `${what} needs list observations, got ${v.value.case ?? "empty"}`,
    );
  }
  return v.value.value.fields;
}

function commonAffix(values: Value[], quorum: number, fromEnd: boolean): Value {
  const lists = values.map((v) => listOf(v, fromEnd ? "common suffix" : "common prefix"));
  const out: Value[] = [];
  let agreeing = lists;
  for (let i = 0; ; i++) {
    const at = (l: Value[]) => (fromEnd ? l[l.length - 1 - i] : l[i]);
    const candidates = agreeing.filter((l) => l.length > i);
    const top = groups(candidates.map((l) => at(l)!))[0];
    if (!top || top.count < quorum) break;
    out.push(top.value);
    agreeing = candidates.filter((l) => canonicalValue(at(l)) === top.key);
  }
  if (fromEnd) out.reverse();
  return create(VALUES_PB.ValueSchema, { value: { case: "listValue", value: { fields: out } } });
}

function aggregateWith(values: Value[], descriptor: Descriptor | undefined, f: number): Value {
  const quorum = 2 * f + 1;
  const d = descriptor?.descriptor;
  if (!d || d.case === undefined) {
    throw new CreHostError("CONSENSUS_FAILED", "consensus descriptor is missing its aggregation");
  }
  if (d.case === "fieldsMap") {
    const fields: Record<string, Value> = {};
    for (const [name, sub] of Object.entries(d.value.fields)) {
      const column = values.map((v) => {
        if (v.value.case !== "mapValue") {
          throw new CreHostError(
            "CONSENSUS_FAILED",
            `field aggregation needs map observations, got ${v.value.case}`,
          );
        }
        const field = v.value.value.fields[name];
        if (!field) throw new CreHostError("CONSENSUS_FAILED", `observation lacks field "${name}"`);
        return field;
      });
      fields[name] = aggregateWith(column, sub, f);
    }
    return create(VALUES_PB.ValueSchema, { value: { case: "mapValue", value: { fields } } });
  }
  switch (d.value) {
    case SDK_PB.AggregationType.MEDIAN: {
      const sorted = [...values].sort(compareNumeric);
      // Lower median: with 2f+1 or more observations it lies between two honest values.
      return sorted[Math.floor((sorted.length - 1) / 2)]!;
    }
    case SDK_PB.AggregationType.IDENTICAL: {
      const top = groups(values)[0];
      if (!top || top.count < quorum) {
        throw new CreHostError(
          "CONSENSUS_FAILED",
          `identical aggregation: no value was observed by ${quorum} nodes (best ${top?.count ?? 0} of ${values.length})`,
        );
      }
      return top.value;
    }
    case SDK_PB.AggregationType.COMMON_PREFIX:
      return commonAffix(values, quorum, false);
    case SDK_PB.AggregationType.COMMON_SUFFIX:
      return commonAffix(values, quorum, true);
    case SDK_PB.AggregationType.FREQUENCY_LIST: {
      const items = values.flatMap((v) => listOf(v, "frequency list"));
      const entries = groups(items).map((g) =>
        create(VALUES_PB.ValueSchema, {
          value: {
            case: "mapValue",
            value: {
              fields: {
                value: g.value,
                count: create(VALUES_PB.ValueSchema, {
                  value: { case: "int64Value", value: BigInt(g.count) },
                }),
              },
            },
          },
        }),
      );
      return create(VALUES_PB.ValueSchema, { value: { case: "listValue", value: { fields: entries } } });
    }
    default:
      throw new CreHostError("CONSENSUS_FAILED", `unsupported aggregation type ${d.value}`);
  }
}

/**
 * Aggregates the DON's observations for one `Simple` consensus call, deterministically: the same
 * observation set gives the same outcome on every node. Needs at least 2f+1 successful
 * observations, else falls back to the workflow's default value, else fails with the errors seen.
 */
export function aggregateObservations(
  observations: Observation[],
  descriptor: Descriptor | undefined,
  defaultValue: Value | undefined,
  f: number,
): Value {
  const values = observations.flatMap((o) => (o.ok ? [o.value] : []));
  if (values.length < 2 * f + 1) {
    if (defaultValue) return defaultValue;
    const errors = [...new Set(observations.flatMap((o) => (o.ok ? [] : [o.error])))];
    throw new CreHostError(
      "CONSENSUS_FAILED",
      `consensus needs ${2 * f + 1} successful observations, got ${values.length}${errors.length ? `: ${errors.join("; ")}` : ""}`,
    );
  }
  try {
    return aggregateWith(values, descriptor, f);
  } catch (err) {
    if (defaultValue && err instanceof CreHostError) return defaultValue;
    throw err;
  }
}
