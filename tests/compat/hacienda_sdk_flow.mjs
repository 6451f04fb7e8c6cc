// Drives @dojocoding/hacienda-sdk against a live mockserver: token → submit a signed v4.4 factura →
// poll to aceptado → duplicate → 404 → list. Prints one JSON line of what the SDK saw.
// usage: node hacienda_sdk_flow.mjs http://127.0.0.1:PORT/hacienda
import forge from "node-forge";
import {
  ApiError, DocumentType, HttpClient, Situation, TokenManager, buildClave, buildFacturaXml, getStatus,
  listComprobantes, getComprobante, signAndEncode, submitAndWait, submitDocument,
} from "@dojocoding/hacienda-sdk";

const base = process.argv[2];
const envConfig = {
  name: "mockserver",
  apiBaseUrl: `${base}/recepcion-sandbox/v1`,
  idpTokenUrl: `${base}/auth/realms/rut-stag/protocol/openid-connect/token`,
  clientId: "api-stag",
};

function makeP12(pin) {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = "01";
  cert.validity.notBefore = new Date(Date.now() - 86400000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86400000);
  const attrs = [{ name: "commonName", value: "PRUEBAS SA" }, { name: "countryName", value: "CR" }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const asn1 = forge.pkcs12.toPkcs12Asn1(keys.privateKey, [cert], pin, { algorithm: "3des" });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}

const out = {};
const tokens = new TokenManager({ envConfig });
await tokens.authenticate({ username: "cpj-3-101-123456@stag.comprobanteselectronicos.go.cr", password: "clave" });
out.token = (await tokens.getAccessToken()).split(".").length === 3;
const http = new HttpClient({ envConfig, tokenManager: tokens, rateLimiterOptions: false,
                              retryOptions: { maxRetries: 0 } });

const now = new Date();
const sequence = Math.floor(Math.random() * 1e9) + 1;
const clave = buildClave({ date: now, taxpayerId: "3101123456", documentType: DocumentType.FACTURA_ELECTRONICA,
                           sequence, situation: Situation.NORMAL });
const consecutivo = clave.slice(21, 41);
const xml = buildFacturaXml({
  clave, codigoActividad: "620100", numeroConsecutivo: consecutivo, fechaEmision: now.toISOString(),
  emisor: { nombre: "PRUEBAS SOCIEDAD ANONIMA", identificacion: { tipo: "02", numero: "3101123456" },
            correoElectronico: "facturas@pruebas.cr" },
  receptor: { nombre: "Cliente de Prueba", identificacion: { tipo: "01", numero: "109560664" } },
  condicionVenta: "01", medioPago: ["01"],
  detalleServicio: [{ numeroLinea: 1, codigoCabys: "8314100000000", cantidad: 1, unidadMedida: "Sp",
                      detalle: "Servicio profesional", precioUnitario: 10000, montoTotal: 10000, subTotal: 10000,
                      baseImponible: 10000, impuesto: [{ codigo: "01", codigoTarifa: "08", tarifa: 13, monto: 1300 }],
                      impuestoNeto: 1300, montoTotalLinea: 11300 }],
  resumenFactura: { totalServGravados: 10000, totalServExentos: 0, totalMercanciasGravadas: 0,
                    totalMercanciasExentas: 0, totalGravado: 10000, totalExento: 0, totalVenta: 10000,
                    totalDescuentos: 0, totalVentaNeta: 10000, totalImpuesto: 1300, totalComprobante: 11300 },
});
const comprobanteXml = await signAndEncode(xml, makeP12("1234"), "1234");
const request = {
  clave, fecha: now.toISOString(),
  emisor: { tipoIdentificacion: "02", numeroIdentificacion: "3101123456" },
  receptor: { tipoIdentificacion: "01", numeroIdentificacion: "109560664" },
  comprobanteXml,
};
const result = await submitAndWait(http, request, { pollIntervalMs: 300, timeoutMs: 20000 });
out.submission_status = result.submissionStatus;
out.final_status = result.status;
out.accepted = result.accepted;
out.rejection = result.rejectionReason ?? null;
out.respuesta_has_clave = (result.responseXml ?? "").includes(`<Clave>${clave}</Clave>`);

try {
  await submitDocument(http, request);
  out.duplicate = "no error";
} catch (error) {
  out.duplicate = error instanceof ApiError ? error.statusCode : String(error);
}
try {
  await getStatus(http, clave.slice(0, 42) + "99999999");
  out.not_found = "no error";
} catch (error) {
  out.not_found = error instanceof ApiError ? error.statusCode : String(error);
}
const list = await listComprobantes(http, { offset: 0, limit: 10 });
out.listed = Array.isArray(list) && list.some((item) => item.clave === clave);
out.comprobante_emisor = (await getComprobante(http, clave)).emisor.nombre;
console.log(JSON.stringify(out));
