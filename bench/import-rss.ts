// `ecat import FILE` as the command line runs it (main: the process's own streams, `.env`, the
// exit code), then the process's peak resident memory on a last line of its own:
// `{"maxRss": bytes}`. For the bench's import-rss step, which runs it in a child process.
import { main } from '../src/adapters/cli/main.ts';

await main(['import', ...process.argv.slice(2)]);
// resourceUsage() gives the peak in kilobytes: what the process reached, not what it holds now.
process.stdout.write(`\n${JSON.stringify({ maxRss: process.resourceUsage().maxRSS * 1024 })}\n`);
