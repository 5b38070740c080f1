import type { VALUES_PB } from "@chainlink/cre-sdk/pb";
import { fromProtoBigInt } from "./capabilities/types";

/**
 * Converts CRE's `values.v1.Value` to plain JavaScript (maps to objects, lists to arrays, integers
 * and big integers to bigint, decimals to strings, times to Date), for logs and callers of the host.
 */
export function valueToJs(v: VALUES_PB.Value | undefined): unknown {
  if (!v) return undefined;
  const { value } = v;
  switch (value.case) {
    case "stringValue":
    case "boolValue":
    case "bytesValue":
    case "float64Value":
    case "int64Value":
    case "uint64Value":
      return value.value;
    case "bigintValue":
      return fromProtoBigInt(value.value);
    case "decimalValue": {
      const c = fromProtoBigInt(value.value.coefficient);
      const e = value.value.exponent;
      if (e >= 0) return (c * 10n ** BigInt(e)).toString();
      const s = (c < 0n ? -c : c).toString().padStart(-e + 1, "0");
      return `${c < 0n ? "-" : ""}${s.slice(0, e)}.${s.slice(e)}`;
    }
    case "timeValue":
      return new Date(Number(value.value.seconds) * 1000 + Math.floor(value.value.nanos / 1e6));
    case "listValue":
      return value.value.fields.map(valueToJs);
    case "mapValue":
      return Object.fromEntries(Object.entries(value.value.fields).map(([k, x]) => [k, valueToJs(x)]));
    default:
      return undefined;
  }
}
