import { ApiPropertyOptional } from '@nestjs/swagger';
import { NotFoundException } from '@nestjs/common';
import { IsOptional } from 'class-validator';
import { IsInstant } from '../http/validation';

/**
 * `?asOf=` on the GET-by-id routes of calls, organisations, proposals and grants: the answer the
 * route would have given at that instant, folded from the events recorded up to it (by the
 * server's recorded time), in the same shape as the live answer. 404 before the stream existed.
 */
export class AsOfQuery {
  @ApiPropertyOptional({
    example: '2027-03-01T12:00:00Z',
    description: 'ISO 8601 instant: the state as recorded up to it (events with recordedAt <= asOf). Personal data erased since stays erased.',
  })
  @IsOptional()
  @IsInstant()
  asOf?: string;
}

/** The instant of an AsOfQuery, or undefined for the live answer. */
export const asOfInstant = (query: AsOfQuery): Date | undefined => (query.asOf === undefined ? undefined : new Date(query.asOf));

/**
 * The 404 of a GET-by-id route, naming the instant an `asOf` was read as (a date alone is midnight
 * UTC: `?asOf=2026-12-06` before the record's first event of that day finds nothing, and a bare
 * "not found" read as a wrong id). The same words whether the record exists or not: nothing leaks.
 */
export function notFound(kind: string, id: string, asOf: Date | undefined): NotFoundException {
  return new NotFoundException(asOf === undefined ? `${kind} ${id} not found` : `${kind} ${id} not found as of ${asOf.toISOString()}`);
}
