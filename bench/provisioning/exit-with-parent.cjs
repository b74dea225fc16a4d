// Preloaded (NODE_OPTIONS=--require) into every provider host the provisioning scripts start: the
// host is a gRPC server that would outlive a script killed with SIGKILL (bench/run.mjs's deadline
// does that), so it ends itself once its parent is gone (it is then re-parented).
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 250).unref();
