// Preloaded with `node --import` into servers that do not read their standard input
// (soketi): the test keeps the write end of stdin open, so end-of-file means the test
// process is gone and the server must not outlive it.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
