import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { Type } from 'class-transformer';
import { IsString, IsUUID, ValidateNested } from 'class-validator';
import { lowerCaseUuidPath, lowerCaseUuids } from './uuid-case';

const ID = '7C9A3E12-0B7E-4A57-8F3D-1F0E2D3C4B5A';

class Partner {
  @IsUUID() organisationId!: string;
  @IsString() role!: string;
}

class Draft {
  @IsUUID() callId!: string;
  @IsUUID('all', { each: true }) documentIds!: string[];
  @ValidateNested({ each: true }) @Type(() => Partner) partners!: Partner[];
  @IsString() title!: string;
}

describe('UUIDs lower-cased on the way in', () => {
  const path = (url: string) => {
    const req = { url } as IncomingMessage;
    lowerCaseUuidPath(req);
    return req.url;
  };

  it('lower-cases whole UUID segments of the path, not the query, nor ids inside a segment', () => {
    expect(path(`/calls/${ID}/publish`)).toBe(`/calls/${ID.toLowerCase()}/publish`);
    expect(path(`/grants/${ID}`)).toBe(`/grants/${ID.toLowerCase()}`);
    expect(path(`/proposals/${ID}/partners/${ID}/acceptance?x=${ID}`)).toBe(`/proposals/${ID.toLowerCase()}/partners/${ID.toLowerCase()}/acceptance?x=${ID}`);
    expect(path(`/audit/streams/proposal-${ID}`)).toBe(`/audit/streams/proposal-${ID}`);
    expect(path(`/calls/${ID}X`)).toBe(`/calls/${ID}X`);
    expect(path('/Calls')).toBe('/Calls');
  });

  it("lower-cases a DTO's @IsUUID properties, each one of a list, and those of nested DTOs; nothing else", () => {
    const partner = Object.assign(new Partner(), { organisationId: ID, role: 'Legal AID' });
    const draft = Object.assign(new Draft(), { callId: ID, documentIds: [ID, 'abc'], partners: [partner], title: `Title ${ID}` });
    lowerCaseUuids(draft);
    expect(draft).toEqual(
      Object.assign(new Draft(), {
        callId: ID.toLowerCase(),
        documentIds: [ID.toLowerCase(), 'abc'],
        partners: [Object.assign(new Partner(), { organisationId: ID.toLowerCase(), role: 'Legal AID' })],
        title: `Title ${ID}`,
      }),
    );
    const plain = { callId: ID };
    lowerCaseUuids(plain);
    expect(plain).toEqual({ callId: ID }); // not a DTO: left as it is
  });
});
