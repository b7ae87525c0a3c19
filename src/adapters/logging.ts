// The one way ecat makes a logger (the command line's and the HTTP server's): JSON lines on stderr
// with an ISO time, the version and environment in every line, and credentials never written.
import { pino, type DestinationStream, type Logger } from 'pino';
import { PACKAGE_VERSION } from './package-files.ts';

/**
 * Whatever logs a request, a job or an error: its credentials become "[Redacted]". The HTTP
 * request serializer keeps only method and path, so these are the net under it.
 */
export const REDACTED_PATHS = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'token',
  'secret',
  'password',
  'idToken',
  '*.token',
  '*.secret',
  '*.password',
  '*.idToken',
];

export interface LoggerOptions {
  /** The configuration's `environment` (NODE_ENV, read in config.ts); `development` if not given. */
  environment?: string;
  /** Where the lines go: stderr (fd 2) unless a test captures them. */
  destination?: DestinationStream;
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const environment = options.environment ?? 'development';
  return pino(
    {
      level,
      base: { app: 'ecat', version: PACKAGE_VERSION, environment },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS },
    },
    // Logs go to stderr so command output on stdout stays clean for scripts.
    options.destination ?? pino.destination(2),
  );
}
