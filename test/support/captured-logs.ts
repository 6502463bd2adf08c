/** A Nest LoggerService that keeps every line, to assert what was (not) logged. */
import type { LoggerService } from '@nestjs/common';

export interface LogLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  text: string;
}

export class CapturedLogs implements LoggerService {
  readonly lines: LogLine[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.push('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.push('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.push('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.push('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.push('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.push('fatal', message, rest);
  }

  /** Lines at error (or fatal) level. */
  errors(): LogLine[] {
    return this.lines.filter((line) => line.level === 'error' || line.level === 'fatal');
  }

  clear(): void {
    this.lines.length = 0;
  }

  private push(level: LogLine['level'], message: unknown, rest: unknown[]): void {
    const parts = [message, ...rest].map((part) => (part instanceof Error ? `${part.message}\n${part.stack}` : String(part)));
    this.lines.push({ level, text: parts.join(' ') });
  }
}
