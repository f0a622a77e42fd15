/** The slice of pino the domain uses, so tests can pass a silent or recording logger. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
