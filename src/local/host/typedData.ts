import type { RpcTypedData } from "./types";

/** A message body as the host hands it to the worker: `{json}` when it parses as JSON, else `{string}`. */
export function textToTypedData(text: string): RpcTypedData {
  try {
    JSON.parse(text);
    return { json: text };
  } catch {
    return { string: text };
  }
}

/** A JSON value as typed data (`{json: "..."}`), e.g. for trigger metadata. */
export function jsonTypedData(value: unknown): RpcTypedData {
  return { json: JSON.stringify(value) };
}

/** Reads typed data the worker returned (output bindings) back into a JS value. */
export function typedDataToValue(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.string !== undefined && data.string !== null) return data.string;
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json);
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (data.int !== undefined && data.int !== null) return Number(data.int);
  if (data.double !== undefined && data.double !== null) return data.double;
  if (data.collectionString?.string) return data.collectionString.string;
  if (data.collectionBytes?.bytes) return data.collectionBytes.bytes.map((b) => Buffer.from(b));
  if (data.collectionDouble?.double) return data.collectionDouble.double;
  if (data.collectionSint64?.sint64) return data.collectionSint64.sint64.map(Number);
  return undefined;
}

/** The bytes of an HTTP response body typed data. */
export function typedDataToBytes(data: RpcTypedData | null | undefined): Buffer {
  const value = typedDataToValue(data);
  if (value === undefined || value === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === "string") return Buffer.from(value, "utf8");
  return Buffer.from(JSON.stringify(value), "utf8");
}
