// Requests as the fakes saw them (their request logs), never as a client counted them: a retry, a
// list page or a request the client did not know it sent all show here.

/** Where each fake's logs stand now; `since` counts what came after. */
export function mark(server) {
  return { log: server.log.length, operations: server.operations?.length ?? 0 };
}

/**
 * Requests that reached the API since `m`, split into reads and writes, and those a fault or the
 * rate limit answered instead. On Sourcegraph every call is a POST to /.api/graphql: a mutation
 * is a write, a query a read.
 */
export function since(server, m) {
  const entries = server.log.slice(m.log);
  const counts = { reads: 0, writes: 0, rateLimited: 0, status: 0, dropBefore: 0, dropAfter: 0 };
  for (const e of entries) {
    if (e.fault === "rateLimit") counts.rateLimited++;
    else if (e.fault === "status") counts.status++;
    else if (e.fault === "dropBefore") counts.dropBefore++;
    else {
      // A request dropped after processing reached the API: it counts as sent, and as a fault.
      if (e.fault === "dropAfter") counts.dropAfter++;
      if (e.method === "GET") counts.reads++;
      else counts.writes++;
    }
  }
  if (server.operations) {
    const ops = server.operations.slice(m.operations);
    const mutations = ops.filter((o) => /^\s*mutation\b/.test(o.query)).length;
    // Requests the resolvers never saw (401s, for instance) count as reads: they changed nothing.
    const reached = counts.reads + counts.writes;
    counts.writes = mutations;
    counts.reads = reached - mutations;
  }
  return counts;
}
