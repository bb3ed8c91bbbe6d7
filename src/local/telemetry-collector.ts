/**
 * A local stand-in for Application Insights' ingestion endpoint ("Breeze", `POST /v2.1/track`): the real Azure Monitor
 * exporter of the app is pointed at it with `IngestionEndpoint=https://127.0.0.1:<port>/`, and tests read what arrived
 * (custom events, traces, availability results) instead of trusting what was printed. The exporter only speaks https,
 * so the collector serves a self-signed certificate the app's process must trust (NODE_EXTRA_CA_CERTS).
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { createCertificate } from "./arm-simulator/certificate";

export interface Envelope {
  name: string;
  time: string;
  iKey?: string;
  data: { baseType: string; baseData: Record<string, any> };
}

export interface RunningTelemetryCollector {
  connectionString: string;
  /** PEM of the collector's certificate. */
  caCertPem: string;
  envelopes: Envelope[];
  /** Custom events by name, with their properties. */
  events(name?: string): Array<{ name: string; properties: Record<string, string> }>;
  close(): Promise<void>;
}

export async function startTelemetryCollector(): Promise<RunningTelemetryCollector> {
  const envelopes: Envelope[] = [];
  const cert = await createCertificate();
  const server: Server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || !/\/v2(\.1)?\/track$/.test(req.url?.split("?")[0] ?? "")) {
        res.writeHead(404).end();
        return;
      }
      let raw = Buffer.concat(chunks);
      if (/gzip/i.test(String(req.headers["content-encoding"] ?? ""))) raw = gunzipSync(raw);
      const text = raw.toString("utf8").trim();
      // A JSON array, or one envelope per line.
      const items: Envelope[] = text.startsWith("[") ? JSON.parse(text) : text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
      envelopes.push(...items);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as AddressInfo).port;
  return {
    connectionString: `InstrumentationKey=00000000-0000-4000-8000-00000000c011;IngestionEndpoint=https://127.0.0.1:${port}/`,
    caCertPem: cert.certPem,
    envelopes,
    events: (name?: string) =>
      envelopes
        .filter((e) => e.data?.baseType === "EventData" && (!name || e.data.baseData.name === name))
        .map((e) => ({ name: e.data.baseData.name as string, properties: (e.data.baseData.properties ?? {}) as Record<string, string> })),
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
