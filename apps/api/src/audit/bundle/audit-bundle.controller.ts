import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadRequestException, Controller, Get, Inject, NotFoundException, Param, ParseUUIDPipe, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { typeormAuditDb } from '@app/application/audit/audit-db';
import { exportAuditBundle, type ExportTarget, manifestPathOf } from '@app/application/audit/audit-export';
import type { AuditVerificationKey } from '@app/application/audit/audit-signing-key';
import { Roles } from '@app/platform';
import { CLOCK, type Clock } from '@app/platform/clock';
import { DataSource } from 'typeorm';
import { ApiProblemResponses } from '../../http/problem';
import { repositoryRoot } from '../../http/repository-root';
import { STREAM_ID_PATTERN } from '../audit.dto';
import { pipeTarFiles, tarSize } from './tar';

export const AUDIT_BUNDLE_KEY = Symbol('AUDIT_BUNDLE_KEY');

const BUNDLE_DESCRIPTION =
  'A tar archive of what `npm run audit:export` writes: `<name>.jsonl` (the events exactly as stored, personal data as ciphertext), ' +
  '`<name>.jsonl.manifest.json` (hashes, stream heads, the seals covering them, the public key) and `verify-bundle.js`, which checks ' +
  'the bundle offline with plain Node: `tar -xf bundle.tar && node verify-bundle.js <name>.jsonl`. Auditors only.';

/**
 * The evidence bundle over HTTP: the same code as the `audit:export` CLI (exportAuditBundle),
 * written to a private temporary folder, answered as one tar archive, then deleted.
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditBundleController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly dataSource: DataSource,
    @Inject(AUDIT_BUNDLE_KEY) private readonly key: AuditVerificationKey,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('streams/:streamId/bundle')
  @Roles('auditor')
  @ApiOperation({ summary: 'The evidence bundle of one stream (as `npm run audit:export -- --stream <id>`)', description: BUNDLE_DESCRIPTION })
  @ApiProduces('application/x-tar')
  @ApiResponse({ status: 200, description: 'The bundle as a tar archive', content: { 'application/x-tar': { schema: { type: 'string', format: 'binary' } } } })
  @ApiProblemResponses(400, 401, 403, 404)
  async stream(@Param('streamId') streamId: string, @Res() res: Response): Promise<void> {
    if (!STREAM_ID_PATTERN.test(streamId)) throw new BadRequestException('streamId must be `<kind>-<uuid>`, e.g. proposal-6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c');
    await this.answer(res, { stream: streamId }, streamId);
  }

  @Get('calls/:callId/bundle')
  @Roles('auditor')
  @ApiOperation({ summary: 'The evidence bundle of a call with its proposals and grants (as `npm run audit:export -- --call <id>`)', description: BUNDLE_DESCRIPTION })
  @ApiProduces('application/x-tar')
  @ApiResponse({ status: 200, description: 'The bundle as a tar archive', content: { 'application/x-tar': { schema: { type: 'string', format: 'binary' } } } })
  @ApiProblemResponses(400, 401, 403, 404)
  async call(@Param('callId', ParseUUIDPipe) callId: string, @Res() res: Response): Promise<void> {
    await this.answer(res, { call: callId }, `call-${callId}-with-proposals-and-grants`);
  }

  private async answer(res: Response, target: ExportTarget, name: string): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'grant-ledger-bundle-'));
    try {
      const outFile = join(dir, `${name}.jsonl`);
      const now = this.clock.now();
      const manifest = await exportAuditBundle({ store: this.store, db: typeormAuditDb(this.dataSource), key: this.key, target, outFile, now });
      if (manifest.events.count === 0) throw new NotFoundException(`no events recorded for ${'stream' in target ? target.stream : `call ${target.call}`}`);
      const verifier = verifierPath();
      const files = [
        { name: `${name}.jsonl`, path: outFile },
        { name: `${name}.jsonl.manifest.json`, path: manifestPathOf(outFile) },
        ...(verifier ? [{ name: 'verify-bundle.js', path: verifier }] : []),
      ];
      const sized = await Promise.all(files.map(async (file) => ({ ...file, size: (await stat(file.path)).size })));
      res.setHeader('Content-Type', 'application/x-tar');
      res.setHeader('Content-Disposition', `attachment; filename="${name}.tar"`);
      res.setHeader('Content-Length', String(tarSize(sized)));
      res.status(200);
      // Streamed from the files as written, so a large call's bundle is never held in memory whole.
      try {
        await pipeTarFiles(sized, now, res);
      } catch {
        // The client went away mid-answer (the status is sent: no problem body can follow).
        res.destroy();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** The offline verifier the CLI copies beside its bundle (scripts/verify-bundle.js), when this installation has it. */
function verifierPath(): string | undefined {
  const root = repositoryRoot();
  const file = root && join(root, 'scripts', 'verify-bundle.js');
  return file && existsSync(file) ? file : undefined;
}
