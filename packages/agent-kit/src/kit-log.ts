/** The slice of a pino logger the kit writes to (the handler's `ctx.log` fits). */
export interface KitLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const silentLog: KitLog = { debug: () => undefined, info: () => undefined, warn: () => undefined };
