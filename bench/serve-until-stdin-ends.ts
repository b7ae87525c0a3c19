// How the benchmark's server processes run: print the address they listen on, serve until the
// parent closes their standard input, then close what they opened and exit.
export function serveUntilStdinEnds(address: string, close: () => Promise<void>): void {
  process.stdout.write(`${address}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    void close().then(() => process.exit(0));
  });
}
