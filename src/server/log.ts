// Structured JSON logs (pino). Never pass passwords or tokens here; auth logs name the user and the outcome only.
import pino from 'pino'
import type { LogLevel } from './config'

export type Logger = pino.Logger

export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'partyroom' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  })
}
