import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class AuditBreakDto {
  @ApiProperty({
    enum: ['altered', 'deleted', 'reordered', 'broken-link', 'unchained', 'seal-mismatch', 'signature-invalid', 'seal-sequence'],
    example: 'altered',
  })
  kind: string;
  @ApiProperty({ example: 'the event no longer hashes to its chain.hash' }) detail: string;
  @ApiPropertyOptional({ example: 'proposal-6f1c2c3e-0d55-4d4e-9f4e-3f0c2b4b7a10' }) streamId?: string;
  @ApiPropertyOptional({ example: 3 }) streamVersion?: number;
  @ApiPropertyOptional({ description: 'Global position of the event where the break was found', example: '00000000000000000974-00000000000000000009' })
  position?: string;
  @ApiPropertyOptional({ format: 'uuid' }) eventId?: string;
  @ApiPropertyOptional({ description: 'The seal involved, for seal breaks' }) sealSeq?: number;
}

export class AuditVerifyReportDto {
  @ApiProperty({ description: 'True when every stream chain and every seal checks out' }) ok: boolean;
  @ApiProperty() eventsChecked: number;
  @ApiProperty() streamsChecked: number;
  @ApiProperty() sealsChecked: number;
  @ApiProperty({ nullable: true, type: String, description: 'Position of the last event covered by a verified seal' }) lastSealedPosition: string | null;
  @ApiProperty({ description: 'Events after the latest seal: only their stream chain vouches for them' }) unsealedEvents: number;
  @ApiProperty({ description: 'First 16 hex digits of sha256 of the public key (SPKI DER)' }) keyId: string;
  @ApiProperty({ description: 'Ed25519 public key (SPKI PEM) that seals are checked against' }) publicKey: string;
  @ApiProperty({ description: 'The public DEV-ONLY key is in use: seals prove nothing outside development' }) devKey: boolean;
  @ApiProperty({ description: 'Worker threads that read and hashed the log; 0: the answering process read it itself' }) readerThreads: number;
  @ApiPropertyOptional({
    description: 'Events stored after the last one checked, counted when the check ended (PostgreSQL event store; absent after a break): appended while it ran, or held back. Not checked: verify again',
  })
  eventsAfterCheck?: number;
  @ApiPropertyOptional({
    description: 'Of those, events committed but held back behind a transaction that began before them and is still open: no reader of the log (this check, projections, the sealer) gets them until it ends',
  })
  heldBackEvents?: number;
  @ApiPropertyOptional({ type: AuditBreakDto, description: 'The first broken link in global order' }) firstBreak?: AuditBreakDto;
}
