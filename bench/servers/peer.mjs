// The peer: @octokit/webhooks' own Node middleware verifying the same deliveries, as a GitHub App
// would receive them.
import { createServer } from "node:http";
import { createNodeMiddleware, Webhooks } from "@octokit/webhooks";

const webhooks = new Webhooks({ secret: process.env.BENCH_SECRET });
const middleware = createNodeMiddleware(webhooks, { path: process.env.BENCH_PATH });
createServer(async (req, res) => {
  if (await middleware(req, res)) return;
  res.writeHead(404).end();
}).listen(0, "127.0.0.1", function () {
  console.log(`PORT ${this.address().port}`);
});
