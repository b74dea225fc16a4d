// The limit: the least any verifying receiver must do. A bare node:http server that reads the
// body, checks X-Hub-Signature-256 (HMAC-SHA256, timing-safe) and answers 200. No routing, no
// parsing, no storage.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const secret = process.env.BENCH_SECRET;
createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const want = Buffer.from(
      `sha256=${createHmac("sha256", secret).update(Buffer.concat(chunks)).digest("hex")}`,
    );
    const got = Buffer.from(String(req.headers["x-hub-signature-256"] ?? ""));
    const ok = got.length === want.length && timingSafeEqual(got, want);
    res.writeHead(ok ? 200 : 400).end(ok ? "ok\n" : "bad signature\n");
  });
}).listen(0, "127.0.0.1", function () {
  console.log(`PORT ${this.address().port}`);
});
