/**
 * Validation benchmark: CPU per request input of the global pipe (apps/api/src/http/validation/
 * validation-pipe.ts) beside Nest's own ValidationPipe with the same options, on the API's real DTOs.
 *
 *   npx tsx scripts/bench-validation.ts
 *
 * Each case hands a freshly parsed input to the pipe as Nest would (the body as JSON.parse made it,
 * the query object, a path parameter), and counts the process's CPU time per input, so a busy
 * neighbour changes little. The two pipes alternate, BENCH_VALIDATION_ROUNDS times (default 5);
 * the median of the rounds is printed. BENCH_VALIDATION_ITERATIONS (default 20,000) inputs a round.
 * No database: nothing but the pipe runs.
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { cacheValidationMetadata } from '../apps/api/src/http/validation/validation-metadata-cache';
import { createValidationPipe, VALIDATION_PIPE_OPTIONS } from '../apps/api/src/http/validation/validation-pipe';
import { DraftCallDto, ListCallsQuery } from '../apps/api/src/calls/call.dto';
import { RegisterOrganisationDto, UpdateOrganisationDto } from '../apps/api/src/organisations/organisation.dto';
import { AsOfQuery } from '../apps/api/src/audit/as-of-query.dto';
import { callBody } from '../test/faults/support/calls';

const ROUNDS = Number(process.env.BENCH_VALIDATION_ROUNDS ?? 5);
const ITERATIONS = Number(process.env.BENCH_VALIDATION_ITERATIONS ?? 20_000);

interface Case {
  label: string;
  metadata: ArgumentMetadata;
  /** A fresh input each time: the pipe may change what it is given. */
  input: () => unknown;
}

const callText = JSON.stringify(callBody());
const invalidCallText = JSON.stringify(callBody({ budgetMinor: '100', criteria: [{ id: 'Relevance', name: '', weight: 0, maxScore: 10 }], extra: true }));
const organisationText = JSON.stringify({
  name: 'Bidoun Rights Collective',
  country: 'LB',
  legalStatus: 'unregistered-group',
  focusGroups: ['stateless-people', 'nationality-rights'],
  contactPerson: { name: 'Rima Haddad', email: 'rima.haddad@bidoun-rights.example.org', phone: '+961 1 555 010' },
});

const cases: Case[] = [
  { label: 'POST /calls body (DraftCallDto)', metadata: { type: 'body', metatype: DraftCallDto }, input: () => JSON.parse(callText) },
  { label: 'POST /organisations body', metadata: { type: 'body', metatype: RegisterOrganisationDto }, input: () => JSON.parse(organisationText) },
  { label: 'PATCH /organisations/:id body { name }', metadata: { type: 'body', metatype: UpdateOrganisationDto }, input: () => ({ name: 'Bench network 1' }) },
  { label: 'GET /calls/:id query {} (AsOfQuery)', metadata: { type: 'query', metatype: AsOfQuery }, input: () => ({}) },
  { label: 'GET /calls?limit=20&offset=40', metadata: { type: 'query', metatype: ListCallsQuery }, input: () => ({ limit: '20', offset: '40' }) },
  { label: 'path :id (String, before ParseUUIDPipe)', metadata: { type: 'param', metatype: String, data: 'id' }, input: () => 'b3c1e1a0-0000-4000-8000-000000000000' },
  { label: 'POST /calls invalid body (400)', metadata: { type: 'body', metatype: DraftCallDto }, input: () => JSON.parse(invalidCallText) },
];

cacheValidationMetadata(); // as configureApp does
const pipes: Record<'nest' | 'ours', ValidationPipe> = { nest: new ValidationPipe(VALIDATION_PIPE_OPTIONS), ours: createValidationPipe() };

async function cpuMicrosPerInput(pipe: ValidationPipe, testCase: Case, iterations: number): Promise<number> {
  const inputs = Array.from({ length: iterations }, testCase.input);
  const before = process.cpuUsage();
  for (const input of inputs) {
    try {
      await pipe.transform(input, testCase.metadata);
    } catch {
      // the invalid case: its 400 is part of what is measured
    }
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / iterations;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

async function main(): Promise<void> {
  console.log(`bench:validation — ${ROUNDS} rounds × ${ITERATIONS} inputs per pipe and case, load average ${loadavg().map((load) => load.toFixed(1)).join(' ')}`);
  console.log('CPU µs per input, median of the rounds: Nest ValidationPipe → ours (ratio)');
  // Warm-up with every case through both pipes first, so that the shared code paths (class-validator's
  // and class-transformer's, the constraint calls) have seen many classes, as in the server.
  for (let pass = 0; pass < 3; pass += 1) {
    for (const testCase of cases) for (const pipe of Object.values(pipes)) await cpuMicrosPerInput(pipe, testCase, Math.min(ITERATIONS, 1_000));
  }
  for (const testCase of cases) {
    const samples = { nest: [] as number[], ours: [] as number[] };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const name of round % 2 ? (['ours', 'nest'] as const) : (['nest', 'ours'] as const)) {
        samples[name].push(await cpuMicrosPerInput(pipes[name], testCase, ITERATIONS));
      }
    }
    const [nest, ours] = [median(samples.nest), median(samples.ours)];
    console.log(`  ${testCase.label.padEnd(44)} ${nest.toFixed(1).padStart(6)} → ${ours.toFixed(1).padStart(6)}  (${(ours / nest).toFixed(2)}×)`);
  }
  console.log(`load average ${loadavg().map((load) => load.toFixed(1)).join(' ')}`);
}

void main();
