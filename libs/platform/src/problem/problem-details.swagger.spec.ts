import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { ApiProblemResponses } from './problem-details.swagger';

@Controller('documented')
class DocumentedController {
  @ApiProblemResponses(400, 404, 422)
  @Get()
  read(): string {
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
});
