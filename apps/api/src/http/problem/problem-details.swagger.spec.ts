import { Controller, Get, Module, Post, type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { ApiProblemResponses, ApiRuleViolations } from './problem-details.swagger';

@Controller('documented')
class DocumentedController {
  @ApiProblemResponses(400, 404, 422)
  @Get()
  read(): string {
    return 'ok';
  }

  @ApiRuleViolations([
    { name: 'CallNotPublished', rule: 'proposal.call.not-published' },
    { name: 'TooFewPartners', rule: 'proposal.partners.too-few' },
  ])
  @ApiProblemResponses(400, 401, 403, 404, 409, 422, 429, 503)
  @Post()
  submit(): string {
    return 'ok';
  }
}

@Module({ controllers: [DocumentedController] })
class DocumentedModule {}

describe('ApiProblemResponses', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [DocumentedModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  it('documents each status as application/problem+json with the problem schema', () => {
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('t').build());
    const responses = document.paths['/documented']?.get?.responses ?? {};
    for (const status of ['400', '404', '422']) {
      expect(responses[status]).toMatchObject({
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
      });
    }
    const schema = document.components?.schemas?.ProblemDetailsDto as { required?: string[]; properties?: object };
    expect(schema.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance']));
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(['errors', 'rule', 'expectedVersion', 'actualVersion']));
  });

  it('gives each status examples of its own kind of problem, with that status', () => {
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('t').build());
    const responses = document.paths['/documented']?.post?.responses ?? {};
    const seen = new Set<string>();
    for (const status of ['400', '401', '403', '404', '409', '429', '503']) {
      const examples = (responses[status] as { content: Record<string, { examples: Record<string, { value: { status: number; type: string } }> }> }).content['application/problem+json'].examples;
      expect(Object.keys(examples).length).toBeGreaterThan(0);
      for (const { value } of Object.values(examples)) {
        expect(value.status).toBe(Number(status));
        seen.add(value.type);
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(9);
  });

  it("documents a command's 422 with its rule codes: in the description and as the enum of `rule`", () => {
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('t').build());
    const unprocessable = document.paths['/documented']?.post?.responses['422'] as {
      description: string;
      content: Record<string, { schema: { allOf: [unknown, { properties: { rule: { enum: string[] } } }] }; examples: Record<string, { value: { rule: string } }> }>;
    };
    expect(unprocessable.description).toContain('`proposal.call.not-published`, `proposal.partners.too-few`');
    const { schema, examples } = unprocessable.content['application/problem+json'];
    expect(schema.allOf[1].properties.rule.enum).toEqual(['proposal.call.not-published', 'proposal.partners.too-few', 'idempotency.key-reused']);
    expect(Object.values(examples).map((example) => example.value.rule)).toEqual(['proposal.call.not-published', 'idempotency.key-reused']);
  });
});
