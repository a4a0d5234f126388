import { ApiProperty } from '@nestjs/swagger';

export class CommandResultDto {
  @ApiProperty({ example: '0b9f3c52-6a4e-4d8e-9a55-3f0f7f1b2c10' }) id: string;
  @ApiProperty({ description: 'Stream version after the command: send it as If-Match to the next command', example: 0 }) version: number;
}
