/** Self-signed certificate for 127.0.0.1/localhost; also serves as the CA clients trust. */
import { generate } from "selfsigned";

export interface Certificate {
  keyPem: string;
  certPem: string;
}

export async function createCertificate(): Promise<Certificate> {
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000); // tolerate small clock skew
  const pems = await generate([{ name: "commonName", value: "ARM simulator (localhost)" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 30 * 24 * 60 * 60 * 1000),
    extensions: [
      // cA:true lets clients put this PEM straight into their trusted CAs (NODE_EXTRA_CA_CERTS).
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 2, value: "localhost" },
        ],
      },
    ],
  });
  return { keyPem: pems.private, certPem: pems.cert };
}
