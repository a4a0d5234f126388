import 'reflect-metadata';
import { Body, Header, HttpCode, Param, Post, RequestMethod, SetMetadata, UseGuards } from '@nestjs/common';
import { RouteParamtypes } from '@nestjs/common/internal';
import { GUARDS_METADATA, HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { ApiHeader, ApiOperation } from '@nestjs/swagger';
import { IdempotencyKeyGuard } from './idempotency.guard';
import { IdempotencyKeyHandling, takesIdempotencyKey } from './idempotent-handler';

class OtherGuard {
  canActivate(): boolean {
    return true;
  }
}

/** The same routes twice, once plain and once taking Idempotency-Key: this decorator first, last, and in the middle. */
class Plain {
  @Post('first')
  @HttpCode(200)
  @UseGuards(OtherGuard)
  @ApiOperation({ summary: 'first' })
  @SetMetadata('roles', ['admin'])
  first(@Param('id') id: string, @Body() body: unknown): unknown {
    return { id, body, self: this };
  }

  @Post('last')
  @Header('X-Probe', 'yes')
  @ApiHeader({ name: 'If-Match', required: false })
  last(@Body() body: unknown): unknown {
    return body;
  }

  @Post('middle')
  @HttpCode(204)
  @ApiOperation({ summary: 'middle' })
  middle(): void {}
}

class Keyed {
  @IdempotencyKeyHandling()
  @Post('first')
  @HttpCode(200)
  @UseGuards(OtherGuard)
  @ApiOperation({ summary: 'first' })
  @SetMetadata('roles', ['admin'])
  first(@Param('id') id: string, @Body() body: unknown): unknown {
    return { id, body, self: this };
  }

  @Post('last')
  @Header('X-Probe', 'yes')
  @ApiHeader({ name: 'If-Match', required: false })
  @IdempotencyKeyHandling()
  last(@Body() body: unknown): unknown {
    return body;
  }

  @Post('middle')
  @IdempotencyKeyHandling()
  @HttpCode(204)
  @ApiOperation({ summary: 'middle' })
  middle(): void {}
}

const handler = (type: { prototype: object }, name: string) => (type.prototype as Record<string, (...args: unknown[]) => unknown>)[name];
const metadataOf = (fn: object) => new Map(Reflect.getMetadataKeys(fn).map((key) => [key, Reflect.getMetadata(key, fn) as unknown]));

describe('IdempotencyKeyHandling: the handler wrapped, every decorator kept', () => {
  it.each(['first', 'last', 'middle'])('%s: every metadata key of the plain handler, with the same value, plus the guard and the mark', (name) => {
    const plain = metadataOf(handler(Plain, name));
    const keyed = metadataOf(handler(Keyed, name));
    expect([...keyed.keys()].sort()).toEqual([...new Set([...plain.keys(), GUARDS_METADATA, 'grant-ledger:idempotency-key'])].sort());
    for (const [key, value] of plain) if (key !== GUARDS_METADATA) expect([key, keyed.get(key)]).toEqual([key, value]);
    expect(keyed.get(GUARDS_METADATA)).toEqual([...((plain.get(GUARDS_METADATA) as unknown[]) ?? []), IdempotencyKeyGuard]);
    expect(takesIdempotencyKey(handler(Keyed, name))).toBe(true);
    expect(takesIdempotencyKey(handler(Plain, name))).toBe(false);
  });

  it('the route itself is unchanged: method, path, status, name, parameters; the request comes last', () => {
    const first = handler(Keyed, 'first');
    expect(Reflect.getMetadata(METHOD_METADATA, first)).toBe(RequestMethod.POST);
    expect(Reflect.getMetadata(PATH_METADATA, first)).toBe('first');
    expect(Reflect.getMetadata(HTTP_CODE_METADATA, first)).toBe(200);
    expect(Reflect.getMetadata(HTTP_CODE_METADATA, handler(Keyed, 'middle'))).toBe(204);
    expect([first.name, handler(Keyed, 'last').name, handler(Keyed, 'middle').name]).toEqual(['first', 'last', 'middle']);
    expect(first.length).toBe(handler(Plain, 'first').length);

    for (const [name, next] of [['first', 2], ['last', 1], ['middle', 0]] as const) {
      const plain = Reflect.getMetadata(ROUTE_ARGS_METADATA, Plain, name) ?? {};
      const keyed = Reflect.getMetadata(ROUTE_ARGS_METADATA, Keyed, name);
      expect(keyed).toEqual({ ...plain, [`${RouteParamtypes.REQUEST}:${next}`]: { index: next, data: undefined, pipes: [] } });
    }
    expect(Reflect.getMetadata('design:paramtypes', Keyed.prototype, 'first')).toEqual(Reflect.getMetadata('design:paramtypes', Plain.prototype, 'first'));
  });

  it('without a keyed command on the request, the handler runs at once with its `this`, and its own value comes back untouched', () => {
    const instance = new Keyed();
    const request = {};
    const answer = handler(Keyed, 'first').call(instance, 'an-id', { a: 1 }, request) as { id: string; body: unknown; self: unknown };
    expect(answer).toEqual({ id: 'an-id', body: { a: 1 }, self: instance });
    expect(answer.self).toBe(instance);
    const promise = Promise.resolve('as is');
    expect(handler(Keyed, 'last').call(instance, promise, request)).toBe(promise);
    // Called directly, without the request Nest adds (as a unit test of a controller would).
    expect(handler(Keyed, 'last').call(instance, 'direct')).toBe('direct');
  });

  it('applied twice, it wraps once', () => {
    class Twice {
      @IdempotencyKeyHandling()
      @IdempotencyKeyHandling()
      @Post()
      run(): string {
        return 'ran';
      }
    }
    expect(Reflect.getMetadata(GUARDS_METADATA, handler(Twice, 'run'))).toEqual([IdempotencyKeyGuard]);
    expect(Object.keys(Reflect.getMetadata(ROUTE_ARGS_METADATA, Twice, 'run'))).toEqual([`${RouteParamtypes.REQUEST}:0`]);
  });
});
