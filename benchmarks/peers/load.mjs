// Drives one scenario with autocannon and prints its figures as JSON.
// usage: node load.mjs '<json config>'  (url, method, headers, body, connections, duration, uniqueHeader)
import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";

const require = createRequire(process.env.BENCH_PEERS + "/package.json");
const autocannon = require("autocannon");

const config = JSON.parse(process.argv[2]);
const options = {
  url: config.url,
  method: config.method,
  headers: config.headers,
  body: config.body,
  connections: config.connections,
  duration: config.duration,
};
if (config.uniqueHeader) {
  // a new idempotency key on every request: each one is a real creation
  options.requests = [
    {
      setupRequest(request) {
        return { ...request, headers: { ...request.headers, [config.uniqueHeader]: randomUUID() } };
      },
    },
  ];
}
const result = await autocannon(options);
console.log(
  JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  }),
);
