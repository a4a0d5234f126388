/**
 * The served OpenAPI document (/docs-json): what Redocly's recommended rules found wrong (no
 * servers, /health* without a security statement), realistic problem examples per status, the 422
 * rule codes per command, and the ETag of single-resource reads. (`npx @redocly/cli lint` on the
 * dumped document: 0 errors; the README says which warnings remain.)
 */
import { UnknownCall } from '@app/application/proposals/proposal-commands';
import { callCommandRules } from '@app/domain/call';
import { grantCommandRules } from '@app/domain/grant';
import { proposalCommandRules } from '@app/domain/proposal';
import type { OpenAPIObject } from '@nestjs/swagger';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createTestApp, type TestApp } from '../support/app';

const ROOT = resolve(__dirname, '../..');

type Operation = { security?: unknown[]; responses: Record<string, Response> };
type Response = {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: { allOf?: { properties?: { rule?: { enum: string[] } } }[] }; examples?: Record<string, { value: { status: number; type: string; rule?: string } }> }>;
};

describe('the OpenAPI document', () => {
  let t: TestApp;
  let document: OpenAPIObject;

  beforeAll(async () => {
    t = await createTestApp({ runWorker: false });
    document = (await t.http.get('/docs-json').expect(200)).body as OpenAPIObject;
  });

  afterAll(async () => {
    await t.close();
  });

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, Operation>).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })),
    );
  const operation = (route: string) => operations().find((entry) => entry.route === route)!.operation;

  /** A request body as Swagger UI's "Try it out" fills it in: every documented property's example, nested schemas composed. */
  const exampleOf = (schema: Record<string, unknown>): unknown => {
    const ref = schema.$ref as string | undefined;
    if (ref) return exampleOf((document.components!.schemas as Record<string, Record<string, unknown>>)[ref.split('/').pop()!]);
    if (schema.example !== undefined) return schema.example;
    if (schema.type === 'array') return [exampleOf(schema.items as Record<string, unknown>)];
    const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, exampleOf(property)]));
  };

  it.each([
    ['POST /calls', 'grant-manager'],
    ['POST /organisations', 'admin'],
  ])('the example body of %s, as Swagger UI composes it, is taken as it is (201)', async (route, role) => {
    const body = operation(route) as unknown as { requestBody: { content: Record<string, { schema: Record<string, unknown> }> } };
    const example = exampleOf(body.requestBody.content['application/json'].schema) as object;
    const token = await t.token({ role: role as 'admin', id: 'docs-reader' });
    const response = await t.http.post(route.split(' ')[1]).set('Authorization', `Bearer ${token}`).send(example);
    expect({ status: response.status, body: response.status === 201 ? 'created' : response.body }).toEqual({ status: 201, body: 'created' });
  });

  it('documents each request and response class under a name of its own: a second class of one name took the first one\'s schema for every route', () => {
    // The document keys schemas by class name and keeps one: POST /grants/{id}/budget was documented
    // with the proposal's budget line (`label`, `amountMinor`) instead of its own (`budgetLine`, `amountMinor`).
    const documented = new Map<string, string[]>();
    const visit = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) visit(path);
        else if (/\.ts$/.test(entry.name) && !/spec\.ts$/.test(entry.name)) {
          const text = readFileSync(path, 'utf8');
          if (!/@ApiProperty/.test(text)) continue;
          for (const [, name] of text.matchAll(/^(?:export )?class (\w+)/gm)) documented.set(name, [...(documented.get(name) ?? []), relative(ROOT, path)]);
        }
      }
    };
    visit(join(ROOT, 'apps/api/src'));
    expect(documented.size).toBeGreaterThan(50);
    expect([...documented].filter(([, files]) => files.length > 1)).toEqual([]);

    const schemas = document.components!.schemas as Record<string, { properties: Record<string, { items?: { $ref?: string } }> }>;
    const schemaOf = (ref: string | undefined) => schemas[String(ref).split('/').pop()!];
    const budget = operation('POST /grants/{id}/budget') as unknown as { requestBody: { content: Record<string, { schema: { $ref: string } }> } };
    const line = schemaOf(schemaOf(budget.requestBody.content['application/json'].schema.$ref).properties.lines.items?.$ref);
    expect(Object.keys(line.properties)).toEqual(['budgetLine', 'amountMinor']);
  });

  it('states the lengths the validation enforces: a form learns a reason\'s limit before sending it', () => {
    const schemas = document.components?.schemas as Record<string, { properties: Record<string, { maxLength?: number; minLength?: number; items?: { maxLength?: number } }> }>;
    expect(schemas.ReasonDto.properties.reason.maxLength).toBe(2000);
    expect(schemas.AssignReviewerDto.properties.reviewerId.maxLength).toEqual(expect.any(Number));
    // Every string property whose class-validator rule is @MaxLength says so.
    const withLimit = Object.values(schemas).flatMap((schema) => Object.values(schema.properties ?? {})).filter((property) => property.maxLength !== undefined);
    expect(withLimit.length).toBeGreaterThan(40);
  });

  it('states the patterns the validation enforces (@Matches), so a form checks a reviewer id or a country code before sending it', () => {
    const schemas = document.components?.schemas as Record<string, { properties: Record<string, { pattern?: string }> }>;
    const reviewerId = schemas.AssignReviewerDto.properties.reviewerId.pattern;
    expect(reviewerId).toBe('^[A-Za-z0-9._:|@-]{1,200}$');
    expect(new RegExp(reviewerId!).test('auth0|reviewer-1')).toBe(true);
    expect(new RegExp(reviewerId!).test('zaynab haddad')).toBe(false);
    expect(schemas.RecuseReviewerDto.properties.reviewerId.pattern).toBe(reviewerId);
    expect(schemas.RegisterOrganisationDto.properties.country.pattern).toBe('^[A-Z]{2}$');
  });

  it('names a server, and requires the bearer token everywhere but on the public /health routes, which say so', async () => {
    expect(document.servers?.length).toBeGreaterThan(0);
    expect(document.security).toEqual([{ bearer: [] }]);
    const open = operations().filter(({ operation }) => Array.isArray(operation.security) && operation.security.length === 0);
    expect(open.map(({ route }) => route).sort()).toEqual(['GET /health', 'GET /health/live', 'GET /health/ready']);
    // And they are what the auth guard lets through without a token.
    await t.http.get('/health/live').expect(200);
  });

  it('gives each error status examples of its own status, never the 400 validation example elsewhere', () => {
    for (const { route, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const examples = response.content?.['application/problem+json']?.examples;
        if (Number(status) < 400 || !examples) continue;
        for (const { value } of Object.values(examples)) expect({ route, status: value.status }).toEqual({ route, status: Number(status) });
      }
    }
  });

  it("lists each command's 422 rule codes: the rules its decider can raise", () => {
    const codes = (rules: readonly { rule: string }[]) => [...new Set(rules.map((rule) => rule.rule))].sort();
    const enumOf = (route: string) => operation(route).responses['422'].content!['application/problem+json'].schema!.allOf![1].properties!.rule!.enum;
    expect(enumOf('POST /proposals/{id}/submit')).toEqual([...codes([...proposalCommandRules.SubmitProposal, UnknownCall]), 'idempotency.key-reused']);
    expect(enumOf('POST /calls/{id}/close')).toEqual([...codes(callCommandRules.CloseCall), 'idempotency.key-reused']);
    expect(enumOf('POST /grants/{id}/closure')).toEqual([...codes(grantCommandRules.CloseGrant), 'idempotency.key-reused']);
    expect(operation('POST /proposals/{id}/submit').responses['422'].description).toContain('`proposal.call.not-published`');
    const commandsWith422 = operations().filter(({ operation }) => operation.responses['422']);
    expect(commandsWith422.length).toBeGreaterThan(30);
    for (const { route, operation } of commandsWith422) expect({ route, listed: /Rules this command's decider can raise|raises no business rule/.test(operation.responses['422'].description) }).toEqual({ route, listed: true });
  });

  it('documents the ETag of the four single-resource reads', () => {
    for (const route of ['GET /calls/{id}', 'GET /organisations/{id}', 'GET /proposals/{id}', 'GET /grants/{id}']) {
      expect(operation(route).responses['200'].headers).toHaveProperty('ETag');
    }
  });
});
