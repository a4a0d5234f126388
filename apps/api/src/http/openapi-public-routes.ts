import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { IS_PUBLIC_KEY } from '@app/platform';
import { controllerHandlers } from '@app/platform/logging/logging';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

/**
 * The document requires the bearer token at its root; an operation whose handler (or controller)
 * is @Public() — what the auth guard lets through without a token — gets `security: []`, so the
 * document says exactly what the guard does. Operations are matched by the default operationId,
 * `<Controller>_<method>`.
 */
export function markPublicOperations(app: INestApplication, document: OpenAPIObject): OpenAPIObject {
  const publicOperations = new Set<string>();
  for (const { controller, name, handler } of controllerHandlers(app)) {
    if (Reflect.getMetadata(IS_PUBLIC_KEY, controller) === true || Reflect.getMetadata(IS_PUBLIC_KEY, handler) === true) publicOperations.add(`${controller.name}_${name}`);
  }
  for (const path of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = path[method];
      if (operation?.operationId && publicOperations.has(operation.operationId)) operation.security = [];
    }
  }
  return document;
}
